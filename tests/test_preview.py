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
