"""Nothing a focal point sends is lost, misread or misfiled (issue 12; issue 11 item 5).

Every filled cell the loader does not read is reported where it is; a formula without a value, a
number typed ambiguously, an indicator value beyond its unit's bound, a file filed under another
theme or Sector than its template was made for, a report from a Sector with no focal point
assignment and an empty report are refused at the cell. Real .xlsx bytes throughout (openpyxl),
or plain rows for the pure parts.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from etl import annotate, spec
from etl import validate as V
from etl.load import check
from etl.reference import Reference
from tests import workbooks as W
from tests.test_validate_i18n import assert_renders


def run(wb, ref: Reference = W.REF):
    v = check(W.to_bytes(wb), ref)
    for issue in v.issues:
        assert_renders(issue)  # every new kind of issue comes out of the catalogue, en and fr
    return v


def only(issues, severity="error"):
    found = [i for i in issues if i.severity == severity]
    assert len(found) == 1, [str(i) for i in issues]
    return found[0]


# --- every filled cell is accounted for ---------------------------------------------------------


def test_the_template_itself_has_no_stray_cell_and_its_key_sheet_raises_nothing():
    wb = W.workbook()
    assert wb[spec.KEY_SHEET].sheet_state == "veryHidden"
    v = run(wb)
    assert v.ok and v.issues == []


def test_a_note_in_a_headerless_column_is_reported_at_its_cell():
    wb = W.workbook()
    wb["Activities"]["P3"] = "ask Maria about Q4"
    v = run(wb)
    assert v.ok  # a warning: the rest of the file is fine
    w = only(v.issues, "warning")
    assert (w.sheet, w.cell, w.value, w.cells) == ("Activities", "P3", "ask Maria about Q4", ("P3",))
    assert w.message == "the entry 'ask Maria about Q4' in Activities!P3 is not in a template column and was not loaded"
    assert w.key == "cell_unread_column"


def test_an_extra_headed_column_reports_its_header_and_its_cells():
    wb = W.workbook()
    ws = wb["Activities"]
    ws["P1"] = "My notes"
    ws["P2"], ws["P4"] = "check budget", 12
    v = run(wb)
    assert v.ok
    by_key = {i.key: i for i in v.warnings}
    assert set(by_key) == {"column_extra", "cells_unread_column"}
    assert by_key["column_extra"].cell == "P1"
    many = by_key["cells_unread_column"]
    assert (many.cell, many.cells) == ("P2", ("P2", "P4"))
    assert many.message == (
        "2 entries in column P of Activities (P2 to P4) are not in a template column and were not loaded: "
        "P2 'check budget', P4 '12'"
    )


def test_five_hundred_stray_cells_give_one_warning_that_locates_them_all():
    wb = W.workbook()
    ws = wb["Indicators"]
    for r in range(2, 502):
        ws.cell(r, 20, f"note {r}")
    v = run(wb)
    assert v.ok
    w = only(v.issues, "warning")
    assert len(w.cells) == 500 and w.cells[0] == "T2" and w.cells[-1] == "T501"
    assert w.message.startswith("500 entries in column T of Indicators (T2 to T501) are not in a template column")
    assert w.message.endswith("T2 'note 2', T3 'note 3', T4 'note 4', T5 'note 5', T6 'note 6', …")
    # the rows holding only a note are no records: no "required" errors, the 2 indicators stay
    assert len(v.report.indicators) == 2


def test_long_values_are_truncated_in_the_message():
    wb = W.workbook()
    wb["Risks"]["K2"] = "x" * 200
    w = only(run(wb).issues, "warning")
    assert w.params["text"] == "x" * 27 + "..."
    assert len(w.value) == 80  # the value found, as shown everywhere else


def test_notes_beside_and_below_the_report_fields():
    wb = W.workbook()
    ws = wb[spec.REPORT_SHEET]
    ws["D3"] = "period agreed with Ana"
    ws["A10"] = "Remarks"
    ws["B10"] = "The workshop moved to October"
    v = run(wb)
    assert v.ok
    got = {(i.cell, i.key, i.message) for i in v.warnings}
    assert got == {
        ("A10", "cell_unread_report",
         "the entry 'Remarks' in Report!A10 is not one of the report's fields and was not loaded"),
        ("B10", "cell_unread_report",
         "the entry 'The workshop moved to October' in Report!B10 is not one of the report's fields and was not "
         "loaded"),
        ("D3", "cell_unread_report",
         "the entry 'period agreed with Ana' in Report!D3 is not one of the report's fields and was not loaded"),
    }  # fmt: skip


def test_cells_above_a_moved_header_row():
    wb = W.workbook()
    ws = wb["Results"]
    ws.insert_rows(1, 2)
    ws["A1"] = "Results of ITU-T"
    ws["C2"] = dt.date(2025, 9, 30)
    v = run(wb)
    assert v.ok
    w = next(i for i in v.warnings if i.key == "cells_above_header")
    assert w.cells == ("A1", "C2")
    assert w.message == (
        "2 entries above the header row of Results (A1 to C2) were not loaded: A1 'Results of ITU-T', C2 '2025-09-30'"
    )
    assert {i.key for i in v.warnings} == {"cells_above_header", "header_row_moved"}


def test_a_sheet_the_template_does_not_have():
    wb = W.workbook()
    ws = wb.create_sheet("Notes")
    ws["A1"], ws["B7"] = "To do", "call TSB"
    wb.create_sheet("Empty")  # nothing in it: nothing lost, nothing said
    v = run(wb)
    assert v.ok
    w = only(v.issues, "warning")
    assert (w.sheet, w.cell, w.cells, w.key) == ("Notes", "A1", ("A1", "B7"), "sheet_unread")
    assert w.message == (
        "sheet 'Notes' is not part of the template; its 2 filled cell(s) were not loaded: A1 'To do', B7 'call TSB'"
    )


def test_typing_into_the_instructions_and_lists_sheets():
    wb = W.workbook()
    wb[spec.INSTRUCTIONS_SHEET]["E4"] = "my reminder"
    lists = wb[spec.LISTS_SHEET]
    lists.cell(1, lists.max_column + 2, "my own list")
    first_list_end = max(r for r in range(1, lists.max_row + 1) if lists.cell(r, 1).value) + 2
    lists.cell(first_list_end, 1, "XYZ - my theme")  # below a list, after a gap
    v = run(wb)
    assert v.ok
    got = sorted((i.sheet, i.cell, i.key) for i in v.warnings)
    assert got == sorted([
        (spec.INSTRUCTIONS_SHEET, "E4", "cell_unread_template"),
        (spec.LISTS_SHEET, f"{lists.cell(1, lists.max_column).column_letter}1", "cell_unread_template"),
        (spec.LISTS_SHEET, f"A{first_list_end}", "cell_unread_template"),
    ])  # fmt: skip
    e4 = next(i for i in v.warnings if i.cell == "E4")
    assert e4.message == (
        "the entry 'my reminder' in Instructions!E4 is in a sheet the template keeps for itself and was not loaded"
    )


def test_a_duplicated_column_reads_the_first_and_reports_the_second():
    wb = W.workbook()
    ws = wb["Indicators"]
    ws["P1"], ws["P2"] = "Comment", "the real comment"
    v = run(wb)
    assert v.ok
    dup = next(i for i in v.warnings if i.key == "column_duplicate")
    assert (dup.cell, dup.message) == ("P1", "column 'Comment' appears twice; only the first one, in column I, was read")
    cell = next(i for i in v.warnings if i.key == "cell_unread_column")
    assert cell.cell == "P2"


def test_the_problems_sheet_of_an_annotated_copy_is_not_reported_when_uploaded_again():
    wb = W.workbook()
    W.set_cell(wb, "Indicators", "actual", 2, "lots")
    data = W.to_bytes(wb)
    marked = annotate.annotate(data, check(data, W.REF).issues)
    fixed = load_workbook(io.BytesIO(marked))
    fixed["Indicators"]["H2"] = 5
    v = run(fixed)
    assert v.ok and v.issues == []


def test_stray_cells_are_marked_in_the_annotated_workbook_and_listed_on_the_problems_sheet():
    wb = W.workbook()
    wb["Activities"]["P3"] = "ask Maria about Q4"
    for r in range(2, 6):
        wb["Risks"].cell(r, 10, f"r{r}")
    data = W.to_bytes(wb)
    issues = check(data, W.REF).issues
    out = load_workbook(io.BytesIO(annotate.annotate(data, issues)))
    assert out["Activities"]["P3"].fill.fgColor.rgb.endswith(annotate.WARNING_COLOR)
    assert "ask Maria about Q4" in out["Activities"]["P3"].comment.text
    for r in range(2, 6):  # every cell of the group, not only the first
        assert out["Risks"][f"J{r}"].fill.fgColor.rgb.endswith(annotate.WARNING_COLOR)
    problems = [r for r in out[annotate.PROBLEMS_SHEET].iter_rows(min_row=3, values_only=True)]
    assert {(r[1], r[2]) for r in problems} == {("Activities", "P3"), ("Risks", "J2")}
    assert set(annotate.marked_cells(issues)) == {("Activities", "P3"), *(("Risks", f"J{r}") for r in range(2, 6))}


def test_a_formula_outside_the_read_cells_is_reported_as_unread_not_as_used():
    from etl.reader import read_workbook

    raw = read_workbook(W.good_bytes())
    raw.sheets["Activities"][1] = [*raw.sheets["Activities"][1], "", 42.0]  # P2 = 42 (a formula's value)
    raw.formulas["Activities"] = [("P2", True), ("Q3", True)]  # Q3: a formula whose value is empty
    v = V.validate(raw, W.REF)
    assert v.ok
    assert [(i.key, i.cell, i.params["text"]) for i in v.issues] == [
        ("cell_unread_column", "P2", "42"),
        ("cell_unread_column", "Q3", "=…"),
    ]


# --- formulas -------------------------------------------------------------------------------------


def test_a_formula_written_without_its_value_is_an_error_at_the_cell():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "percent_complete", 2, "=20*2")  # openpyxl saves no value for it
    v = run(wb)
    e = only(v.issues)
    assert (e.sheet, e.cell, e.key) == ("Activities", "M2", "formula_not_computed")
    assert e.message == "the cell holds a formula whose value was never computed"
    assert e.fix == "Type the value itself in place of the formula."


def test_a_formula_with_its_saved_value_is_used_with_a_warning():
    from etl.reader import read_workbook

    raw = read_workbook(W.good_bytes())
    raw.formulas["Activities"] = [("M2", True)]  # M2 holds 40, its saved value
    v = V.validate(raw, W.REF)
    assert v.ok
    w = only(v.issues, "warning")
    assert (w.cell, w.message) == ("M2", "the cell holds a formula; its saved value was used")
    assert v.report.activities[0]["percent_complete"] == 40.0


# --- numbers typed as text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12.5", 12.5), ("12,5", 12.5), ("0,75", 0.75), ("12,55", 12.55), ("1 200", 1200.0),
        ("1\u00a0200", 1200.0), ("1\u202f200", 1200.0), ("1'200", 1200.0), ("1.200,5", 1200.5),
        ("1,200.5", 1200.5), ("1 200,5", 1200.5), ("1,200,000", 1200000.0), ("1.200.000", 1200000.0),
        ("0,125", 0.125), ("1234,567", 1234.567), ("-3", -3.0), ("+3", 3.0), ("\u22124", -4.0),
        ("45%", 45.0), ("12,5 %", 12.5), (".5", 0.5), (" 7 ", 7.0),
    ],
)  # fmt: skip
def test_numbers_typed_as_text_that_are_unambiguous(text, number):
    assert V.read_number_text(text) == (number, None)


@pytest.mark.parametrize(("text", "readings"), [("1,200", (1200.0, 1.2)), ("1.200", (1200.0, 1.2)),
                                                ("-2,500", (-2500.0, -2.5)), ("999.999", (999999.0, 999.999))])
def test_numbers_typed_as_text_that_are_ambiguous(text, readings):
    assert V.read_number_text(text) == (None, readings)


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "1e3", "1_000", "\uff11\uff12", "12 5", "1,2,3", "1.2.3,4,5",
                                  "1,200 300", "CHF 12", "12-", "", "%", "-"])
def test_text_that_is_no_number(text):
    assert V.read_number_text(text) == (None, None)


@pytest.mark.parametrize(
    ("value", "read", "message"),
    [("12,5", 12.5, "Target was text; read as 12.5"), ("1.200,5", 1200.5, "Target was text; read as 1200.5"),
     ("1\u00a0234\u00a0567", 1234567.0, "Target was text; read as 1234567")],
)
def test_a_decimal_comma_is_read_as_a_decimal(value, read, message):
    wb = W.workbook()
    W.set_cell(wb, "Indicators", "target", 2, value)
    v = run(wb)
    assert v.ok
    assert only(v.issues, "warning").message == message
    assert v.report.indicators[0]["target"] == read


def test_an_ambiguous_number_is_an_error_at_the_cell():
    wb = W.workbook()
    W.set_cell(wb, "Indicators", "baseline", 3, "1.200")
    e = only(run(wb).issues)
    assert (e.cell, e.key, e.message) == ("D3", "number_ambiguous", "Baseline '1.200' could mean 1200 or 1.2")
    assert e.params == {"label": "Baseline", "text": "1.200", "grouped": "1200", "decimal": "1.2"}


# --- bounded indicator values ---------------------------------------------------------------------


def _indicator_report(**over):
    rep = W.report()
    rep.indicators[0].update(over)
    return rep


@pytest.mark.parametrize(
    ("over", "cell", "message"),
    [
        ({"unit": "%", "target": 150}, "F2", "Target 150 is out of range for unit '%': from 0 to 100"),
        ({"unit": "%", "baseline": -5}, "D2", "Baseline -5 is out of range for unit '%': from 0 to 100"),
        ({"unit": "countries", "actual": 200}, "H2", "Actual 200 is out of range for unit 'countries': from 0 to 194"),
    ],
)
def test_values_beyond_the_bound_of_their_unit(over, cell, message):
    e = only(run(W.workbook(_indicator_report(**over))).issues)
    assert (e.sheet, e.cell, e.key, e.message) == ("Indicators", cell, "indicator_out_of_bounds", message)


def test_values_on_the_bounds_are_accepted():
    v = run(W.workbook(_indicator_report(unit="countries", baseline=0, target=194, actual=194)))
    assert v.ok and v.issues == []
    v = run(W.workbook(_indicator_report(unit="%", baseline=0, target=100, actual=55.5)))
    assert v.ok and v.issues == []
    assert spec.UNIT_BOUNDS == {"%": 100, "countries": 194}


# --- template versions and optional columns -------------------------------------------------------


def test_a_1_0_file_without_the_combine_column_is_accepted():
    wb = W.workbook()
    W.set_header(wb, "template_version", "1.0")
    combine = [c.key for c in spec.INDICATORS.columns].index("combine") + 1
    wb["Indicators"].delete_cols(combine)
    v = run(wb)
    assert v.ok and v.issues == []
    assert [i["combine"] for i in v.report.indicators] == [None, None]


@pytest.mark.parametrize("version", ["0.9", "1.2", "2"])
def test_other_template_versions_are_refused(version):
    wb = W.workbook()
    W.set_header(wb, "template_version", version)
    e = only(run(wb).issues)
    assert (e.cell, e.key) == ("B1", "template_version")


def test_the_combine_column_is_a_choice_and_blank_stays_none():
    rep = W.report()
    rep.indicators[0]["combine"] = "Maximum"
    wb = W.workbook(rep)
    W.set_cell(wb, "Indicators", "combine", 3, "per sector ONLY")
    v = run(wb)
    assert v.ok
    assert [i["combine"] for i in v.report.indicators] == ["Maximum", "Per Sector only"]
    W.set_cell(wb, "Indicators", "combine", 3, None)
    assert [i["combine"] for i in run(wb).report.indicators] == ["Maximum", None]
    W.set_cell(wb, "Indicators", "combine", 3, "Product")
    assert only(run(wb).issues).message == "Combine across Sectors 'Product' is not in the list"


# --- choice aliases ----------------------------------------------------------------------------------


def test_labels_in_other_languages_are_read_as_the_canonical_value(monkeypatch):
    monkeypatch.setattr(spec, "CHOICE_ALIASES", {"xx": {"Ongoing": "In progress", "Fine": "On track",
                                                        "Big": "High"}})
    wb = W.workbook()
    W.set_cell(wb, "Activities", "status", 2, "Ongoing")  # as the template in that language offers it
    W.set_header(wb, "self_status", "Fine")
    W.set_cell(wb, "Risks", "severity", 2, " big")  # another case: read, with a warning
    v = run(wb)
    assert v.ok
    assert v.report.activities[0]["status"] == "In progress"
    assert v.report.header["self_status"] == "On track"
    assert v.report.risks[0]["severity"] == "High"
    w = only(v.issues, "warning")
    assert (w.cell, w.message) == ("C2", "Severity 'big' read as 'High'")


def test_french_labels_and_a_label_typed_without_accents():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "status", 2, "En cours")
    W.set_cell(wb, "Activities", "status", 3, "terminee")
    W.set_cell(wb, "Activities", "percent_complete", 3, 100)
    W.set_cell(wb, "Indicators", "unit", 2, "pays")
    v = run(wb)
    assert v.ok
    assert [a["status"] for a in v.report.activities][:2] == ["In progress", "Completed"]
    assert v.report.indicators[0]["unit"] == "countries"
    assert only(v.issues, "warning").message == "Status 'terminee' read as 'Completed'"


def test_an_alias_of_another_list_is_not_accepted(monkeypatch):
    monkeypatch.setattr(spec, "CHOICE_ALIASES", {"xx": {"Ongoing": "In progress"}})
    wb = W.workbook()
    W.set_cell(wb, "Risks", "severity", 2, "Ongoing")  # a Status label, not a Severity one
    assert only(run(wb).issues).key == "choice_unknown"


def test_a_large_table_with_aliases_takes_the_fast_path_to_the_same_records(monkeypatch):
    rep = W.report(n_activities=60)
    for i, a in enumerate(rep.activities):
        a["status"] = ["En cours", "Prévu", "In progress"][i % 3]
    raw_bytes = W.to_bytes(W.workbook(rep))
    fast = check(raw_bytes, W.REF)
    monkeypatch.setattr(V, "_clean_column", lambda c, values, ref: None)
    slow = check(raw_bytes, W.REF)
    assert fast.ok and fast.issues == [] and fast.report.activities == slow.report.activities
    assert {a["status"] for a in fast.report.activities} == {"In progress", "Planned"}


# --- the key sheet --------------------------------------------------------------------------------------


def _key_sheet(wb, theme="CLIM", period="2025-Q3", sector="ITU-T"):
    """The very hidden key sheet as the template writes it (replacing the template's own, if any)."""
    if spec.KEY_SHEET in wb.sheetnames:
        del wb[spec.KEY_SHEET]
    ws = wb.create_sheet(spec.KEY_SHEET)
    for r, (k, val) in enumerate(zip(spec.KEY_FIELDS, ("1.1", theme, period, sector, "2025-07-01T10:00:00+00:00"),
                                     strict=True), start=1):
        ws.cell(r, 1, k)
        ws.cell(r, 2, val)
    ws.sheet_state = "veryHidden"
    return wb


def test_a_theme_changed_from_what_the_file_was_made_for_is_refused():
    wb = _key_sheet(W.workbook())
    W.set_header(wb, "theme", "GEN")
    v = run(wb)
    e = only(v.issues)
    assert (e.sheet, e.cell, e.key, e.value, e.expected) == ("Report", "B2", "key_theme_mismatch", "GEN", "theme CLIM")
    assert e.message == (
        "this file was made for theme CLIM (Climate Change & Environmental Sustainability), Sector ITU-T, period "
        "2025-Q3, but its Theme cell says GEN; a report is filed under the theme its template was made for"
    )
    assert e.fix.startswith("Download the template for GEN from the Upload page (or `python -m etl template --theme GEN")


def test_a_sector_changed_from_what_the_file_was_made_for_is_refused():
    wb = _key_sheet(W.workbook())
    W.set_header(wb, "sector", "itu-d")
    v = run(wb)
    e = only(v.issues)
    assert (e.cell, e.key, e.expected) == ("B4", "key_sector_mismatch", "Sector ITU-T")
    assert "but its Reporting sector cell says ITU-D; a report is filed under the Sector its template" in e.message


def test_a_changed_period_is_fine_last_quarters_file_is_reused():
    wb = _key_sheet(W.workbook(), period="2025-Q2")
    v = run(wb)
    assert v.ok and v.issues == []


def test_a_file_made_for_a_renamed_theme_may_be_filed_under_its_successor():
    wb = _key_sheet(W.workbook(), theme="ENV")  # ENV was renamed CLIM (data/reference/themes.csv)
    assert run(wb).issues == []


def test_without_a_key_sheet_there_is_no_key_check():
    wb = W.workbook()
    del wb[spec.KEY_SHEET]
    W.set_header(wb, "theme", "GEN")
    v = run(wb)
    assert v.ok and v.issues == [] and v.report.header["theme"] == "GEN"


# --- owner and content ----------------------------------------------------------------------------------


def _ref_without(theme: str, sector: str | None = None, **validity) -> Reference:
    rows = []
    for r in W.REF["focal_points"]:
        if r["theme"] == theme and (sector is None or r["sector"] == sector):
            if not validity:
                continue
            r = {**r, **validity}
        rows.append(r)
    return Reference({**W.REF.tables, "focal_points": rows})


def test_a_sector_without_an_assignment_is_refused_naming_who_keeps_them():
    from etl.reference import ASSIGNMENTS_MAINTAINER

    ref = _ref_without("CLIM", "ITU-T")
    e = only(run(W.workbook(), ref).issues)
    assert (e.sheet, e.cell, e.key, e.value) == ("Report", "B4", "no_assignment", "ITU-T")
    assert e.message == (
        "no focal point of ITU-T is assigned to theme CLIM (Climate Change & Environmental Sustainability) in "
        "2025-Q3, so no report of ITU-T is accepted for it; the Sectors assigned to it are ITU-R, ITU-D, GS"
    )
    assert ASSIGNMENTS_MAINTAINER in e.fix


def test_an_assignment_that_ended_before_the_period_does_not_count():
    ref = _ref_without("CLIM", "ITU-T", valid_from="2020-01-01", valid_to="2025-06-30")
    assert only(run(W.workbook(), ref).issues).key == "no_assignment"
    ref = _ref_without("CLIM", "ITU-T", valid_from="2020-01-01", valid_to="2025-07-01")
    assert run(W.workbook(), ref).ok


def test_a_theme_without_any_assignment():
    ref = _ref_without("CLIM")
    e = only(run(W.workbook(), ref).issues)
    assert (e.cell, e.key) == ("B2", "no_assignment_none")
    assert e.message == (
        "no focal point of any Sector is assigned to theme CLIM (Climate Change & Environmental Sustainability) "
        "in 2025-Q3, so no report is accepted for it"
    )


def test_a_report_with_no_activity_and_no_indicator_is_refused():
    e = only(run(W.workbook(W.report(0, 0))).issues)
    assert (e.sheet, e.cell, e.key) == ("Activities", "A2", "report_empty")
    assert e.message == "the report has no activity and no indicator; a report needs at least one of them"


@pytest.mark.parametrize(("acts", "inds"), [(1, 0), (0, 1)])
def test_one_activity_or_one_indicator_is_enough(acts, inds):
    assert run(W.workbook(W.report(acts, inds))).ok
