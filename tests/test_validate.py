"""Validation of real .xlsx workbooks: each bad input is located (sheet, row, column) and explained."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from etl import load, spec
from etl.load import check
from tests import workbooks as W
from tests.test_validate_i18n import assert_renders


@pytest.fixture(autouse=True)
def _issues_come_out_of_the_catalogue(monkeypatch):
    """Every issue a test here provokes can also be shown in another language: its English texts
    are the catalogue's validate.<key>.* entries filled in with its params (test_validate_i18n)."""
    seen = []

    def recording(data, ref):
        v = load.check(data, ref)
        seen.extend(v.issues)
        return v

    monkeypatch.setitem(globals(), "check", recording)
    yield
    for issue in seen:
        assert_renders(issue)


def run(wb):
    return check(W.to_bytes(wb), W.REF)


def only(issues, severity="error"):
    found = [i for i in issues if i.severity == severity]
    assert len(found) == 1, [str(i) for i in issues]
    return found[0]


def test_good_workbook_is_accepted_without_issues():
    v = run(W.workbook())
    assert v.ok
    assert v.issues == []
    assert v.report.key == (W.THEME, W.PERIOD, W.SECTOR)
    assert [a["activity_id"] for a in v.report.activities] == ["A-01", "A-02", "A-03"]
    a = v.report.activities[0]
    assert a["start_date"] == dt.date(2025, 1, 1)
    assert a["percent_complete"] == 40.0
    assert a["role_ITU-D"] == "Joint" and a["role_ITU-R"] == "Partner" and a["role_GS"] is None
    assert a["row"] == 2
    assert v.report.indicators[1]["target"] == 10.0


# --- files that are not readable workbooks -------------------------------------------------


def test_empty_file():
    v = check(b"", W.REF)
    assert not v.ok and v.report is None
    e = only(v.issues)
    assert (e.sheet, e.row, e.column, e.cell) == ("(file)", None, None, "")
    assert e.message == "the file is empty (0 bytes)"


def test_text_file_is_not_a_workbook():
    v = check(b"theme,period\nCLIM,2025-Q3\n", W.REF)
    e = only(v.issues)
    assert e.sheet == "(file)"
    assert e.message.startswith("this is not an Excel workbook (.xlsx)")


def test_zip_that_is_not_a_workbook():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    e = only(check(buf.getvalue(), W.REF).issues)
    assert e.message == "this zip file is not an Excel workbook (no xl/workbook.xml)"


def test_workbook_with_no_template_sheets_reports_every_missing_sheet():
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "hello"
    v = run(wb)
    missing = sorted(i.sheet for i in v.errors)
    assert missing == sorted([spec.REPORT_SHEET, *(s.name for s in spec.TABLE_SHEETS)])
    assert all(i.message.startswith(f"sheet {i.sheet!r} is missing") for i in v.errors)


# --- structure ---------------------------------------------------------------------------------


def test_missing_sheet():
    wb = W.workbook()
    del wb["Risks"]
    v = run(wb)
    e = only(v.issues)
    assert (e.sheet, e.row, e.column) == ("Risks", None, None)
    assert e.message == "sheet 'Risks' is missing."
    assert e.expected == "a sheet named 'Risks'"
    assert not v.ok


def test_missing_column():
    wb = W.workbook()
    wb["Activities"].delete_cols(2)  # Title
    e = only(run(wb).issues)
    assert (e.sheet, e.row) == ("Activities", 1)
    assert e.message == "column 'Title' is missing"
    assert e.expected == "a column headed 'Title'"


def test_missing_header_label_on_report_sheet():
    wb = W.workbook()
    wb[spec.REPORT_SHEET]["A4"] = "Sector?"  # the "Reporting sector" label
    e = only(run(wb).issues)
    assert (e.sheet, e.column) == ("Report", "A")
    assert e.message == "the label 'Reporting sector' is missing from column A"


def test_old_template_version():
    wb = W.workbook()
    W.set_header(wb, "template_version", "0.9")
    e = only(run(wb).issues)
    assert (e.sheet, e.cell, e.value) == ("Report", "B1", "0.9")
    assert e.expected == f"template version {spec.TEMPLATE_VERSION}"
    assert e.message == "this file was made from template version 0.9, which is no longer accepted"


