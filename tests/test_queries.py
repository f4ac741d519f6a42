"""Dashboard queries against the demo database, checked against an independent recount in pandas
from the raw tables (no shared SQL with isc/db/queries.py)."""

from __future__ import annotations

import itertools

import duckdb
import pandas as pd
import pytest

from isc.db import connection, queries
from isc.filters import Filters
from isc.periods import Period
from tests.conftest import DEMO_LAST_PERIOD

P = str(DEMO_LAST_PERIOD)
RANK = {"completed": 0, "on_track": 1, "at_risk": 2, "off_track": 3}


def _raw(db, table: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"SELECT * FROM {table}").df()


@pytest.fixture(scope="module")
def raw(demo_master):
    """The raw tables, and the live reports recomputed in pandas (latest upload not undone)."""
    t = {
        name: _raw(demo_master, name)
        for name in (
            "upload",
            "report",
            "activity",
            "focal_point",
            "theme",
            "track",
            "resolution",
            "theme_resolution",
            "resolution_link",
        )
    }
    up = t["upload"][t["upload"]["undone_seq"].isna()]
    live = up.sort_values("seq").groupby(["theme", "period", "sector"]).tail(1)
    t["live"] = live.merge(
        t["report"][["upload_id", "computed_status", "self_status"]], left_on="id", right_on="upload_id"
    )
    t["active"] = t["theme"][t["theme"]["state"].isin(["active", "proposed"])]
    return t


def _theme_status(raw, period: str, sector: str | None = None) -> pd.Series:
    fp = raw["focal_point"]
    if sector:
        fp = fp[fp["sector"] == sector]
    themes = sorted(set(fp["theme"]) & set(raw["active"]["code"]))
    live = raw["live"][raw["live"]["period"] == period]
    if sector:
        live = live[live["sector"] == sector]
    out = {}
    for th in themes:
        statuses = live.loc[live["theme"] == th, "computed_status"].tolist()
        out[th] = max(statuses, key=RANK.get) if statuses else "not_reported"
    return pd.Series(out)


@pytest.mark.parametrize("sector", [None, "ITU-D"])
def test_status_counts_match_a_recount(demo_master, raw, sector):
    expected = _theme_status(raw, P, sector).value_counts()
    got = queries.status_counts(Filters(P, sector=sector), db=demo_master).set_index("status")["themes"]
    assert got.sum() == len(_theme_status(raw, P, sector))
    for status, n in got.items():
        assert n == expected.get(status, 0), status


def test_sector_filter_changes_the_counts(demo_master):
    all_ = queries.status_counts(Filters(P), db=demo_master)["themes"].tolist()
    itud = queries.status_counts(Filters(P, sector="ITU-D"), db=demo_master)["themes"].tolist()
    assert all_ != itud


def test_track_progress_counts_themes_of_each_track(demo_master, raw):
    ts = _theme_status(raw, P)
    track_of = raw["active"].set_index("code")["track"]
    got = queries.track_progress(Filters(P), db=demo_master)
    assert set(got["track"]) == set(raw["track"]["code"])
    assert len(got) == 5 * len(raw["track"])
    for row in got.itertuples():
        expected = sum(1 for th, s in ts.items() if track_of[th] == row.track and s == row.status)
        assert row.count == expected, (row.track, row.status)


def test_track_filter_keeps_one_track(demo_master):
    got = queries.track_progress(Filters(P, track="strategic"), db=demo_master)
    assert set(got["track"]) == {"strategic"}
    assert got["count"].sum() == (queries.themes(db=demo_master)["track"] == "strategic").sum()


def test_track_trend_share_matches_recount(demo_master, raw):
    prev = str(DEMO_LAST_PERIOD.previous())
    ts = _theme_status(raw, prev)
    track_of = raw["active"].set_index("code")["track"]
    got = queries.track_trend(db=demo_master).query("period == @prev").set_index("track")
    for track, row in got.iterrows():
        mine = [s for th, s in ts.items() if track_of[th] == track]
        good = sum(s in ("on_track", "completed") for s in mine)
        assert row["themes"] == len(mine)
        assert row["share"] == pytest.approx(round(100 * good / len(mine), 1))


def test_status_changes_match_two_recounts(demo_master, raw):
    prev = str(DEMO_LAST_PERIOD.previous())
    now, before = _theme_status(raw, P), _theme_status(raw, prev)
    moved = {th for th in now.index if now[th] != before[th]}
    got = queries.status_changes(Filters(P), db=demo_master)
    assert set(got["theme"]) == moved
    for row in got.itertuples():
        assert (row.previous_status, row.status) == (before[row.theme], now[row.theme])
        if "not_reported" not in (row.status, row.previous_status):
            if RANK[row.status] > RANK[row.previous_status]:
                assert row.change == "worse"
            else:  # lighter: progress only if no Sector that reported before is silent now
                assert row.change == ("no report this time" if row.silent else "better")


