"""Numbers the Deputy Secretary-General can trust.

A theme's status rolls up from the reports its Sectors owe; a missing report never reads as
progress; every page and the Council pack count the same things; the quarter every page opens on
is the last that has ended; indicators add up only where that means something.
"""

from __future__ import annotations

import datetime as dt
import itertools

import duckdb
import pandas as pd
import pytest

from etl.load import load_bytes, undo
from isc import indicators, meeting, pack
from isc import status as S
from isc.db import connection, coordination, queries, rule_sql
from isc.filters import Filters
from isc.periods import Period, available, default_period, latest_ended
from tests import workbooks as W
from tests.conftest import ROOT

REPORT_STATUSES = (S.COMPLETED, S.ON_TRACK, S.AT_RISK, S.OFF_TRACK)


# --- the roll-up, written once in isc.status and used by Python and SQL alike ---------------------


def independent_rollup(cells: list[str | None]) -> str:
    """The documented rule, written again here without isc.status: None is a missing report."""
    got = [c for c in cells if c is not None]
    if not got:
        return "not_reported"
    if len(got) == len(cells) and all(c == "completed" for c in got):
        return "completed"
    severity = {"completed": 1, "on_track": 1, "at_risk": 2, "off_track": 3}
    worst = max(severity[c] for c in got)
    return {1: "on_track", 2: "at_risk", 3: "off_track"}[worst]


def every_combination():
    for owed in range(1, 5):
        yield from itertools.product((*REPORT_STATUSES, None), repeat=owed)


def test_rollup_over_every_combination_of_sector_statuses():
    combos = list(every_combination())
    assert len(combos) == 5 + 25 + 125 + 625
    for cells in combos:
        got = S.theme_status([c for c in cells if c is not None], owed=len(cells))
        assert got == independent_rollup(list(cells)), cells


def test_sql_rollup_is_the_python_rollup():
    rows = [(i, c) for i, cells in enumerate(every_combination()) for c in cells]
    con = duckdb.connect()
    con.execute("CREATE TABLE cells (g INTEGER, st VARCHAR)")
    con.executemany("INSERT INTO cells VALUES (?, ?)", rows)
    sql = f"SELECT g, {rule_sql.sql_theme_status('st', 'count(*)')} FROM cells GROUP BY g ORDER BY g"
    from_sql = dict(con.execute(sql).fetchall())
    for i, cells in enumerate(every_combination()):
        assert from_sql[i] == S.theme_status([c for c in cells if c], len(cells)), cells


def test_rollup_edges_none_reported_and_all_reported():
    assert S.theme_status([], owed=4) == S.NOT_REPORTED
    assert S.theme_status([S.COMPLETED] * 4, owed=4) == S.COMPLETED
    assert S.theme_status([S.COMPLETED] * 3, owed=4) == S.ON_TRACK  # not complete while a Sector is silent
    assert S.theme_status([S.ON_TRACK, S.OFF_TRACK, S.COMPLETED], owed=3) == S.OFF_TRACK


def test_sql_self_assessed_mapping_is_the_python_mapping():
    con = duckdb.connect()
    for label, code in S.SELF_STATUS.items():
        assert con.execute(f"SELECT {rule_sql.sql_self_assessed('?')}", [label]).fetchone()[0] == code
    assert con.execute(f"SELECT {rule_sql.sql_self_assessed('?')}", ["whatever"]).fetchone()[0] is None


@pytest.mark.parametrize(
    ("previous", "current", "silent", "expected"),
    [
        (S.OFF_TRACK, S.ON_TRACK, False, "better"),
        (S.OFF_TRACK, S.ON_TRACK, True, "no report this time"),
        (S.ON_TRACK, S.OFF_TRACK, True, "worse"),
        (S.ON_TRACK, S.NOT_REPORTED, True, "not reported"),
        (S.NOT_REPORTED, S.AT_RISK, False, "reported again"),
        (S.AT_RISK, S.AT_RISK, True, None),
    ],
)
def test_a_change_is_better_only_when_nobody_fell_silent(previous, current, silent, expected):
    assert S.change(previous, current, silent) == expected


def test_attention_order_puts_trouble_first():
    ordered = sorted(S.ALL, key=S.attention_rank)
    assert ordered[:3] == [S.OFF_TRACK, S.AT_RISK, S.NOT_REPORTED]