def test_merged_cells():
    wb = W.workbook()
    wb["Activities"].merge_cells("B2:C2")
    e = only(run(wb).issues)
    assert (e.sheet, e.cell, e.value) == ("Activities", "B2", "merged cells")
    assert e.message == "1 merged cell range(s), first B2:C2"


def test_header_moved_down_is_a_warning_and_rows_keep_their_numbers():
    wb = W.workbook()
    wb["Activities"].insert_rows(1, 2)
    v = run(wb)
    assert v.ok
    w = only(v.issues, "warning")
    assert (w.sheet, w.cell) == ("Activities", "A3")
    assert w.message == "the header row was found in row 3; rows above it were ignored"
    assert [a["row"] for a in v.report.activities] == [4, 5, 6]


def test_extra_column_is_ignored_with_a_warning():
    wb = W.workbook()
    wb["Activities"]["Q1"] = "My notes"
    v = run(wb)
    assert v.ok
    w = only(v.issues, "warning")
    assert (w.sheet, w.cell) == ("Activities", "Q1")
    assert w.message == "column 'My notes' is not part of the template and was ignored"


# --- header values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "cell", "message"),
    [
        ("theme", "XYZ - Nothing", "B2", "theme 'XYZ - Nothing' is unknown"),
        ("period", "2025-Q5", "B3", "period is not a quarter"),
        ("period", "2039-Q1", "B3", "period 2039-Q1 is in the future"),
        ("period", "2014-Q4", "B3", "period 2014-Q4 is too early"),
        ("sector", "ITU-X", "B4", "reporting sector 'ITU-X' is unknown"),
        ("self_status", "Fine", "B5", "Self-assessed status 'Fine' is not in the list"),
        ("self_status", None, "B5", "Self-assessed status is empty"),
    ],
)
def test_bad_header_value(key, value, cell, message):
    wb = W.workbook()
    W.set_header(wb, key, value)
    v = run(wb)
    e = only(v.issues)
    assert (e.sheet, e.cell) == ("Report", cell)
    assert e.message == message
    assert e.value == ("" if value is None else value)
    assert v.report is None


def test_retired_theme_names_its_successor():
    wb = W.workbook()
    W.set_header(wb, "theme", "ENV - Environment and Smart Sustainable Cities")
    e = only(run(wb).issues)
    assert e.cell == "B2"
    assert e.message == (
        "theme 'Environment and Smart Sustainable Cities' is renamed since 2023-12-31; "
        "report under CLIM - Climate Change & Environmental Sustainability"
    )


def test_retired_theme_without_successor():
    wb = W.workbook()
    W.set_header(wb, "theme", "AI")
    e = only(run(wb).issues)
    assert e.message == "theme 'Artificial Intelligence' is retired since 2023-12-31"


def test_period_written_differently_is_normalised_with_a_warning():
    wb = W.workbook()
    W.set_header(wb, "period", "Q3 2025")
    v = run(wb)
    assert v.ok and v.report.header["period"] == "2025-Q3"
    w = only(v.issues, "warning")
    assert (w.cell, w.message) == ("B3", "period read as 2025-Q3")


