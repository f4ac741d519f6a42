"""The annotated workbook: exactly the faulty cells are highlighted and commented, read back with openpyxl."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from etl import annotate
from etl.load import check, init_db, load_bytes
from etl.reference import Reference
from tests import workbooks as W

REF = Reference.load()


def _color(cell) -> str | None:
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return None
    rgb = str(fill.fgColor.rgb or "")[-6:].upper()
    return {annotate.ERROR_COLOR: "error", annotate.WARNING_COLOR: "warning"}.get(rgb)


def highlighted(data: bytes) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> error|warning for every cell carrying an annotation fill (Problems excluded)."""
    wb = load_workbook(io.BytesIO(data))
    out = {}
    for ws in wb.worksheets:
        if ws.title.startswith(annotate.PROBLEMS_SHEET):
            continue
        for row in ws.iter_rows():
            for c in row:
                kind = _color(c)
                if kind:
                    out[(ws.title, c.coordinate)] = kind
    return out


def three_mistakes() -> bytes:
    wb = W.workbook()
    W.set_cell(wb, "Activities", "percent_complete", 3, 140)  # error: out of range
    W.set_cell(wb, "Indicators", "actual", 2, "lots")  # error: not a number
    W.set_cell(wb, "Activities", "end_date", 4, dt.date(2024, 1, 1))  # error: before start date
    W.set_cell(wb, "Activities", "lead_sector", 2, "itu-t ")  # warning: normalised
    W.set_cell(wb, "Indicators", "target", 3, "12")  # warning: text read as number
    return W.to_bytes(wb)


def test_exactly_the_faulty_cells_are_highlighted():
    data = three_mistakes()
    v = check(data, REF)
    assert len(v.errors) == 3 and len(v.warnings) == 2
    out = annotate.annotate(data, v.issues)
    assert highlighted(out) == {
        ("Activities", W.cell("Activities", "percent_complete", 3)): "error",
        ("Indicators", W.cell("Indicators", "actual", 2)): "error",
        ("Activities", W.cell("Activities", "end_date", 4)): "error",
        ("Activities", W.cell("Activities", "lead_sector", 2)): "warning",
        ("Indicators", W.cell("Indicators", "target", 3)): "warning",
    }
    assert highlighted(out) == annotate.marked_cells(v.issues)


def test_each_marked_cell_has_a_comment_with_the_problem_and_the_fix():
    data = three_mistakes()
    v = check(data, REF)
    wb = load_workbook(io.BytesIO(annotate.annotate(data, v.issues)))
    for issue in v.issues:
        comment = wb[issue.sheet][issue.cell].comment
        assert comment is not None and comment.author == annotate.AUTHOR
        assert issue.message in comment.text
        assert comment.text.startswith(issue.severity.upper())
        if issue.fix:
            assert f"Fix: {issue.fix}" in comment.text


def test_values_and_other_cells_are_unchanged():
    data = three_mistakes()
    before = load_workbook(io.BytesIO(data))
    after = load_workbook(io.BytesIO(annotate.annotate(data, check(data, REF).issues)))
    assert after.sheetnames == [annotate.PROBLEMS_SHEET, *before.sheetnames]
    for ws in before.worksheets:
        got = after[ws.title]
        assert [[c.value for c in r] for r in ws.iter_rows()] == [
            [c.value for c in r] for r in got.iter_rows()
        ]
    # the header comment of the template is still there on an unmarked cell
    assert after["Activities"]["A1"].comment.text == before["Activities"]["A1"].comment.text


def test_problems_sheet_lists_every_issue_errors_first_with_links():
    data = three_mistakes()
    v = check(data, REF)
    wb = load_workbook(io.BytesIO(annotate.annotate(data, v.issues)))
    ws = wb.worksheets[0]
    assert ws.title == annotate.PROBLEMS_SHEET and wb.active.title == annotate.PROBLEMS_SHEET
    assert ws["A1"].value.startswith("3 error(s) and 2 warning(s)")
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    assert [r[0] for r in rows] == ["error"] * 3 + ["warning"] * 2
    assert {(r[1], r[2]) for r in rows} == {(i.sheet, i.cell) for i in v.issues}
    links = {
        (ws.cell(r, 3).hyperlink.location or ws.cell(r, 3).hyperlink.target).lstrip("#").replace("'", "")
        for r in range(3, 8)
    }
    assert links == {f"{i.sheet}!{i.cell}" for i in v.issues}