# --- scenarios through the real load path ----------------------------------------------------------

OFF = {"actual": 0}  # nothing achieved while progress was expected: off track
ON = {"actual": 9}


def _load(db, theme: str, period: str, sector: str, ind: dict, **kw) -> int:
    rep = W.report(n_activities=1, n_indicators=1)
    rep.indicators[0].update(ind)
    rep.activities[0]["lead_sector"] = sector
    for other in W.spec.SECTOR_ROLE_COLUMNS:
        rep.activities[0].pop(f"role_{other}", None)
    data = W.to_bytes(W.workbook(rep, theme=theme, period=period, sector=sector))
    out = load_bytes(data, f"{theme}_{period}_{sector}.xlsx", db=db, **kw)
    assert out.accepted, out.errors
    return out.upload_id


def test_a_sector_that_falls_silent_is_missing_not_progress(empty_db):
    owed = W.REF.participants("CLIM")
    assert len(owed) >= 3
    silent = "ITU-T"
    for sector in owed:
        _load(empty_db, "CLIM", "2025-Q2", sector, OFF if sector == silent else ON)
        if sector != silent:
            _load(empty_db, "CLIM", "2025-Q3", sector, ON)
    before = queries.theme_status(Filters("2025-Q2", theme="CLIM"), empty_db).iloc[0]
    now = queries.theme_status(Filters("2025-Q3", theme="CLIM"), empty_db).iloc[0]
    assert before["computed_status"] == S.OFF_TRACK
    assert now["computed_status"] == S.ON_TRACK
    assert (now["sectors_reported"], now["sectors_expected"]) == (len(owed) - 1, len(owed))
    assert list(now["sectors_missing"]) == [silent]

    changes = queries.status_changes(Filters("2025-Q3", theme="CLIM"), empty_db)
    assert changes["change"].tolist() == ["no report this time"]
    assert changes["silent"].iloc[0] == [silent]

    cells = queries.report_status(Filters("2025-Q3", theme="CLIM"), empty_db).set_index("sector")["computed_status"]
    assert cells[silent] == S.NOT_REPORTED
    counts = queries.status_counts(Filters("2025-Q3"), empty_db).set_index("status")["themes"]
    assert counts[S.ON_TRACK] == 1 and counts[S.OFF_TRACK] == 0


def test_an_early_report_does_not_move_the_default_quarter_and_undo_leaves_no_trace(empty_db):
    today = dt.date(2025, 11, 15)  # 2025-Q3 ended; 2025-Q4 is under way
    assert str(latest_ended(today)) == "2025-Q3"
    _load(empty_db, "CLIM", "2025-Q2", "ITU-T", ON)
    _load(empty_db, "CLIM", "2025-Q3", "ITU-T", ON)
    early = _load(empty_db, "CLIM", "2025-Q4", "ITU-R", ON)

    choices = queries.periods(today, empty_db)
    assert choices == ["2025-Q2", "2025-Q3", "2025-Q4"]  # the early report is visible when chosen
    assert default_period(choices, today) == "2025-Q3"
    trend = queries.track_trend(None, empty_db, today=today)
    assert "2025-Q4" not in set(trend["period"])  # a quarter under way is not a point of the trend
    assert queries.theme_status(Filters("2025-Q4", theme="CLIM"), empty_db)["sectors_reported"].iloc[0] == 1

    undo(early, db=empty_db)
    assert queries.periods(today, empty_db) == ["2025-Q2", "2025-Q3"]
    assert coordination.report_periods(empty_db) == ["2025-Q2", "2025-Q3"]


def test_quarters_exist_by_a_live_report_or_a_due_date():
    today = dt.date(2026, 2, 1)
    assert available([], today) == []
    # a gap quarter whose reports were owed exists (all missing); the current one only with a report
    assert available(["2025-Q1", "2025-Q3"], today) == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert available(["2025-Q3", "2026-Q1"], today)[-1] == "2026-Q1"
    assert default_period(["2025-Q3", "2026-Q1"], today) == "2025-Q3"
    assert default_period(["2026-Q1"], today) == "2026-Q1"


# --- indicators add up only where that means something -------------------------------------------


