"""Meeting mode, completeness and overlaps pages (AppTest on the demo database) and meeting records."""

from __future__ import annotations

import datetime as dt
import json
import time

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from etl.load import undo
from isc import meeting as meeting_rules
from isc import status as rule
from isc.db import connection, coordination, queries
from isc.filters import Filters
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


def _why_first_en(parts) -> str:
    """isc.meeting's why_first parts in English, as the Meeting page says them (params: status codes)."""
    from isc.charts import status_label
    from isc.i18n import translate

    return "; ".join(translate("en", k, **{n: status_label(v) for n, v in p.items()}) for k, p in parts)


def test_agenda_puts_attention_themes_first():
    """Attention first: off track, at risk, not reported, then themes there only because they
    changed; each by track. Then the rest by track and name."""
    cur = pd.DataFrame(
        {
            "theme": ["A", "B", "C", "D", "E", "F"],
            "theme_name": ["a", "b", "c", "d", "e", "f"],
            "track_position": [2, 1, 1, 3, 2, 1],
            "computed_status": [
                rule.ON_TRACK, rule.ON_TRACK, rule.OFF_TRACK, rule.AT_RISK, rule.AT_RISK, rule.NOT_REPORTED,
            ],
        }
    )  # fmt: skip
    first = meeting_rules.agenda(cur)
    # no previous meeting: off track, at risk (by track), not reported, then the rest by track
    assert first["theme"].tolist() == ["C", "E", "D", "F", "B", "A"]
    assert first["priority"].tolist() == [0, 0, 0, 0, 1, 1]
    assert first.set_index("theme").loc["E", "why_first"] == (("meeting.first.at_risk", {}),)
    assert _why_first_en(first.set_index("theme").loc["E", "why_first"]) == "at risk"
    prev = pd.DataFrame(
        {
            "theme": ["A", "B", "C", "D", "E", "F"],
            "computed_status": [
                rule.ON_TRACK, rule.OFF_TRACK, rule.OFF_TRACK, rule.ON_TRACK, rule.AT_RISK, rule.NOT_REPORTED,
            ],
        }
    )  # fmt: skip
    ag = meeting_rules.agenda(cur, prev)
    assert ag["theme"].tolist() == ["C", "E", "D", "F", "B", "A"]  # B: only changed, after not reported
    why = ag.set_index("theme")["why_first"]
    assert why["D"] == (("meeting.first.at_risk", {}), ("meeting.changed", {"was": rule.ON_TRACK}))
    assert _why_first_en(why["B"]) == "changed since the last meeting (was Off track)"
    assert _why_first_en(why["D"]) == "at risk; changed since the last meeting (was On track)"
    assert _why_first_en(why["C"]) == "off track"
    assert _why_first_en(why["A"]) == ""
    assert meeting_rules.ATTENTION_FIRST == (rule.OFF_TRACK, rule.AT_RISK, rule.NOT_REPORTED)


def test_the_walk_and_what_is_behind():
    agenda = pd.DataFrame({"theme": ["C", "E"]})
    assert meeting_rules.steps(agenda) == ["actions", "C", "E"]
    assert [meeting_rules.step_at(s, 3) for s in (-1, 0, 2, 3)] == [0, 0, 2, 2]
    reasons = pd.DataFrame({"ref": ["a", "b", "c", "d"],
                            "status": [rule.AT_RISK, rule.ON_TRACK, rule.OFF_TRACK, rule.AT_RISK]})
    assert meeting_rules.behind(reasons)["ref"].tolist() == ["c", "a", "d"]  # worst first, stable
    assert meeting_rules.behind(reasons.iloc[:0]).empty


