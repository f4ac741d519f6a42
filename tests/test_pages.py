"""AppTest of each monitor page through the real navigation shell (dashboard.py): renders with no
exception, every chart has a title and the as-of line, the shared filters change what is shown,
and the numbers on screen match the queries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from isc import charts
from isc.db import queries
from isc.filters import Filters
from tests.conftest import DEMO_LAST_PERIOD

ROOT = Path(__file__).resolve().parent.parent
P = str(DEMO_LAST_PERIOD)
MONITOR = ["overview", "themes", "tracks", "sectors", "resolutions"]


def open_page(name: str, **filters) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    at.switch_page(f"pages/{name}.py").run()
    for key, value in filters.items():
        at.selectbox(key=f"filter_{key}").set_value(value)
    if filters:
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("name", MONITOR)
def test_page_renders_charts_with_title_and_as_of(demo_db, name):
    at = open_page(name)
    figs = specs(at)
    assert figs, f"{name}: no chart"
    as_of = queries.summary(db=demo_db)["as_of"].strftime("%Y-%m-%d %H:%M")
    for fig in figs:
        assert fig["layout"]["title"]["text"]
        assert any(as_of in a.get("text", "") for a in fig["layout"]["annotations"])
    captions = " ".join(c.value for c in at.caption)
    assert f"Data as of {as_of}" in captions


def test_overview_numbers_match_the_query_and_sector_filter_changes_them(demo_db):
    at = open_page("overview")
    shown = metrics(at)
    counts = queries.status_counts(Filters(P), db=demo_db)
    owed = queries.report_status(Filters(P), db=demo_db)
    for row in counts.itertuples():
        if row.status != "not_reported":  # the fifth box counts reports, not themes
            assert shown[charts.STATUS_TEXT[row.status]] == str(row.themes)
    missing = int((owed["computed_status"] == "not_reported").sum())
    assert shown["Reports missing"] == f"{missing} of {len(owed)}"
    heat = next(f for f in specs(at) if "theme and sector" in f["layout"]["title"]["text"])
    assert set(heat["data"][0]["x"]) >= {"ITU-R", "ITU-T", "ITU-D", "GS"}

    at.selectbox(key="filter_sector").set_value("ITU-D").run()
    shown_d = metrics(at)
    counts_d = queries.status_counts(Filters(P, sector="ITU-D"), db=demo_db)
    for row in counts_d.itertuples():
        if row.status != "not_reported":
            assert shown_d[charts.STATUS_TEXT[row.status]] == str(row.themes)
    assert shown_d != shown
    heat = next(f for f in specs(at) if "theme and sector" in f["layout"]["title"]["text"])
    assert heat["data"][0]["x"] == ["ITU-D"]


def test_overview_explains_off_track_themes(demo_db):
    at = open_page("overview")
    ts = queries.theme_status(Filters(P), db=demo_db)
    bad = ts[ts["computed_status"].isin(["off_track", "at_risk"])]
    assert len(bad) > 0
    listed = next(m.value for m in at.markdown if m.value.startswith("**Off track and at risk**"))
    for row in bad.itertuples():
        assert f"{charts.STATUS_TEXT[row.computed_status]} · {row.theme_name}" in listed
    # The "Why?" is a list that wraps in its narrow column (issue 15): per theme, one line for each
    # indicator or activity that is behind.
    why = next(e for e in at.expander if e.label.startswith("Why?"))
    assert not why.markdown, "the list is built only once the expander is opened"
    at.session_state["overview_why"] = True  # what opening it does: a rerun with the expander open
    at.run()
    why = next(e for e in at.expander if e.label.startswith("Why?"))
    text = " ".join(m.value for m in why.markdown)
    behind = [queries.status_reasons(t, P, db=demo_db) for t in bad["theme"]]
    behind = [r[r["status"].isin(["off_track", "at_risk"])] for r in behind]
    for name, reasons in zip(bad["theme_name"], behind, strict=True):
        assert (f"**{name}**" in text) == (not reasons.empty)
        for r in reasons.itertuples():
            assert r.label in text
    assert sum(map(len, behind)) > 0


def test_overview_data_table_toggle_shows_the_chart_data(demo_db):
    at = open_page("overview")
    before = len(at.dataframe)
    at.toggle(key="table_overview_tracks").set_value(True).run()
    assert len(at.dataframe) == before + 1


def test_themes_page_follows_the_theme_filter_and_explains_disagreement(demo_db):
    ts = queries.theme_status(Filters(P), db=demo_db)
    disagree = ts[ts["computed_status"] != ts["self_status"]].iloc[0]
    at = open_page("themes", theme=disagree["theme"])
    assert at.title[0].value == disagree["theme_name"]
    shown = metrics(at)
    assert shown["Computed status"] == charts.STATUS_TEXT[disagree["computed_status"]]
    assert shown["Self-assessed status"] == charts.STATUS_TEXT[disagree["self_status"]]
    assert any("disagree" in w.value for w in at.warning)
    why = [e for e in at.expander if e.label.startswith("Why")]
    assert why, "no Why? explanation"
    reasons = queries.status_reasons(disagree["theme"], P, db=demo_db)
    assert len(why[0].dataframe[0].value) == len(reasons) > 0
    hist = next(f for f in specs(at) if "history" in f["layout"]["title"]["text"])
    expected = queries.status_history(disagree["theme"], db=demo_db)
    assert len(hist["data"][0]["x"]) == expected["period"].nunique()

    other = ts[ts["theme"] != disagree["theme"]].iloc[0]
    at.selectbox(key="filter_theme").set_value(other["theme"]).run()
    assert at.title[0].value == other["theme_name"]


def test_tracks_page_side_by_side_and_track_filter(demo_db):
    at = open_page("tracks")
    tracks = queries.tracks(db=demo_db)
    assert [s.value for s in at.subheader] == tracks["name"].tolist()
    ts = queries.theme_status(Filters(P), db=demo_db)
    strategic = ts[ts["track"] == "strategic"]
    good = strategic["computed_status"].isin(["on_track", "completed"]).sum()
    assert at.metric[0].value == f"{good} of {len(strategic)}"

    at.selectbox(key="filter_track").set_value("strategic").run()
    assert [s.value for s in at.subheader] == ["Strategic leadership"]
    mix = next(f for f in specs(at) if "Progress per track" in f["layout"]["title"]["text"])
    assert mix["data"][0]["y"] == ["Strategic leadership"]


def test_sectors_page_compares_itu_d_with_itu_t(demo_db):
    at = open_page("sectors")
    summary = queries.sector_summary(Filters(P), db=demo_db).set_index("sector")
    heads = [s.value for s in at.subheader]
    assert heads[0].startswith("ITU-D") and heads[1].startswith("ITU-T")
    shown = [m.value for m in at.metric]
    # Tree order is column by column: (Themes, Joint), (Reports received, As partner), (Activities led).
    order = ("themes", "joint", "reports_received", "partnered", "led")
    want = [str(summary.loc["ITU-D", c]) for c in order]
    want[2] = f"{summary.loc['ITU-D', 'reports_received']} of {summary.loc['ITU-D', 'reports_owed']}"
    assert shown[:5] == want
    part = next(f for f in specs(at) if "per sector" in f["layout"]["title"]["text"])
    led = dict(zip(part["data"][0]["x"], part["data"][0]["y"], strict=True))
    assert led == {"ITU-D": int(summary.loc["ITU-D", "led"]), "ITU-T": int(summary.loc["ITU-T", "led"])}

    at.selectbox(key="filter_track").set_value("strategic").run()
    part2 = next(f for f in specs(at) if "per sector" in f["layout"]["title"]["text"])
    assert part2["data"][0]["y"] != part["data"][0]["y"]


def test_resolutions_page_gaps_and_filter(demo_db):
    at = open_page("resolutions")
    cov = queries.resolution_coverage(Filters(P), db=demo_db)
    shown = metrics(at)
    assert shown["Resolutions and decisions"] == "57"
    assert shown["No theme covers it"] == str((cov["coverage"] == "no theme").sum())
    table = at.dataframe[-1].value
    assert len(table) == (cov["coverage"] != "reported").sum()

    at.selectbox(key="filter_track").set_value("web").run()
    web = queries.resolution_coverage(Filters(P, track="web"), db=demo_db)
    assert (
        metrics(at)["No theme covers it"]
        == str((web["coverage"] == "no theme").sum())
        != shown["No theme covers it"]
    )


def test_pages_without_data_say_so(empty_db):
    for name in MONITOR:
        at = open_page(name)
        assert not at.exception