def test_issues_without_a_cell_go_only_on_the_problems_sheet():
    wb = W.workbook()
    ws = wb["Risks"]
    ws.delete_cols(3)  # the Severity column is gone: an error with no cell
    W.set_cell(wb, "Indicators", "actual", 2, "n/a")
    data = W.to_bytes(wb)
    v = check(data, REF)
    no_cell = [i for i in v.issues if not i.cell]
    assert no_cell and any("Severity" in i.message for i in no_cell)
    out = annotate.annotate(data, v.issues)
    assert highlighted(out) == {("Indicators", W.cell("Indicators", "actual", 2)): "error"}
    problems = load_workbook(io.BytesIO(out))[annotate.PROBLEMS_SHEET]
    messages = [r[5] for r in problems.iter_rows(min_row=3, values_only=True)]
    assert sorted(messages) == sorted(i.message for i in v.issues)


def test_sheet_names_in_other_case_are_still_marked():
    wb = W.workbook()
    wb["Indicators"].title = "tmp"  # openpyxl refuses a rename that only changes case
    wb["tmp"].title = "indicators"
    wb["indicators"][W.cell("Indicators", "actual", 2)] = "lots"
    data = W.to_bytes(wb)
    v = check(data, REF)
    marked = highlighted(annotate.annotate(data, v.issues))
    assert marked[("indicators", W.cell("Indicators", "actual", 2))] == "error"


def test_error_wins_over_warning_on_the_same_cell():
    issues = [
        {
            "severity": "warning",
            "sheet": "Activities",
            "row": 2,
            "column": "B",
            "value": "x",
            "expected": "y",
            "message": "first a warning",
        },
        {
            "severity": "error",
            "sheet": "Activities",
            "row": 2,
            "column": "B",
            "value": "x",
            "expected": "y",
            "message": "then an error",
            "fix": "Do this.",
        },
    ]
    out = annotate.annotate(W.good_bytes(), issues)
    assert highlighted(out) == {("Activities", "B2"): "error"}
    text = load_workbook(io.BytesIO(out))["Activities"]["B2"].comment.text
    assert text.index("then an error") < text.index("first a warning")


def test_a_file_openpyxl_cannot_open_is_refused_with_value_error():
    with pytest.raises(ValueError, match="cannot be opened"):
        annotate.annotate(b"PK\x03\x04 not really a zip", [])


SOFFICE = shutil.which("soffice")


def libreoffice_save(data: bytes, tmp_path, name: str) -> bytes:
    """Open and save the workbook with LibreOffice Calc (headless), as a focal point would."""
    src = tmp_path / f"{name}.xlsx"
    src.write_bytes(data)
    out = tmp_path / f"lo_{name}"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo_profile", "--headless", "--convert-to",
         "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(src)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return (out / f"{name}.xlsx").read_bytes()


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_focal_point_story_in_libreoffice(tmp_path):
    """Pre-filled template -> three mistakes saved by LibreOffice -> annotated copy (opened and saved
    by LibreOffice again) -> the three cells fixed -> the file loads."""
    wb = W.workbook()
    W.set_cell(wb, "Activities", "percent_complete", 3, 140)
    W.set_cell(wb, "Indicators", "actual", 2, "lots")
    W.set_cell(wb, "Activities", "end_date", 4, dt.date(2024, 1, 1))
    faulty = libreoffice_save(W.to_bytes(wb), tmp_path, "faulty")
    v = check(faulty, REF)
    wrong = {
        ("Activities", W.cell("Activities", "percent_complete", 3)),
        ("Indicators", W.cell("Indicators", "actual", 2)),
        ("Activities", W.cell("Activities", "end_date", 4)),
    }
    assert {(i.sheet, i.cell) for i in v.errors} == wrong

    annotated = libreoffice_save(annotate.annotate(faulty, v.issues), tmp_path, "annotated")
    assert {k for k, kind in highlighted(annotated).items() if kind == "error"} == wrong
    back = load_workbook(io.BytesIO(annotated))
    assert back.sheetnames[0] == annotate.PROBLEMS_SHEET
    assert (
        "must be between 0 and 100"
        in back["Activities"][W.cell("Activities", "percent_complete", 3)].comment.text
    )

    back["Activities"][W.cell("Activities", "percent_complete", 3)] = 60
    back["Indicators"][W.cell("Indicators", "actual", 2)] = 5
    back["Activities"][W.cell("Activities", "end_date", 4)] = dt.date(2026, 6, 30)
    fixed = libreoffice_save(W.to_bytes(back), tmp_path, "fixed")
    db = tmp_path / "db" / "isc.duckdb"
    init_db(db, REF)
    out = load_bytes(fixed, "fixed.xlsx", db=db, ref=REF)
    assert out.outcome == "loaded", out.errors