def test_register_states():
    today = dt.date(2026, 11, 30)
    assert meeting_rules.register_state("open", dt.date(2026, 11, 29), today) == "overdue"
    assert meeting_rules.register_state("open", dt.date(2026, 11, 30), today) == "open"  # due today: not yet
    assert meeting_rules.register_state("open", None, today) == "open"
    assert meeting_rules.register_state("done", dt.date(2020, 1, 1), today) == "done"
    acts = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "status": ["done", "open", "open", "dropped"],
            "due_date": [dt.date(2026, 1, 1), dt.date(2027, 1, 1), dt.date(2026, 1, 1), None],
        }
    )
    reg = meeting_rules.register(acts, today)
    assert reg["id"].tolist() == [3, 2, 1, 4] and reg["state"].tolist() == ["overdue", "open", "done", "dropped"]


# ------------------------------------------------------------------ meeting page


def _start(at: AppTest, title: str = "ISC-TF 1") -> AppTest:
    at.text_input(key="new_meeting_title").input(title)
    at.button(key="FormSubmitter:start_meeting-Start meeting").click().run()
    return _ok(at)


def test_meeting_page_walks_the_agenda_and_records_actions(demo_db):
    at = _app("meeting")
    assert at.title[0].value == "Meeting mode"
    assert any("stSidebar" in m.value and "display: none" in m.value for m in at.markdown)
    _start(at)
    assert "Step 1 of 17" in _step(at)
    agenda = _frame(at, "Discuss first because")
    # attention first: off track, then at risk (by track), then the rest
    assert agenda["Theme"].iloc[0] == "Space" and agenda["Status"].iloc[0] == "Off track"
    assert agenda["Status"].iloc[1:4].tolist() == ["At risk"] * 3
    assert agenda["Discuss first because"].iloc[1] == "at risk"
    at.text_area(key=f"attendance_{_mid()}").input("ITU-R\nITU-T\nITU-D\nGeneral Secretariat").run()
    assert coordination.meeting(_mid())["attendance"] == "ITU-R\nITU-T\nITU-D\nGeneral Secretariat"

    at.button(key="meeting_next").click().run()
    assert "Theme 1 of 16" in _step(_ok(at))
    assert at.header[0].value == "Space"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    bars = {t["name"]: t["x"] for t in spec["data"]}
    assert "ITU-D" in bars["Off track"]
    at.text_area(key=f"meeting_note_{_mid()}_SPACE").input("ITU-D explained the delays.").run()
    at.text_area(key=f"meeting_decided_{_mid()}_SPACE").input("Re-plan with ITU-D.").run()
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

    m1 = _mid()
    assert coordination.actions(m1)["text"].tolist() == [
        "Re-plan the space workshop",
        "Agree a single lead Sector",
    ]
    notes = coordination.notes(m1)
    assert notes[["notes", "decided"]].values.tolist() == [["ITU-D explained the delays.", "Re-plan with ITU-D."]]
    # ending records who and when, and the meeting is now read-only with its minutes
    ended = coordination.meeting(m1)
    assert ended["ended_by"] == "local" and pd.notna(ended["ended_at"])
    assert "Step 1 of 17" in _step(_ok(at))
    assert any("Meeting ended" in s.value for s in at.success)
    assert [b.key for b in at.get("download_button")][:1] == ["minutes_docx"]
    assert at.text_area(key=f"attendance_{m1}").disabled
    assert not [b for b in at.button if b.key == "end_meeting"]
    at.button(key="meeting_next").click().run()
    assert not [f for f in at.text_input if (f.key or "").startswith("action_text_")]  # no action form
    assert at.text_area(key=f"meeting_note_{m1}_SPACE").disabled
    at.button(key="close_meeting").click().run()

    # the past meetings list, then the next meeting lists those actions; a status change is saved
    past = _frame(_ok(at), "Data version")
    assert past["Title"].tolist() == ["ISC-TF 1"] and past["Ended"].iloc[0].endswith("by local")
    _start(at, "ISC-TF 2")
    assert "2" in " ".join(m.value for m in at.markdown)
    boxes = [s for s in at.selectbox if s.key and s.key.startswith("action_status_all_")]
    assert [b.value for b in boxes] == ["open", "open"]
    assert any("set at ISC-TF 1" in m.value for m in at.markdown)
    boxes[0].select("done").run()
    assert coordination.actions(m1)["status"].tolist() == ["done", "open"]
    # the change stays on screen (changed during this meeting) and is in the history
    assert [s.value for s in at.selectbox if s.key and s.key.startswith("action_status_all_")] == ["done", "open"]
    history = coordination.action_history(int(coordination.actions(m1)["id"].iloc[0]))
    assert history["status"].tolist() == ["done", "open"] and history["changed_by"].tolist() == ["local", "local"]
    at.button(key="meeting_next").click().run()
    assert _ok(at).header[0].value == "Space"
    assert any(
        s.key == f"action_status_SPACE_{coordination.actions(m1)['id'].iloc[0]}" and s.value == "done"
        for s in at.selectbox
    )