def _values(unit: str, actuals: list[float], combine: str, bound: float | None) -> pd.DataFrame:
    return pd.DataFrame({
        "indicator_id": "I-1", "name": "x", "unit": unit, "period": "2025-Q3",
        "sector": [f"S{i}" for i in range(len(actuals))], "baseline": 0.0, "target": 150.0,
        "actual": actuals, "combine": combine, "bound": bound,
    })


def test_bounded_units_never_exceed_their_bound():
    member_states = indicators.combined(_values("countries", [150, 120, 100], indicators.SUM, 194))
    assert member_states["actual"].iloc[0] == 194 and bool(member_states["capped"].iloc[0])
    largest = indicators.combined(_values("countries", [150, 120, 100], indicators.MAXIMUM, 194))
    assert largest["actual"].iloc[0] == 150
    percent = indicators.combined(_values("%", [80, 90, 100], indicators.AVERAGE, 100))
    assert percent["actual"].iloc[0] == 90
    assert indicators.combined(_values("number", [3, 4], indicators.PER_SECTOR, None)).empty


def test_member_states_reached_by_several_sectors_is_not_their_sum(empty_db):
    for sector, reached in (("ITU-R", 150), ("ITU-T", 120), ("ITU-D", 180)):
        _load(empty_db, "CLIM", "2025-Q3", sector,
              {"unit": "countries", "name": "Member States reached", "baseline": 10, "target": 190,
               "actual": reached})
    hist = queries.indicator_history("CLIM", empty_db)
    assert set(hist["combine"]) == {indicators.MAXIMUM}
    table = indicators.period_table(hist, "2025-Q3")
    assert table["theme"].iloc[0] == 180  # the largest figure, never 450
    assert all(table[s].iloc[0] <= 194 for s in ("ITU-R", "ITU-T", "ITU-D"))


def test_an_indicator_may_say_it_sums(empty_db):
    for sector, n in (("ITU-R", 30), ("ITU-T", 40)):
        _load(empty_db, "CLIM", "2025-Q3", sector,
              {"unit": "number", "name": "Workshops", "actual": n, "combine": "Sum"})
    hist = queries.indicator_history("CLIM", empty_db)
    assert set(hist["combine"]) == {indicators.SUM}
    assert indicators.period_table(hist, "2025-Q3")["theme"].iloc[0] == 70


def test_number_indicators_are_per_sector_by_default(empty_db):
    for sector in ("ITU-R", "ITU-T"):
        _load(empty_db, "CLIM", "2025-Q3", sector, {"unit": "number", "name": "Joint activities", "actual": 5})
    table = indicators.period_table(queries.indicator_history("CLIM", empty_db), "2025-Q3")
    assert pd.isna(table["theme"].iloc[0]) and table["combine"].iloc[0] == indicators.PER_SECTOR


def test_a_report_for_a_sector_without_a_focal_point_is_refused(empty_db):
    owed = set(W.REF.participants("DATA"))
    stranger = next(s for s in W.REF.sector_codes if s not in owed)
    data = W.to_bytes(W.workbook(theme="DATA", sector=stranger))
    out = load_bytes(data, "data.xlsx", db=empty_db)
    assert not out.accepted
    assert any("focal point" in e["message"] for e in out.errors), out.errors
    assert queries.summary(empty_db)["uploads"] == 0


# --- every page and the pack count the same things ------------------------------------------------


def independent_theme_status(db, period: str) -> pd.DataFrame:
    """Theme statuses computed here, from the raw tables, without the query layer."""
    with connection.read(db) as con:
        cells = con.execute(
            """WITH live AS (
                 SELECT u.theme, u.sector, r.computed_status FROM upload u JOIN report r ON r.upload_id = u.id
                 WHERE u.period = ? AND u.undone_seq IS NULL
                 QUALIFY u.id = max(u.id) OVER (PARTITION BY u.theme, u.sector))
               SELECT f.theme, h.track, f.sector, l.computed_status FROM focal_point f
               JOIN theme h ON h.code = f.theme AND h.state IN ('active', 'proposed')
               LEFT JOIN live l ON l.theme = f.theme AND l.sector = f.sector""",
            [period],
        ).df()
    rows = []
    for (theme, track), g in cells.groupby(["theme", "track"]):
        statuses = [None if pd.isna(c) else c for c in g["computed_status"]]
        rows.append({"theme": theme, "track": track, "status": independent_rollup(statuses),
                     "missing": sum(s is None for s in statuses), "owed": len(statuses)})
    return pd.DataFrame(rows)


