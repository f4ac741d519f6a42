"""Meeting mode, completeness and overlaps pages (AppTest on the demo database) and meeting records."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from etl.load import undo
from isc import meeting as meeting_rules
from isc import status as rule
from isc.db import connection, coordination, queries
from tests.conftest import DEMO_LAST_PERIOD, ROOT

PERIOD = str(DEMO_LAST_PERIOD)


def _app(page: str, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    if user:
        at.user = user
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def _frame(at: AppTest, column: str) -> pd.DataFrame:
    """The dataframe on screen that has this column (dataframes have no key in AppTest)."""
    frames = [d.value for d in at.dataframe] + [t.value.reset_index() for t in at.table]
    return next(f for f in frames if column in f.columns)


def _step(at: AppTest) -> str:
    return next(m.value for m in at.markdown if 'data-testid="meeting-step"' in m.value)


# ------------------------------------------------------------------ records


def test_meeting_round_trip(demo_db):
    """Actions recorded at meeting 1 are listed, with their status, at meeting 2 of the same body."""
    t0 = dt.datetime(2026, 10, 20, 9, 30)
    m1 = coordination.start_meeting("ISC-TF", PERIOD, "ISC-TF 1", "dsg@itu.int", starts_at=t0, db=demo_db)
    a1 = coordination.add_action(
        m1, "SPACE", "Re-plan the space workshop", "BDT", dt.date(2026, 12, 1), db=demo_db
    )
    a2 = coordination.add_action(
        m1, "CLIM", "Merge the two AI-for-climate workshops", "TSB", None, db=demo_db
    )
    coordination.save_note(m1, "SPACE", "ITU-D explained the delays.", db=demo_db)
    iscg = coordination.start_meeting("ISCG", PERIOD, "ISCG", starts_at=t0 + dt.timedelta(days=3), db=demo_db)
    coordination.add_action(iscg, "EVT", "An ISCG action", db=demo_db)
    m2 = coordination.start_meeting(
        "ISC-TF", PERIOD, "ISC-TF 2", starts_at=t0 + dt.timedelta(days=30), db=demo_db
    )

    prev = coordination.previous_meeting(m2, demo_db)
    assert prev["id"] == m1  # the ISCG meeting in between belongs to another body
    assert coordination.previous_meeting(m1, demo_db) is None
    coordination.set_action_status(a2, "done", "chair@itu.int", db=demo_db)
    listed = coordination.actions(prev["id"], db=demo_db)
    assert listed[["id", "theme", "text", "owner", "status"]].to_dict("records") == [
        {"id": a1, "theme": "SPACE", "text": "Re-plan the space workshop", "owner": "BDT", "status": "open"},
        {
            "id": a2,
            "theme": "CLIM",
            "text": "Merge the two AI-for-climate workshops",
            "owner": "TSB",
            "status": "done",
        },
    ]
    assert listed.set_index("id").loc[a2, "updated_by"] == "chair@itu.int"
    assert coordination.actions(m1, "SPACE", db=demo_db)["id"].tolist() == [a1]
    assert coordination.notes(m1, demo_db)["notes"].tolist() == ["ITU-D explained the delays."]
    m = coordination.meeting(m1, demo_db)
    assert m["frozen_version"] == queries.data_version(demo_db) and m["created_by"] == "dsg@itu.int"
    with pytest.raises(ValueError):
        coordination.set_action_status(a1, "finished", db=demo_db)
    with pytest.raises(ValueError):
        coordination.add_action(m1, "SPACE", "   ", db=demo_db)
    with pytest.raises(ValueError):
        coordination.start_meeting("Council", PERIOD, db=demo_db)


def test_schema_migration_adds_the_coordination_tables(tmp_path):
    """A version-1 database gains the meeting tables on the first coordination write."""
    import duckdb

    from isc.db import schema

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(schema.MIGRATIONS[1])
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.close()
    assert coordination.meetings(path).empty  # read-only: no table yet, no error
    mid = coordination.start_meeting("ISCG", "2025-Q1", db=path)
    assert coordination.meetings(path)["id"].tolist() == [mid]
    with connection.read(path) as c:
        assert schema.current_version(c) == schema.SCHEMA_VERSION


def test_agenda_puts_off_track_and_changed_themes_first():
    cur = pd.DataFrame(
        {
            "theme": ["A", "B", "C", "D", "E"],
            "theme_name": ["a", "b", "c", "d", "e"],
            "track_position": [2, 1, 1, 3, 2],
            "computed_status": [rule.ON_TRACK, rule.ON_TRACK, rule.OFF_TRACK, rule.AT_RISK, rule.AT_RISK],
        }
    )
    first = meeting_rules.agenda(cur)
    assert first["theme"].tolist() == [
        "C",
        "B",
        "A",
        "E",
        "D",
    ]  # no previous meeting: off track, then by track
    prev = pd.DataFrame(
        {
            "theme": ["A", "B", "C", "D", "E"],
            "computed_status": [rule.ON_TRACK, rule.OFF_TRACK, rule.OFF_TRACK, rule.ON_TRACK, rule.AT_RISK],
        }
    )
    ag = meeting_rules.agenda(cur, prev)
    assert ag["theme"].tolist() == ["C", "D", "B", "A", "E"]
    assert ag.set_index("theme").loc["B", "why_first"] == "changed since the last meeting (was Off track)"
    assert ag.set_index("theme").loc["C", "why_first"] == "off track"


# ------------------------------------------------------------------ meeting page


def test_meeting_page_walks_the_agenda_and_records_actions(demo_db):
    at = _app("meeting")
    assert at.title[0].value == "Meeting mode"
    assert any("stSidebar" in m.value and "display: none" in m.value for m in at.markdown)
    at.text_input(key="new_meeting_title").input("ISC-TF 1")
    at.button[0].click().run()
    _ok(at)
    assert "Step 1 of 17" in _step(at)
    agenda = _frame(at, "Discuss first because")
    assert agenda["Theme"].iloc[0] == "Space" and agenda["Status"].iloc[0] == "Off track"

    at.button(key="meeting_next").click().run()
    assert "Theme 1 of 16" in _ok(at).markdown[2].value or "Theme 1 of 16" in _step(at)
    assert at.header[0].value == "Space"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    bars = {t["name"]: t["x"] for t in spec["data"]}
    assert "ITU-D" in bars["Off track"]
    at.text_area[0].input("ITU-D explained the delays.").run()
    at.text_input(key="action_text_SPACE").input("Re-plan the space workshop")
    at.text_input(key="action_owner_SPACE").input("BDT")
    at.button(key="FormSubmitter:action_form_SPACE-Add action").click().run()
    _ok(at)
    assert any("Re-plan the space workshop" in m.value and "BDT" in m.value for m in at.markdown)

    at.button(key="meeting_next").click().run()
    second = _ok(at).header[0].value
    at.text_input(key=f"action_text_{_theme(at)}").input("Agree a single lead Sector")
    at.button(key=f"FormSubmitter:action_form_{_theme(at)}-Add action").click().run()
    at.button(key="meeting_next").click().run()
    at.button(key="meeting_prev").click().run()
    assert _ok(at).header[0].value == second
    at.button(key="end_meeting").click().run()

    m1 = coordination.meetings()["id"].iloc[0]
    assert coordination.actions(m1)["text"].tolist() == [
        "Re-plan the space workshop",
        "Agree a single lead Sector",
    ]
    assert coordination.notes(m1)["notes"].tolist() == ["ITU-D explained the delays."]

    # the next meeting lists those actions, and a status change is saved
    at.button[0].click().run()
    _ok(at)
    assert "ISC-TF 1" in " ".join(m.value for m in at.markdown)
    boxes = [s for s in at.selectbox if s.key and s.key.startswith("action_status_all_")]
    assert [b.value for b in boxes] == ["open", "open"]
    boxes[0].select("done").run()
    assert coordination.actions(m1)["status"].tolist() == ["done", "open"]
    at.button(key="meeting_next").click().run()
    assert _ok(at).header[0].value == "Space"
    assert any(
        s.key == f"action_status_SPACE_{coordination.actions(m1)['id'].iloc[0]}" and s.value == "done"
        for s in at.selectbox
    )


def _theme(at: AppTest) -> str:
    return next(t.key.removeprefix("action_text_") for t in at.text_input if t.key.startswith("action_text_"))


def test_meeting_numbers_stay_frozen(demo_db):
    at = _app("meeting")
    at.button[0].click().run()
    at.button(key="meeting_next").click().run()
    assert _ok(at).header[0].value == "Space"
    # the off-track report is undone while the meeting runs: the meeting still shows it
    live = queries.report_status(PERIOD)
    row = live[(live["theme"] == "SPACE") & (live["computed_status"] == rule.OFF_TRACK)].iloc[0]
    undo(int(row["upload_id"]), actor="test")
    now = queries.theme_status(PERIOD).set_index("theme")
    assert now.loc["SPACE", "computed_status"] != rule.OFF_TRACK
    at.run()
    assert _ok(at).header[0].value == "Space"
    assert "Computed: Off track" in " ".join(m.value for m in at.markdown)
    # the next meeting sees the new data and says the status changed since the last meeting
    at.button(key="end_meeting").click().run()
    at.button[0].click().run()
    agenda = _frame(_ok(at), "Discuss first because").set_index("Theme")
    assert agenda.loc["Space", "Discuss first because"].startswith(
        "changed since the last meeting (was Off track"
    )


# ------------------------------------------------------------------ completeness and overlaps pages


def test_completeness_page(demo_db):
    at = _app("completeness")
    metrics = {m.label: int(m.value) for m in at.metric}
    assert metrics["Missing"] > 0 and metrics["Late"] > 0 and metrics["On time"] > 0
    expected = len(queries.report_status(PERIOD))
    assert metrics["On time"] + metrics["Late"] + metrics["Missing"] + metrics["Not yet due"] == expected
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    colours = {t["name"]: t["marker"]["color"] for t in spec["data"]}
    assert colours == {"On time": "#009E73", "Late": "#B87A00", "Missing": "#D55E00"}  # >= 3:1 on white
    overdue = _frame(at, "days_overdue")
    assert len(overdue) == metrics["Missing"] and overdue["email"].str.contains("@").all()
    assert "ITU-D" in set(overdue["sector"])  # the demo's late Sector this quarter
    assert any("Lowest on-time rate" in m.value and "ITU-D" in m.value for m in at.markdown)
    assert at.get("download_button")
    # a longer grace period turns late reports into on-time ones
    at.number_input(key="completeness_grace").set_value(30).run()
    later = {m.label: int(m.value) for m in _ok(at).metric}
    assert later["Late"] < metrics["Late"] and later["On time"] > metrics["On time"]
    assert later["Missing"] == metrics["Missing"]


def test_overlaps_page_review_removes_the_pair(demo_db):
    at = _app("overlaps", {"email": "reviewer@itu.int"})
    metrics = {m.label: m.value for m in at.metric}
    n = int(metrics["Possible overlaps to review"])
    assert n >= 1 and int(metrics["Joint activities (several Sectors)"]) > 0
    text = " ".join(m.value for m in at.markdown)
    assert (
        "Regional cybersecurity drill for Africa" in text
        and "Cybersecurity drill for the Africa region" in text
    )
    verdict = next(s for s in at.selectbox if s.key.startswith("verdict_") and "RES" in s.key)
    record_key = verdict.key.replace("verdict_", "record_", 1)
    verdict.select("duplicate").run()
    at.button(key=record_key).click().run()
    _ok(at)
    assert int(next(m.value for m in at.metric if m.label == "Possible overlaps to review")) == n - 1
    r = coordination.reviews()
    assert r["verdict"].tolist() == ["duplicate"] and r["reviewer"].tolist() == ["reviewer@itu.int"]
    assert not any(s.key == verdict.key for s in at.selectbox)