def _mid() -> int:
    return int(coordination.meetings()["id"].iloc[0])


def _theme(at: AppTest) -> str:
    return next(t.key.removeprefix("action_text_") for t in at.text_input if t.key.startswith("action_text_"))


def test_why_list_is_whole(demo_db):
    """Every indicator or activity behind expectations is listed (in a scrolling box), not five."""
    at = _app("meeting")
    _start(at)
    at.button(key="meeting_next").click().run()
    m = coordination.meeting(_mid())
    reasons = queries.status_reasons("SPACE", PERIOD, version=int(m["frozen_version"]))
    worrying = reasons[reasons["status"].isin([rule.OFF_TRACK, rule.AT_RISK])]
    _ok(at)
    assert f"Why ({len(worrying)})" in " ".join(s.value for s in at.subheader)
    assert len(worrying) > 5
    box = next(m.value for m in at.markdown if m.value.startswith("- **"))
    assert box.count("\n- **") + 1 == len(worrying) and "more" not in box


def test_meeting_numbers_stay_frozen(demo_db):
    at = _app("meeting")
    _start(at)
    at.button(key="meeting_next").click().run()
    assert _ok(at).header[0].value == "Space"
    # the off-track report is undone while the meeting runs: the meeting still shows it
    live = queries.report_status(Filters(PERIOD))
    row = live[(live["theme"] == "SPACE") & (live["computed_status"] == rule.OFF_TRACK)].iloc[0]
    undo(int(row["upload_id"]), actor="test")
    now = queries.theme_status(Filters(PERIOD)).set_index("theme")
    assert now.loc["SPACE", "computed_status"] != rule.OFF_TRACK
    at.run()
    assert _ok(at).header[0].value == "Space"
    assert "Computed: Off track" in " ".join(m.value for m in at.markdown)
    # the next meeting sees the new data and says the status changed since the last meeting
    at.button(key="end_meeting").click().run()
    at.button(key="close_meeting").click().run()
    _start(at, "ISC-TF 2")
    agenda = _frame(_ok(at), "Discuss first because").set_index("Theme")
    assert "changed since the last meeting (was Off track" in agenda.loc["Space", "Discuss first because"]


def test_open_actions_of_every_earlier_meeting_are_carried(demo_db):
    t0 = dt.datetime(2026, 10, 1, 9, 0)
    m1 = coordination.start_meeting("ISC-TF", PERIOD, "TF 1", starts_at=t0, db=demo_db)
    a1 = coordination.add_action(m1, "SPACE", "Still open from the first meeting", db=demo_db)
    a2 = coordination.add_action(m1, "CLIM", "Done before the second", db=demo_db)
    coordination.set_action_status(a2, "done", "sec@example.org", db=demo_db)
    m2 = coordination.start_meeting("ISC-TF", PERIOD, "TF 2", starts_at=t0 + dt.timedelta(days=30), db=demo_db)
    a3 = coordination.add_action(m2, "SPACE", "Set at the second", db=demo_db)
    time.sleep(1.1)  # a change is "during the meeting" from the second the meeting started
    m3 = coordination.start_meeting("ISC-TF", PERIOD, "TF 3", db=demo_db)
    carried = coordination.carried_actions(m3, db=demo_db)
    assert carried["id"].tolist() == [a1, a3]  # a2 was closed before this meeting started
    assert carried["set_title"].tolist() == ["TF 1", "TF 2"]
    assert coordination.carried_actions(m3, "CLIM", db=demo_db).empty
    # closed during the meeting: still listed, with its new status
    coordination.set_action_status(a1, "done", db=demo_db)
    assert coordination.carried_actions(m3, db=demo_db).set_index("id").loc[a1, "status"] == "done"
    coordination.end_meeting(m3, "sec@example.org", db=demo_db)
    coordination.end_meeting(m3, "someone.else@example.org", db=demo_db)  # the first end counts
    assert coordination.meeting(m3, demo_db)["ended_by"] == "sec@example.org"
    # setting the status it already has records nothing
    coordination.set_action_status(a3, "open", db=demo_db)
    assert coordination.action_history(a3, db=demo_db)["status"].tolist() == ["open"]


