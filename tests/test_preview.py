"""The preview of an upload: new / changed / removed activities, indicator values, status."""

from __future__ import annotations

import copy

import pytest

from etl import preview
from etl.load import check, init_db, load_bytes
from etl.reference import Reference
from etl.spec import ReportData
from isc.db import uploads
from isc.periods import Period
from tests import workbooks as W

END = Period.parse(W.PERIOD).end
HEADER = {
    "theme": W.THEME,
    "period": W.PERIOD,
    "sector": W.SECTOR,
    "self_status": "On track",
    "summary": "Test report",
    "prepared_by": "Test focal point",
    "template_version": "1.0",
}


@pytest.fixture(autouse=True)
def _summaries_come_out_of_the_catalogue(monkeypatch):
    """Every preview a test here makes has its summary in the catalogue too (preview.* entries,
    shown on the Upload page in the interface language): English gives exactly summary(), and
    French fills in without error and says something else."""
    made = []

    def recording(*args, **kwargs):
        made.append(preview_compare(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(preview, "compare", recording)
    yield
    for p in made:
        assert p.summary_in("en") == p.summary()
        french = p.summary_in("fr")
        assert len(french) == len(p.summary()) and not set(french) & set(p.summary()), french


preview_compare = preview.compare


def report(acts=3, inds=2, **header) -> ReportData:
    base = W.report(acts, inds)
    return ReportData(HEADER | header, base.activities, base.indicators, base.results, base.risks)


def test_identical_reports_have_no_change():
    p = preview.compare(report(), report(), END)
    assert not p.has_changes and not p.is_new_report
    assert p.summary() == ["No change: this file holds the same data as the report loaded now."]
    assert p.status_old == p.status_new == "on_track"


def test_first_report_for_a_key_is_new():
    p = preview.compare(report(), None, END)
    assert p.is_new_report and p.has_changes
    assert [a["activity_id"] for a in p.activities_new] == ["A-01", "A-02", "A-03"]
    assert p.status_old == "not_reported" and p.status_new == "on_track"
    assert p.summary()[0] == f"New report: no report for {W.THEME} {W.PERIOD} {W.SECTOR} is loaded yet."
    assert "Computed status: Not reported -> On track" in p.summary()


def test_new_changed_removed_activities_by_id_case_insensitive():
    old = report(acts=3)
    new = report(acts=0)
    new.activities = [
        W.activity(1),  # unchanged
        W.activity(2, activity_id="a-02", percent_complete=75, status="Delayed"),  # changed, id case differs
        W.activity(4),  # new
    ]  # A-03 removed
    p = preview.compare(new, old, END)
    assert [a["activity_id"] for a in p.activities_new] == ["A-04"]
    assert [a["activity_id"] for a in p.activities_removed] == ["A-03"]
    assert p.activities_changed == ["a-02"]
    assert {(c.field, c.old, c.new) for c in p.activity_changes} == {
        ("Percent complete", 40.0, 75.0),
        ("Status", "In progress", "Delayed"),
    }
    assert "1 new activity" in p.summary() and "1 removed activity" in p.summary()
    assert "1 changed activity" in p.summary()


def test_indicator_value_change_and_status_change():
    old = report()
    new = copy.deepcopy(old)
    new.indicators[0]["actual"] = 0  # far behind the interpolated target: off track
    p = preview.compare(new, old, END)
    assert [(c.ref, c.field, c.old, c.new) for c in p.indicator_changes] == [("I-1", "Actual", 4.0, 0.0)]
    assert p.status_old == "on_track" and p.status_new == "off_track" and p.status_changed
    assert "Computed status: On track -> Off track" in p.summary()


def test_values_are_compared_as_the_database_keeps_them():
    old = report()
    new = copy.deepcopy(old)
    new.activities[0]["percent_complete"] = 40.0  # int 40 in old
    new.activities[0]["result"] = "   "  # blank text = no value
    old.activities[0]["result"] = None
    assert not preview.compare(new, old, END).has_changes


def test_header_results_and_risks_changes_are_listed():
    old = report()
    new = report(summary="New summary")
    new.risks = []
    p = preview.compare(new, old, END)
    assert [(c.field, c.old, c.new) for c in p.header_changes] == [
        ("Narrative summary", "Test report", "New summary")
    ]
    assert "Report sheet: Narrative summary changed" in p.summary()
    assert "Risks: 1 -> 0" in p.summary()


def test_preview_against_the_live_report_read_from_the_database(tmp_path):
    """Round trip: a file equal to the loaded one previews as no change; an edit shows exactly."""
    db = tmp_path / "isc.duckdb"
    ref = Reference.load()
    init_db(db, ref)
    first = W.good_bytes()
    assert load_bytes(first, "first.xlsx", db=db, ref=ref).outcome == "loaded"
    live = uploads.live_report(W.THEME, W.PERIOD, W.SECTOR, db=db)
    assert live is not None and live.upload_id == 1

    same = check(W.good_bytes(), ref).report
    assert not preview.compare(same, live.report, END).has_changes

    wb = W.workbook()
    W.set_cell(wb, "Indicators", "actual", 2, 9)
    W.set_cell(wb, "Activities", "title", 3, "Renamed activity")
    edited = check(W.to_bytes(wb), ref).report
    p = preview.compare(edited, live.report, END)
    assert [(c.ref, c.field, c.old, c.new) for c in p.indicator_changes] == [("I-1", "Actual", 4.0, 9.0)]
    assert [(c.ref, c.field, c.new) for c in p.activity_changes] == [("A-02", "Title", "Renamed activity")]
    assert not p.activities_new and not p.activities_removed


# --- against last quarter's report (issue 12: a new quarter is not "all new, 0 changed") ---------

PREVIOUS = "2025-Q2"


def test_a_new_quarter_is_compared_with_last_quarters_report():
    """No report is live for the quarter yet: the file is compared with last quarter's report too,
    and the status change is told against last quarter's status, labelled with that quarter."""
    last = report(period=PREVIOUS)
    last.indicators[0]["actual"] = 0  # far behind: off track at the end of 2025-Q2
    new = report(acts=0)
    new.activities = [W.activity(1), W.activity(2, percent_complete=80), W.activity(4)]  # A-03 gone
    p = preview.compare(new, None, END, last)
    assert p.is_new_report and p.previous is not None
    since = p.previous
    assert since.baseline_period == PREVIOUS and not since.is_new_report
    assert [a["activity_id"] for a in since.activities_new] == ["A-04"]
    assert since.activities_changed == ["A-02"]
    assert [a["activity_id"] for a in since.activities_removed] == ["A-03"]
    assert [(c.ref, c.field, c.old, c.new) for c in since.indicator_changes] == [("I-1", "Actual", 0.0, 4.0)]
    assert since.status_old == "off_track" and p.status_new == "on_track"
    # the status shown moves from last quarter's, not from "Not reported"
    assert p.status_before == ("off_track", PREVIOUS) and p.status_moves
    assert p.summary()[-1] == f"Computed status: Off track in {PREVIOUS} -> On track"
    assert "Not reported" not in " ".join(p.summary())
    assert since.summary() == [
        "1 new activity",
        "1 changed activity",
        "1 removed activity",
        "1 changed indicator",
        f"Computed status: Off track in {PREVIOUS} -> On track",
    ]
    # the narrative, results and risks belong to each quarter: not listed as changes
    assert not since.header_changes


def test_same_activities_as_last_quarter_say_so():
    p = preview.compare(report(), None, END, report(period=PREVIOUS))
    assert not p.previous.has_changes
    assert p.previous.summary() == [f"Same activities, indicators and computed status as the {PREVIOUS} report"]
    assert p.status_before == ("on_track", PREVIOUS) and not p.status_moves
    assert p.summary()[-1] == f"Computed status stays On track, as in {PREVIOUS}"


def test_a_replacement_tells_the_status_against_the_replaced_report():
    """A report is live for the quarter: its status is the one the change is told against; last
    quarter's comparison is there too (Preview.previous) without taking over."""
    live = report()
    live.indicators[0]["actual"] = 0
    p = preview.compare(report(), live, END, report(period=PREVIOUS))
    assert not p.is_new_report and p.status_before == ("off_track", None)
    assert "Computed status: Off track -> On track" in p.summary()
    assert p.previous.baseline_period == PREVIOUS and not p.previous.has_changes


def test_without_any_earlier_report_there_is_nothing_to_compare_with():
    p = preview.compare(report(), None, END, None)
    assert p.previous is None and p.status_before == ("not_reported", None)


def test_summaries_against_last_quarter_in_french():
    last = report(period=PREVIOUS)
    last.indicators[0]["actual"] = 0
    p = preview.compare(report(), None, END, last)
    assert p.summary_in("fr")[-1] == f"Statut calculé : Hors trajectoire en {PREVIOUS} -> En bonne voie"
    assert p.previous.summary_in("en") == p.previous.summary()
    french = p.previous.summary_in("fr")
    assert len(french) == len(p.previous.summary()) and not set(french) & set(p.previous.summary())


def test_live_and_previous_read_from_the_database_at_a_data_version(tmp_path):
    """isc.db.uploads: the live report of a key and last quarter's, now or at a data version."""
    db = tmp_path / "isc.duckdb"
    ref = Reference.load()
    init_db(db, ref)
    q2 = load_bytes(W.good_bytes(period=PREVIOUS), "q2.xlsx", db=db, ref=ref)
    q3 = load_bytes(W.good_bytes(), "q3.xlsx", db=db, ref=ref)
    assert q2.outcome == q3.outcome == "loaded"
    live, prev = uploads.live_and_previous(W.THEME, W.PERIOD, W.SECTOR, db=db)
    assert (live.upload_id, live.period, prev.upload_id, prev.period) == (q3.upload_id, W.PERIOD, q2.upload_id, PREVIOUS)
    assert prev.file_name == "q2.xlsx" and prev.report.activities == live.report.activities
    # at the version q2 made, nothing was live for 2025-Q3 yet
    assert uploads.live_report(W.THEME, W.PERIOD, W.SECTOR, db=db, version=q2.version) is None
    assert uploads.previous_report(W.THEME, W.PERIOD, W.SECTOR, db=db, version=q2.version).upload_id == q2.upload_id
    assert uploads.previous_report(W.THEME, PREVIOUS, W.SECTOR, db=db) is None
    # a later quarter is compared with the latest earlier one
    assert uploads.previous_report(W.THEME, "2026-Q1", W.SECTOR, db=db).upload_id == q3.upload_id