FILTERS = [{}, {"track": "programmatic"}, {"theme": "GEN"}]


@pytest.mark.parametrize("period", ["2026-Q3", "2026-Q2", "2025-Q4"])
def test_counts_agree_across_queries_pages_and_pack(demo_db, period):
    truth_all = independent_theme_status(demo_db, period)
    if period == "2026-Q3":
        assert truth_all["missing"].sum() > 0  # the demo has silent Sectors: the test can fail
    for sel in FILTERS:
        truth = truth_all
        if "track" in sel:
            truth = truth[truth["track"] == sel["track"]]
        if "theme" in sel:
            truth = truth[truth["theme"] == sel["theme"]]
        want = truth["status"].value_counts().reindex(S.ALL, fill_value=0)

        counts = queries.status_counts(Filters(period, **sel), demo_db).set_index("status")["themes"]
        assert counts.to_dict() == want.to_dict(), sel
        tp = queries.track_progress(Filters(period, **sel), demo_db).groupby("status")["count"].sum()
        assert tp.reindex(S.ALL).to_dict() == want.to_dict(), sel
        ts = queries.theme_status(Filters(period, **sel), demo_db)
        assert dict(zip(ts["theme"], ts["computed_status"], strict=True)) == dict(
            zip(truth["theme"], truth["status"], strict=True))
        cells = queries.report_status(Filters(period, **sel), demo_db)
        assert int((cells["computed_status"] == S.NOT_REPORTED).sum()) == int(truth["missing"].sum())
        mix = queries.sector_status_mix(Filters(period, **sel), demo_db)
        assert int(mix.loc[mix["status"] == S.NOT_REPORTED, "count"].sum()) == int(truth["missing"].sum())
        agenda = meeting.agenda(ts)
        assert sorted(agenda["theme"]) == sorted(truth["theme"])
        first = agenda[agenda["priority"] == 0]
        assert set(truth.loc[truth["status"] == S.OFF_TRACK, "theme"]) <= set(first["theme"])

    # The Council report draft's facts (no selection = every theme)
    version = queries.data_version(demo_db)
    ctx = pack.context(demo_db, version, pack.Selection(period))
    by_status = pack.facts(ctx).status_counts
    assert by_status == {s: n for s, n in truth_all["status"].value_counts().items()}

    # Completeness: reports missing for a quarter whose due date has passed
    expected, uploads = coordination.expected_reports(demo_db), coordination.first_uploads(demo_db)
    from isc import completeness as comp

    table = comp.table(expected, uploads, [period], now=dt.datetime(2027, 1, 1))
    assert int((table["status"] == comp.MISSING).sum()) == int(truth_all["missing"].sum())


def test_overview_headline_agrees_with_completeness(demo_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ISC_TODAY", "2026-11-30")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception
    period = str(Period(2026, 3))
    assert at.session_state["filter_period"] == period
    truth = independent_theme_status(demo_db, period)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Reports missing"] == f"{int(truth['missing'].sum())} of {int(truth['owed'].sum())}"
    for s in (S.OFF_TRACK, S.AT_RISK, S.ON_TRACK):
        label = next(k for k in metrics if k.endswith(S.LABELS[s]))
        assert int(metrics[label]) == int((truth["status"] == s).sum())
    changed = " ".join(m.value for m in at.markdown)
    assert "(better): ✕ Off track" not in changed
    # The off-track delta: themes that only look lighter because a Sector fell silent do not count.
    before = independent_theme_status(demo_db, "2026-Q2").set_index("theme")["status"]
    now = truth.set_index("theme")["status"]
    silent = [t for t in now.index if before[t] == S.OFF_TRACK and now[t] != S.OFF_TRACK]
    assert silent, "the demo has a theme whose off-track Sector fell silent"
    off = next(m for m in at.metric if m.label.endswith(S.LABELS[S.OFF_TRACK]))
    want = int((now == S.OFF_TRACK).sum()) - (int((before == S.OFF_TRACK).sum()) - len(silent))
    assert (off.delta or "0").split()[0].lstrip("+") in (str(want), f"{want:+d}".lstrip("+"))