def test_schema_5_migrates_meetings_and_action_history(tmp_path):
    """A schema-4 database keeps its meetings and actions; each action gets its history."""
    import duckdb

    from isc.db import schema

    path = tmp_path / "v4.duckdb"
    con = duckdb.connect(str(path))
    for v in (1, 2, 3, 4):
        con.execute(schema.MIGRATIONS[v])
    con.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    con.execute("INSERT INTO meeting (body, title, period, starts_at, frozen_version) VALUES "
                "('ISCG', 'old', '2025-Q1', TIMESTAMP '2025-05-01 10:00', 0)")
    con.execute("INSERT INTO action (meeting_id, text, status, created_at, updated_at, updated_by) VALUES "
                "(1, 'a', 'open', TIMESTAMP '2025-05-01 10:00', TIMESTAMP '2025-05-01 10:00', 'x'), "
                "(1, 'b', 'done', TIMESTAMP '2025-05-01 10:00', TIMESTAMP '2025-06-01 10:00', 'chair')")
    con.close()
    old = coordination.meeting(1, path)
    assert old["title"] == "old" and old["ended_by"] is None  # read before migrating: NULL columns
    coordination.end_meeting(1, "chair", db=path)
    assert coordination.meeting(1, path)["ended_by"] == "chair"
    history = coordination.action_history(db=path)
    assert sorted(zip(history["action_id"], history["status"], strict=True)) == [(1, "open"), (2, "done"), (2, "open")]


# ------------------------------------------------------------------ rights


def _add_user(db, email: str, role: str) -> None:
    with connection.write(db) as con:
        con.execute("INSERT INTO app_user (email, role, themes, sectors) VALUES (?, ?, '', '')", [email, role])


def test_secretary_runs_a_meeting_and_is_recorded(demo_db):
    _add_user(demo_db, "secretary@example.org", "secretary")
    at = _app("meeting", {"is_logged_in": True, "email_verified": True, "email": "secretary@example.org"})
    _start(at, "Secretary's meeting")
    m = coordination.meeting(_mid())
    assert m["created_by"] == "secretary@example.org"
    at.text_area(key=f"attendance_{_mid()}").input("ITU-R\nITU-T").run()
    assert coordination.meeting(_mid())["attendance_by"] == "secretary@example.org"
    at.button(key="meeting_next").click().run()
    at.text_input(key="action_text_SPACE").input("An action")
    at.button(key="FormSubmitter:action_form_SPACE-Add action").click().run()
    at.button(key="end_meeting").click().run()
    assert coordination.actions(int(m["id"]))["updated_by"].tolist() == ["secretary@example.org"]
    assert coordination.meeting(int(m["id"]))["ended_by"] == "secretary@example.org"