# --- table values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "key", "value", "message", "expected"),
    [
        ("Indicators", "baseline", "abc", "Baseline must be a number", "a number"),
        ("Indicators", "actual", "about ten", "Actual must be a number", "a number"),
        (
            "Activities",
            "percent_complete",
            150,
            "Percent complete must be between 0 and 100",
            "a number from 0 to 100",
        ),
        (
            "Activities",
            "percent_complete",
            -5,
            "Percent complete must be between 0 and 100",
            "a number from 0 to 100",
        ),
        (
            "Activities",
            "percent_complete",
            "120%",
            "Percent complete must be between 0 and 100",
            "a number from 0 to 100",
        ),
        (
            "Activities",
            "start_date",
            dt.date(1999, 12, 31),
            "Start date 1999-12-31 is out of range",
            "a date between 2000-01-01 and 2040-12-31",
        ),
        (
            "Activities",
            "end_date",
            dt.date(2041, 1, 1),
            "End date 2041-01-01 is out of range",
            "a date between 2000-01-01 and 2040-12-31",
        ),
        ("Activities", "end_date", "next spring", "End date is not a date", "a date (yyyy-mm-dd)"),
        (
            "Activities",
            "lead_sector",
            "ITU-X",
            "Lead sector 'ITU-X' is unknown",
            "one of: ITU-R, ITU-T, ITU-D, GS, RO",
        ),
        (
            "Activities",
            "status",
            "Almost done",
            "Status 'Almost done' is not in the list",
            "one of: " + ", ".join(spec.ACTIVITY_STATUSES),
        ),
        ("Activities", "title", None, "Title is required", "Title"),
        ("Indicators", "unit", "kg", "Unit 'kg' is not in the list", "one of: " + ", ".join(spec.UNITS)),
        (
            "Risks",
            "kind",
            "Worry",
            "Type 'Worry' is not in the list",
            "one of: " + ", ".join(spec.RISK_KINDS),
        ),
        ("Results", "title", "x" * 301, "Title is 301 characters long", "at most 300 characters"),
    ],
)
def test_bad_cell(table, key, value, message, expected):
    wb = W.workbook()
    W.set_cell(wb, table, key, 2, value)
    v = run(wb)
    e = only(v.issues)
    assert (e.sheet, e.row, e.column, e.cell) == (table, 2, W.COLUMNS[table][key], W.cell(table, key, 2))
    assert e.message == message
    assert e.expected == expected
    assert not v.ok and v.report is None


def test_wrong_type_reports_the_value_found():
    wb = W.workbook()
    W.set_cell(wb, "Indicators", "target", 3, "twelve")
    e = only(run(wb).issues)
    assert (e.cell, e.value, e.fix) == ("F3", "twelve", "Type digits only, e.g. 1200 or 45.5.")


def test_percent_above_100_shows_value_as_typed():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "percent_complete", 2, 150)
    assert only(run(wb).issues).value == "150"


def test_percent_exactly_0_and_100_are_accepted():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "percent_complete", 2, 0)
    W.set_cell(wb, "Activities", "percent_complete", 3, 100)
    v = run(wb)
    assert v.ok and v.issues == []
    assert [a["percent_complete"] for a in v.report.activities] == [0.0, 100.0, 40.0]


def test_dates_on_the_range_limits_are_accepted():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "start_date", 2, dt.date(2000, 1, 1))
    W.set_cell(wb, "Activities", "end_date", 2, dt.date(2040, 12, 31))
    assert run(wb).issues == []


def test_duplicate_activity_ids_case_insensitive():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "activity_id", 4, "a-01")
    e = only(run(wb).issues)
    assert (e.sheet, e.cell, e.value) == ("Activities", "A4", "a-01")
    assert e.message == "ID 'a-01' is already used in row 2"


def test_duplicate_indicator_ids():
    wb = W.workbook()
    W.set_cell(wb, "Indicators", "indicator_id", 3, "I-1")
    e = only(run(wb).issues)
    assert (e.sheet, e.cell) == ("Indicators", "A3")
    assert e.message == "ID 'I-1' is already used in row 2"


def test_end_before_start():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "start_date", 3, dt.date(2025, 6, 1))
    W.set_cell(wb, "Activities", "end_date", 3, dt.date(2025, 5, 31))
    e = only(run(wb).issues)
    assert (e.sheet, e.cell, e.value) == ("Activities", "L3", "2025-05-31")
    assert e.message == "the end date is before the start date"
    assert e.expected == "on or after the start date 2025-06-01"


def test_end_equal_to_start_is_fine():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "start_date", 3, dt.date(2025, 6, 1))
    W.set_cell(wb, "Activities", "end_date", 3, dt.date(2025, 6, 1))
    assert run(wb).issues == []


def test_target_date_not_after_baseline_date():
    wb = W.workbook()
    W.set_cell(wb, "Indicators", "target_date", 2, dt.date(2025, 1, 1))
    e = only(run(wb).issues)
    assert (e.sheet, e.cell) == ("Indicators", "G2")
    assert e.message == "the target date must come after the baseline date"


# --- normalisations (warnings: the file loads) -------------------------------------------------