def _activities(raw, period: str) -> pd.DataFrame:
    """Distinct activities of the period; the lead sector's own report wins."""
    live = raw["live"][raw["live"]["period"] == period][["id", "theme", "sector"]]
    acts = raw["activity"].merge(live, left_on="upload_id", right_on="id")
    acts["own"] = acts["sector"] == acts["lead_sector"]
    acts = acts.sort_values(["own", "sector"], ascending=[False, True])
    return acts.drop_duplicates(["theme", "activity_id"])


def test_sector_participation_matches_recount(demo_master, raw):
    acts = _activities(raw, P)
    got = queries.sector_participation(Filters(P), db=demo_master).set_index(["sector", "role"])["activities"]
    for sector in ("ITU-R", "ITU-T", "ITU-D", "GS"):
        led = int((acts["lead_sector"] == sector).sum())
        partner = int(acts["partners"].map(lambda v, s=sector: s in list(v)).sum())
        joint = int(acts["joint_with"].map(lambda v, s=sector: s in list(v)).sum())
        assert got[(sector, "led")] == led
        assert got[(sector, "partnered")] == partner
        assert got[(sector, "joint")] == joint
    assert got[("ITU-D", "led")] + got[("ITU-T", "led")] > 0


def test_sector_matrix_is_symmetric_and_matches_recount(demo_master, raw):
    acts = _activities(raw, P)
    pairs: dict[tuple[str, str], int] = {}
    for row in acts.itertuples():
        members = {row.lead_sector, *list(row.partners), *list(row.joint_with)}
        for a, b in itertools.permutations(sorted(members), 2):
            pairs[(a, b)] = pairs.get((a, b), 0) + 1
    got = queries.sector_matrix(Filters(P), db=demo_master)
    wide = got.pivot(index="sector_a", columns="sector_b", values="activities")
    assert (wide.to_numpy() == wide.T.to_numpy()).all()
    for row in got.itertuples():
        assert row.activities == (
            0 if row.sector_a == row.sector_b else pairs.get((row.sector_a, row.sector_b), 0)
        )
    assert wide.loc["ITU-D", "ITU-T"] > 0


def test_resolution_coverage_of_the_57(demo_master, raw):
    got = queries.resolution_coverage(Filters(P), db=demo_master).set_index("code")
    assert len(got) == 57
    active = set(raw["active"]["code"])
    tr = raw["theme_resolution"][raw["theme_resolution"]["theme"].isin(active)]
    covered = set(tr["resolution"])
    reported = set(raw["live"].loc[raw["live"]["period"] == P, "theme"])
    for code, row in got.iterrows():
        themes = set(tr.loc[tr["resolution"] == code, "theme"])
        if code not in covered:
            assert row["coverage"] == "no theme"
        elif themes & reported:
            assert row["coverage"] == "reported"
            assert row["themes_reported"] == len(themes & reported)
        else:
            assert row["coverage"] == "no report"
    assert got.loc["Res. 191", "mutual_interest"]
    assert "WTSA Res. 18" in got.loc["Res. 191", "reason"]


def test_mutual_interest_rule_each_branch(demo_db):
    """calls_for_isc alone, Sector link alone, and neither: the reason says which."""
    with connection.write(demo_db) as con:
        con.execute("UPDATE resolution SET calls_for_isc = false WHERE code IN ('Res. 191', 'Res. 2')")
    got = queries.resolution_coverage(Filters(P), db=demo_db).set_index("code")
    assert got.loc["Res. 191", "mutual_interest"]
    assert got.loc["Res. 191", "reason"].startswith("PP resolution plus Sector resolution")
    assert not got.loc["Res. 2", "mutual_interest"]
    assert got.loc["Res. 2", "reason"] == "neither rule applies"
    assert got.loc["Res. 21", "reason"] == "calls for inter-sectoral coordination (Annex 1)"


def test_track_filter_narrows_resolution_coverage(demo_master):
    all_ = queries.resolution_coverage(Filters(P), db=demo_master)
    web = queries.resolution_coverage(Filters(P, track="web"), db=demo_master)
    assert (web["coverage"] == "no theme").sum() > (all_["coverage"] == "no theme").sum()


def test_overdue_reports_respect_grace_period(demo_master):
    due = Period.parse(P).due_date(15)
    assert queries.overdue_reports(Filters(P), due, 15, db=demo_master).empty
    late = queries.overdue_reports(Filters(P), due.replace(day=due.day + 1), 15, db=demo_master)
    missing = queries.report_status(Filters(P), db=demo_master).query("computed_status == 'not_reported'")
    assert len(late) == len(missing) > 0
    assert set(late["days_overdue"]) == {1}