@pytest.mark.parametrize(
    "user",
    [
        {"is_logged_in": True, "email_verified": True, "email": "fp.climate@example.org"},  # a focal point
        {"is_logged_in": True, "email_verified": True, "email": "stranger@example.org"},  # signed in, not listed
        {"is_logged_in": False},  # signed out
    ],
)
def test_others_see_meetings_read_only(demo_db, user):
    mid = coordination.start_meeting("ISC-TF", PERIOD, "Running meeting", "secretary@example.org")
    coordination.add_action(mid, "SPACE", "Re-plan the space workshop", "BDT")
    at = _app("meeting", user)
    assert not [b for b in at.button if (b.key or "").startswith("FormSubmitter:start_meeting")]
    assert any("not write in them" in i.value for i in at.info)
    at.button(key="resume_meeting").click().run()
    _ok(at)
    assert at.text_area(key=f"attendance_{mid}").disabled
    assert not [b for b in at.button if b.key in ("end_meeting", "save_attendance")]
    assert any("not write in them" in c.value for c in at.caption)
    at.button(key="meeting_next").click().run()
    assert at.text_area(key=f"meeting_note_{mid}_SPACE").disabled
    assert not [f for f in at.text_input if (f.key or "").startswith("action_text_")]
    # the action register: read, but no status change
    reg = _app("actions", user)
    assert "Re-plan the space workshop" in _frame(reg, "Action")["Action"].tolist()
    assert not [b for b in reg.button if "actions_change" in (b.key or "")]
    assert any("needs the secretary or administrator role" in i.value for i in reg.info)


# ------------------------------------------------------------------ action register


def test_action_register_lists_states_and_records_changes(demo_db):
    t0 = dt.datetime(2026, 9, 1, 10, 0)
    m1 = coordination.start_meeting("ISC-TF", PERIOD, "TF September", starts_at=t0)
    late = coordination.add_action(m1, "SPACE", "Overdue action", "BDT", dt.date(2026, 10, 1))
    later = coordination.add_action(m1, "CLIM", "=HYPERLINK(\"http://x\")", "TSB", dt.date(2027, 3, 1))
    m2 = coordination.start_meeting("ISCG", PERIOD, "ISCG October", starts_at=t0 + dt.timedelta(days=40))
    done = coordination.add_action(m2, "EVT", "Finished action", None, None)
    coordination.set_action_status(done, "done", "chair@example.org")
    at = _app("actions")
    assert at.title[0].value == "Action register"
    metrics = {m.label: int(m.value) for m in at.metric}
    assert metrics == {"Overdue": 1, "Open": 1, "Done": 1, "Dropped": 0}
    table = _frame(at, "State")
    assert table["No."].tolist() == [late, later]  # open and overdue by default, overdue first
    assert table["State"].tolist() == ["Overdue", "Open"]
    assert table["Set at"].tolist() == ["TF September (2026-09-01)"] * 2
    at.multiselect(key="actions_states").select("done").run()
    assert _frame(_ok(at), "State")["No."].tolist() == [late, later, done]
    # the register as Excel (isc.export.table_xlsx writes text as text, never as a formula)
    assert [b.label for b in at.get("download_button")] == ["Download the 3 actions shown (Excel)"]
    # a status change, recorded with who and when, shown in the history
    at.selectbox(key="actions_pick").select(late)
    at.selectbox(key="actions_new_status").select("done")
    at.button(key="FormSubmitter:actions_change-Record").click().run()
    _ok(at)
    assert coordination.action_history(late)["status"].tolist() == ["done", "open"]
    history = _frame(at, "Change")
    assert history.iloc[0][["By", "No.", "Change"]].tolist() == ["local", late, "Done"]


# ------------------------------------------------------------------ completeness and overlaps pages


def test_completeness_page(demo_db):
    at = _app("completeness")
    metrics = {m.label: int(m.value) for m in at.metric}
    assert metrics["Missing"] > 0 and metrics["Late"] > 0 and metrics["On time"] > 0
    expected = len(queries.report_status(Filters(PERIOD)))
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
    at = _app("overlaps", {"is_logged_in": True, "email_verified": True, "email": "admin@example.org"})
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
    assert r["verdict"].tolist() == ["duplicate"] and r["reviewer"].tolist() == ["admin@example.org"]
    assert not any(s.key == verdict.key for s in at.selectbox)