def test_enum_normalisation_sector():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "lead_sector", 2, "itu-t ")
    v = run(wb)
    assert v.ok
    w = only(v.issues, "warning")
    assert (w.sheet, w.cell, w.value, w.expected) == ("Activities", "D2", "itu-t ", "ITU-T")
    assert w.message == "Lead sector 'itu-t' read as ITU-T"
    assert v.report.activities[0]["lead_sector"] == "ITU-T"


def test_enum_normalisation_status_case_and_spaces():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "status", 3, "  in PROGRESS")
    v = run(wb)
    assert v.ok
    w = only(v.issues, "warning")
    assert w.cell == "J3"
    assert w.message == "Status 'in PROGRESS' read as 'In progress'"
    assert v.report.activities[1]["status"] == "In progress"


def test_numbers_as_text_with_percent_and_thousands_separator():
    wb = W.workbook()
    W.set_cell(wb, "Indicators", "actual", 2, "1 200")
    W.set_cell(wb, "Activities", "percent_complete", 3, "45%")
    v = run(wb)
    assert v.ok
    by_cell = {i.cell: i for i in v.warnings}
    assert set(by_cell) == {"H2", "M3"}
    assert by_cell["H2"].message == "Actual was text; read as 1200"
    assert by_cell["M3"].message == "Percent complete was text; read as 45"
    assert v.report.indicators[0]["actual"] == 1200.0
    assert v.report.activities[1]["percent_complete"] == 45.0


def test_a_number_with_one_comma_and_three_digits_is_ambiguous():
    wb = W.workbook()
    W.set_cell(wb, "Indicators", "actual", 2, "1,200")
    e = only(run(wb).issues)
    assert (e.sheet, e.cell, e.value) == ("Indicators", "H2", "1,200")
    assert e.message == "Actual '1,200' could mean 1200 or 1.2"
    assert e.fix == "Type the number itself, without a thousands separator: 1200 or 1.2."


def test_dates_as_text():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "start_date", 2, "15/07/2025")
    W.set_cell(wb, "Activities", "end_date", 3, "2025-07-15")
    v = run(wb)
    assert v.ok
    by_cell = {i.cell: i for i in v.warnings}
    assert set(by_cell) == {"K2", "L3"}
    assert by_cell["K2"].message == "Start date: text read as 2025-07-15 (day/month/year)"
    assert by_cell["L3"].message == "End date: text read as 2025-07-15"
    assert v.report.activities[0]["start_date"] == dt.date(2025, 7, 15)
    assert v.report.activities[1]["end_date"] == dt.date(2025, 7, 15)


def test_percent_as_fraction_is_scaled():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "percent_complete", 2, 0.45)
    v = run(wb)
    assert v.ok
    assert only(v.issues, "warning").message == "Percent complete 0.45 read as 45%"
    assert v.report.activities[0]["percent_complete"] == pytest.approx(45.0)


def test_blank_rows_between_records_are_skipped():
    wb = W.workbook()
    wb["Activities"].insert_rows(3, 2)
    v = run(wb)
    assert v.ok and v.issues == []
    assert [a["row"] for a in v.report.activities] == [2, 5, 6]


# --- every error of a file --------------------------------------------------------------------


def test_all_errors_of_a_file_are_collected():
    wb = W.workbook()
    W.set_cell(wb, "Indicators", "baseline", 2, "abc")
    W.set_cell(wb, "Activities", "percent_complete", 3, 150)
    W.set_header(wb, "sector", "ITU-X")
    v = run(wb)
    assert sorted((i.sheet, i.cell) for i in v.errors) == [
        ("Activities", "M3"),
        ("Indicators", "D2"),
        ("Report", "B4"),
    ]
    assert len(v.errors) == 3 and v.warnings == []
    assert v.report is None


def test_errors_across_structure_and_cells_are_all_reported():
    wb = W.workbook()
    del wb["Results"]
    W.set_cell(wb, "Activities", "end_date", 2, "soon")
    W.set_cell(wb, "Activities", "activity_id", 3, "A-01")
    W.set_header(wb, "template_version", "0.1")
    v = run(wb)
    got = {(i.sheet, i.cell) for i in v.errors}
    # the duplicate-ID check needs a complete report, so it runs only when all sheets are there
    assert got == {("Results", ""), ("Activities", "L2"), ("Report", "B1")}
    assert len(v.errors) == 3


def test_issue_to_dict_has_every_location_field():
    wb = W.workbook()
    W.set_cell(wb, "Indicators", "baseline", 2, "abc")
    d = only(run(wb).issues).to_dict()
    assert d == {
        "severity": "error",
        "sheet": "Indicators",
        "row": 2,
        "column": "D",
        "cell": "D2",
        "value": "abc",
        "expected": "a number",
        "message": "Baseline must be a number",
        "fix": "Type digits only, e.g. 1200 or 45.5.",
    }


def test_cells_beyond_the_table_are_not_loaded_and_said_so():
    wb = W.workbook()
    wb["Activities"]["T3"] = "a note far to the right"  # no header above it
    wb["Activities"]["T70"] = "and one far below"  # on a row with nothing else: no record
    v = run(wb)
    assert v.ok
    w = only(v.issues, "warning")
    assert (w.sheet, w.cell, w.value, w.cells) == ("Activities", "T3", "a note far to the right", ("T3", "T70"))
    assert w.message == (
        "2 entries in column T of Activities (T3 to T70) are not in a template column and were not loaded: "
        "T3 'a note far to the right', T70 'and one far below'"
    )
    assert [a["row"] for a in v.report.activities] == [2, 3, 4]


def test_ragged_rows_are_padded():
    from etl.reader import read_workbook
    from etl.validate import validate

    raw = read_workbook(W.good_bytes())
    rows = raw.sheets["Activities"]
    rows[2] = rows[2][:3]  # A-02 cut after Description: Lead sector and Status missing
    rows[3] = [*rows[3], "extra", "cells"]
    v = validate(raw, W.REF)
    assert [(i.cell, i.message) for i in v.errors] == [
        ("D3", "Lead sector is required"),
        ("J3", "Status is required"),
    ]


def test_completed_below_100_percent_is_a_warning():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "status", 3, "Completed")
    W.set_cell(wb, "Activities", "percent_complete", 3, 50)
    v = run(wb)
    assert v.ok
    w = only(v.issues, "warning")
    assert (w.cell, w.value) == ("M3", "50")
    assert w.message == "status is Completed but percent complete is below 100; kept as given"
    W.set_cell(wb, "Activities", "percent_complete", 3, 100)
    assert run(wb).issues == []


def test_end_before_start_found_among_blank_dates():
    wb = W.workbook()
    W.set_cell(wb, "Activities", "start_date", 3, None)
    W.set_cell(wb, "Activities", "end_date", 4, None)
    W.set_cell(wb, "Activities", "start_date", 2, dt.date(2027, 1, 1))
    v = run(wb)
    e = only(v.issues)
    assert (e.cell, e.message) == ("L2", "the end date is before the start date")
    W.set_cell(wb, "Activities", "start_date", 2, dt.date(2025, 1, 1))
    v = run(wb)
    assert v.ok and v.issues == []
    assert [(a["start_date"], a["end_date"]) for a in v.report.activities][1:] == [
        (None, dt.date(2026, 6, 30)),
        (dt.date(2025, 1, 1), None),
    ]


def test_large_clean_table_matches_the_cell_by_cell_path():
    """The column-at-once fast path and the cell-by-cell path give the same records."""
    from etl import validate as V
    from etl.reader import read_workbook

    rep = W.report(n_activities=120)
    for i, a in enumerate(rep.activities):
        a["percent_complete"] = [0, 0.5, 100, 37, None][i % 5]
        a["result"] = None if i % 3 else "Done"
        a["end_date"] = None if i % 4 == 0 else a["end_date"]
        a["title"] = a["title"] + (" " if i % 6 == 0 else "")
    raw = read_workbook(W.to_bytes(W.workbook(rep)))
    fast = V.validate(raw, W.REF)

    def no_clean(c, values, ref):
        return None

    original = V._clean_column
    V._clean_column = no_clean
    try:
        slow = V.validate(raw, W.REF)
    finally:
        V._clean_column = original
    assert fast.report.activities == slow.report.activities
    assert [str(i) for i in fast.issues] == [str(i) for i in slow.issues]
    assert len(fast.warnings) == 24  # the 0.5 percents, read as 50%
    assert fast.report.activities[0]["title"] == "Joint activity 1"
