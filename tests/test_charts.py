"""Chart functions: title, units, as-of line, traces, status colours and labels, text summary."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from isc import charts
from isc.status import LABELS

AS_OF = "Data as of 2026-10-20 10:00 (data version 7)"
STATUSES = ["completed", "on_track", "at_risk", "off_track", "not_reported"]


def _common(fig, title_part: str):
    assert title_part in fig.layout.title.text
    notes = [a.text for a in fig.layout.annotations]
    assert AS_OF in notes
    assert charts.summary(fig).endswith(".")
    assert fig.layout.template.layout.font.size >= 16  # legible on a shared screen


def test_status_colours_are_distinct_okabe_ito_and_labelled():
    # Okabe-Ito hues; completed and at risk adjusted for contrast (tests/test_contrast.py)
    assert charts.STATUS_COLORS["completed"] == "#2A84C6"
    assert charts.STATUS_COLORS["off_track"] == "#D55E00"
    assert len(set(charts.STATUS_COLORS.values())) == 5
    assert len(set(charts.STATUS_SYMBOLS.values())) == 5
    for s in STATUSES:
        assert LABELS[s] in charts.STATUS_TEXT[s]


def test_status_counts_bar():
    df = pd.DataFrame({"status": STATUSES, "themes": [1, 9, 3, 2, 0]})
    fig = charts.status_counts_bar(df, AS_OF)
    _common(fig, "status")
    bar = fig.data[0]
    assert list(bar.x) == [1, 9, 3, 2, 0]
    assert list(bar.marker.color) == [charts.STATUS_COLORS[s] for s in STATUSES]
    assert "Off track" in bar.y[3]
    assert fig.layout.xaxis.title.text == "Themes (number)"
    assert charts.summary(fig) == "Of 15 themes: 1 completed, 9 on track, 3 at risk, 2 off track."


def _mix():
    rows = [("Strategic leadership", s, n) for s, n in zip(STATUSES, [0, 3, 0, 1, 0], strict=True)]
    rows += [("Programmatic coordination", s, n) for s, n in zip(STATUSES, [1, 4, 2, 0, 0], strict=True)]
    return pd.DataFrame(rows, columns=["track_name", "status", "count"])


def test_track_progress_one_trace_per_status_with_its_colour():
    fig = charts.track_progress(_mix(), AS_OF)
    _common(fig, "track")
    assert [t.marker.color for t in fig.data] == [charts.STATUS_COLORS[s] for s in STATUSES]
    assert fig.layout.barmode == "stack"
    off = fig.data[3]
    assert list(off.x) == [1, 0] and off.text[0] == "✕ 1"
    assert "Programmatic coordination has the most at risk or off track (2)" in charts.summary(fig)


def test_theme_sector_heatmap_writes_status_in_cells():
    df = pd.DataFrame(
        {
            "theme_name": ["Space", "Space", "Gender"],
            "sector": ["ITU-R", "ITU-D", "ITU-R"],
            "computed_status": ["on_track", "off_track", "not_reported"],
        }
    )
    fig = charts.theme_sector_heatmap(df, AS_OF, ["ITU-R", "ITU-T", "ITU-D"])
    _common(fig, "theme and sector")
    hm = fig.data[0]
    assert list(hm.x) == ["ITU-R", "ITU-D"]
    assert hm.text[0][1] == "✕ Off track" and hm.customdata[0][1] == "✕ Off track"  # two wide columns
    assert hm.z[0][1] == STATUSES.index("off_track")
    assert hm.z[1][1] is None  # Gender has no ITU-D focal point: blank, not a status
    assert "Space ITU-D" in charts.summary(fig)


def test_status_history_orders_periods():
    df = pd.DataFrame(
        {"period": ["2025-Q2", "2025-Q1"], "sector": ["GS", "GS"], "computed_status": ["at_risk", "on_track"]}
    )
    fig = charts.status_history(df, AS_OF)
    _common(fig, "history")
    assert list(fig.data[0].x) == ["2025-Q1", "2025-Q2"]
    assert "GS at risk" in charts.summary(fig)


def test_indicator_chart_actual_target_baseline_panels():
    d = dt.date
    df = pd.DataFrame(
        {
            "period": ["2025-Q1", "2025-Q2", "2025-Q1", "2025-Q1"],
            "period_end": [d(2025, 3, 31), d(2025, 6, 30), d(2025, 3, 31), d(2025, 3, 31)],
            "sector": ["ITU-T", "ITU-T", "ITU-D", "ITU-T"],
            "name": ["Reach", "Reach", "Reach", "Joint"],
            "unit": ["countries"] * 3 + ["number"],
            "baseline": [20, 20, 20, 0],
            "baseline_date": [d(2024, 1, 1)] * 4,
            "target": [80, 80, 80, 12],
            "target_date": [d(2026, 12, 31)] * 4,
            "actual": [30, 35, 28, 4],
        }
    )
    fig = charts.indicator_chart(df, AS_OF)
    _common(fig, "actual vs target vs baseline")
    names = [t.name for t in fig.data]
    assert names.count("Target path") == 2 and names.count("Baseline") == 2
    assert "Actual ITU-T" in names and "Actual ITU-D" in names
    target = next(t for t in fig.data if t.name == "Target path")
    assert list(target.y) == [20, 80]
    assert fig.layout.yaxis.title.text == "countries" and fig.layout.yaxis2.title.text == "number"
    # without a combination, an indicator is shown per Sector (no total); "countries" combine by maximum
    assert "In 2025-Q2: Reach (countries), per Sector only: ITU-T 35." in charts.summary(fig)
    both = df.assign(combine=["maximum"] * 3 + ["per_sector"], bound=[194.0] * 3 + [float("nan")],
                     indicator_id=["I-1"] * 3 + ["I-2"])
    both.loc[2, ["period", "sector"]] = ["2025-Q2", "ITU-D"]
    summary = charts.summary(charts.indicator_chart(both, AS_OF))
    assert "Reach: 35 of 80 countries (44% of target, the largest Sector figure)" in summary


def test_empty_frames_still_give_a_titled_figure():
    fig = charts.indicator_chart(
        pd.DataFrame(
            columns=[
                "period",
                "period_end",
                "sector",
                "name",
                "unit",
                "baseline",
                "target",
                "target_date",
                "actual",
            ]
        ),
        AS_OF,
    )
    assert "No data for this selection" in [a.text for a in fig.layout.annotations]
    fig = charts.track_progress(pd.DataFrame(columns=["track_name", "status", "count"]), AS_OF)
    assert charts.summary(fig) == "No data for this selection."


def test_sector_participation_and_matrix():
    part = pd.DataFrame(
        {
            "sector": ["ITU-D"] * 3 + ["ITU-T"] * 3,
            "role": ["led", "joint", "partnered"] * 2,
            "activities": [18, 8, 15, 19, 10, 5],
        }
    )
    fig = charts.sector_participation(part, AS_OF)
    _common(fig, "per sector")
    assert [t.name for t in fig.data] == ["Led", "Joint", "Partner"]
    assert list(fig.data[0].y) == [18, 19]
    assert "ITU-D leads 18, joint 8, partner in 15" in charts.summary(fig)
    m = pd.DataFrame(
        {
            "sector_a": ["ITU-D", "ITU-D", "ITU-T", "ITU-T"],
            "sector_b": ["ITU-D", "ITU-T", "ITU-D", "ITU-T"],
            "activities": [0, 18, 18, 0],
        }
    )
    fig = charts.sector_matrix(m, AS_OF, ["ITU-T", "ITU-D"])
    _common(fig, "two sectors")
    assert fig.data[0].z[0][1] == 18 and fig.data[0].z[0][0] is None
    assert "between ITU-D and ITU-T (18)" in charts.summary(fig)


def test_resolution_coverage_counts_each_class():
    df = pd.DataFrame(
        {
            "coverage": ["reported", "no theme", "no theme", "no report"],
            "mutual_interest": [True, True, False, True],
        }
    )
    fig = charts.resolution_coverage(df, AS_OF)
    _common(fig, "coverage")
    assert list(fig.data[0].x) == [1, 1, 2]
    assert list(fig.data[0].marker.color) == [charts.COVERAGE_COLORS[c] for c in charts.COVERAGE_ORDER]
    assert "3 meet the mutual-interest rule" in charts.summary(fig)


@pytest.mark.parametrize("share", [[50.0, 75.0]])
def test_progress_trend_percent_axis(share):
    df = pd.DataFrame(
        {"period": ["2025-Q1", "2025-Q2"], "track_name": ["Strategic leadership"] * 2, "share": share}
    )
    fig = charts.progress_trend(df, AS_OF)
    _common(fig, "trend")
    assert fig.layout.yaxis.ticksuffix == "%"
    assert "Strategic leadership 75%" in charts.summary(fig)


def test_indicator_chart_with_ten_indicators_keeps_panels_inside_the_figure():
    d = dt.date
    df = pd.DataFrame(
        {
            "period": ["2025-Q1"] * 10,
            "period_end": [d(2025, 3, 31)] * 10,
            "sector": ["GS"] * 10,
            "name": [f"Indicator {i}" for i in range(10)],
            "unit": ["number"] * 10,
            "baseline": [0.0] * 10,
            "baseline_date": [d(2024, 1, 1)] * 10,
            "target": [10.0] * 10,
            "target_date": [d(2026, 12, 31)] * 10,
            "actual": [2.0] * 10,
        }
    )
    fig = charts.indicator_chart(df, AS_OF)
    layout = fig.layout.to_plotly_json()
    domains = [v["domain"] for k, v in layout.items() if k.startswith(("xaxis", "yaxis")) and "domain" in v]
    assert len(domains) == 20
    assert all(0 <= a < b <= 1 for a, b in domains)


# --- fitting text to the width (issue 15) ------------------------------------------------------


def test_text_width_estimate_grows_with_length_and_size():
    assert charts.text_px("Climate Change & Environmental Sustainability", 13) > charts.text_px("Space", 13) * 5
    assert charts.text_px("Space", 26) == pytest.approx(2 * charts.text_px("Space", 13))
    assert charts.text_px("<b>Space</b>", 13) == charts.text_px("Space", 13)  # markup takes no room


def test_long_axis_labels_are_wrapped_or_shortened_to_fit_and_keep_the_full_name():
    long = "Climate Change & Environmental Sustainability"
    text, widest = charts.axis_labels([long, "Space"], 160, 13, row_px=40)
    assert text[0].count("<br>") == 1 and text[1] == "Space" and widest <= 160
    text, widest = charts.axis_labels([long], 160, 13, row_px=18)  # rows too low for two lines
    assert text[0].endswith("…") and "<br>" not in text[0] and widest <= 160
    assert charts.axis_labels(["Space"], 160, 13) == (["Space"], charts.text_px("Space", 13))
    # the heatmap keeps the full names as categories (hover, table) and shows the short ones
    df = pd.DataFrame({"theme_name": [long, "Space"], "sector": ["ITU-R", "ITU-R"],
                       "computed_status": ["on_track", "at_risk"]})
    fig = charts.theme_sector_heatmap(df, AS_OF, width=380)
    assert list(fig.data[0].y) == [long, "Space"]
    assert fig.layout.yaxis.ticktext[0] != long and fig.layout.yaxis.tickvals[0] == long


@pytest.mark.parametrize(
    ("columns", "plot_px", "lang", "mode"),
    [(2, 400, "en", "full"), (5, 400, "en", "short"), (5, 400, "fr", "short"), (12, 400, "en", "symbol"),
     (5, 250, "fr", "symbol"), (4, 600, "fr", "full")],
)
def test_heatmap_cell_labels_follow_the_cell_width(columns, plot_px, lang, mode):
    assert charts.cell_labels(columns, plot_px, 13, lang) == mode
    cell = plot_px / columns - 8
    label = {"full": charts.status_text, "short": charts.status_short}.get(mode)
    if label:  # the chosen labels fit their cells
        assert all(charts.text_px(label(s, lang), 13) <= cell for s in STATUSES)


def test_many_sectors_in_a_narrow_heatmap_show_symbols_and_keep_words_in_the_hover():
    df = pd.DataFrame({"theme_name": ["Space"] * 5, "sector": ["GS", "ITU-R", "ITU-T", "ITU-D", "RO"],
                       "computed_status": ["on_track", "at_risk", "off_track", "completed", "not_reported"]})
    hm = charts.theme_sector_heatmap(df, AS_OF, width=300, lang="fr").data[0]
    assert list(hm.text[0]) == ["●", "▲", "✕", "✓", "?"]
    assert hm.customdata[0][2] == "✕ Hors trajectoire"


def test_status_history_fills_quarters_without_a_report():
    df = pd.DataFrame({"period": ["2025-Q1", "2025-Q2", "2025-Q2"], "sector": ["GS", "GS", "ITU-R"],
                       "computed_status": ["on_track", "on_track", "at_risk"]})
    hm = charts.status_history(df, AS_OF).data[0]
    assert list(hm.y) == ["GS", "ITU-R"]
    assert hm.z[1][0] == STATUSES.index("not_reported") and "?" in hm.text[1][0]


def test_quarters_are_thinned_rather_than_slanted_when_they_do_not_fit():
    periods = [f"{y}-Q{q}" for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)]
    ticks = charts._period_ticks(periods, 300, 14)
    assert ticks["tickangle"] == 0 and ticks["tickvals"][-1] == "2026-Q4"
    assert len(ticks["tickvals"]) * (charts.text_px("2026-Q4", 14) + 14) <= 300
    assert charts._period_ticks(periods[:3], 600, 14)["tickvals"] == periods[:3]


def test_french_figures_use_a_decimal_comma_and_thin_space_thousands():
    assert charts.number(36.5, "fr") == "36,5" and charts.number(0.89, "fr") == "0,89"
    assert charts.number(1234567, "fr") == "1\u202f234\u202f567" and charts.number(36.5) == "36.5"
    df = pd.DataFrame({"status": STATUSES, "themes": [1, 9, 3, 2, 0]})
    assert charts.status_counts_bar(df, AS_OF, lang="fr").layout.separators == ",\u202f"
    assert charts.status_counts_bar(df, AS_OF).layout.separators == ".,"


def test_legend_has_its_own_band_under_the_title_and_trend_lines_differ_by_more_than_colour():
    df = pd.DataFrame({"period": ["2025-Q1", "2025-Q2"] * 4,
                       "track_name": [n for n in ("Strategic leadership", "Programmatic coordination",
                                                  "Performance and transformation", "Web-based reporting")
                                      for _ in range(2)], "share": [50.0, 60.0] * 4})
    narrow, wide = charts.progress_trend(df, AS_OF, width=380), charts.progress_trend(df, AS_OF, width=1400)
    assert narrow.layout.legend.yref == "container" and narrow.layout.legend.yanchor == "top"
    assert narrow.layout.margin.t > wide.layout.margin.t  # more legend rows, more room above the plot
    assert len({t.line.dash for t in narrow.data}) == 4 and len({t.marker.symbol for t in narrow.data}) == 4
    assert len({t.line.color for t in narrow.data}) == 4


def test_series_colours_stand_out_from_white():
    from tests.test_contrast import contrast

    assert all(contrast(c, "#FFFFFF") >= 3 for c in charts.SERIES)


def test_indicator_panels_stack_when_narrow_and_titles_get_room():
    d = dt.date
    names = ["Joint activities delivered with other Sectors", "Member States reached", "Participants trained"]
    df = pd.DataFrame({"period": ["2025-Q1"] * 3, "period_end": [d(2025, 3, 31)] * 3, "sector": ["GS"] * 3,
                       "name": names, "unit": ["number"] * 3, "baseline": [0.0] * 3,
                       "baseline_date": [d(2024, 1, 1)] * 3, "target": [10.0] * 3,
                       "target_date": [d(2026, 12, 31)] * 3, "actual": [2.0] * 3})
    narrow = charts.indicator_chart(df, AS_OF, width=480).layout
    assert narrow.xaxis.domain == narrow.xaxis3.domain  # one column of panels
    wide = charts.indicator_chart(df, AS_OF, width=1400).layout
    assert wide.xaxis.domain[1] < wide.xaxis2.domain[0] < wide.xaxis2.domain[1] < wide.xaxis3.domain[0]
    # every panel title fits its panel: wrapped to its width
    for note in wide.annotations[:3]:
        assert all(charts.text_px(line, 15) <= 0.3 * 1400 for line in note.text.split("<br>"))


# --- the coordination charts (Completeness page, meeting view): the same conventions -----------


def _rates(by: str, groups: list[str], on_time: list[int], late: list[int], missing: list[int]) -> pd.DataFrame:
    from isc import completeness as comp

    rows = [
        {"status": s, by: g}
        for g, a, b, c in zip(groups, on_time, late, missing, strict=True)
        for s, n in ((comp.ON_TIME, a), (comp.LATE, b), (comp.MISSING, c))
        for _ in range(n)
    ]
    return comp.rates(pd.DataFrame(rows), by)


def test_completeness_bars_follow_the_chart_conventions():
    from isc import chart_style
    from isc import completeness as comp

    rates = _rates("sector", ["ITU-R", "ITU-T", "ITU-D"], [4, 3, 1], [0, 1, 1], [0, 0, 2])
    fig = charts.completeness_bars(rates, AS_OF, "sector", "By Sector, 2026-Q3")
    _common(fig, "By Sector, 2026-Q3")
    assert fig.layout.template.layout.font.family == chart_style.FONT_FAMILY
    assert charts.summary(fig) == (
        "Of 12 expected reports: 8 on time, 2 late, 2 missing; lowest on-time rate: ITU-D (25%)."
    )
    assert {t.name: t.marker.color for t in fig.data} == {
        "On time": chart_style.COMPLETENESS_COLORS[comp.ON_TIME],
        "Late": chart_style.COMPLETENESS_COLORS[comp.LATE],
        "Missing": chart_style.COMPLETENESS_COLORS[comp.MISSING],
    }
    assert list(fig.data[0].y) == ["ITU-D", "ITU-R", "ITU-T"]
    assert list(fig.data[0].x) == [25.0, 100.0, 75.0]  # shares, labelled with counts
    assert list(fig.data[0].text) == ["On time 1", "On time 4", "On time 3"]
    fr = charts.completeness_bars(rates, AS_OF, "sector", "Par Secteur", lang="fr")
    assert fr.data[0].name == "Dans les délais" and charts.summary(fr).startswith("Sur 12 rapports attendus")
    empty = charts.completeness_bars(rates.iloc[:0], AS_OF, "sector", "By Sector")
    assert charts.summary(empty) == "No data for this selection."


def test_rates_over_time_follow_the_chart_conventions():
    rates = pd.DataFrame(
        {"period": ["2026-Q1", "2026-Q2", "2026-Q3"], "completeness": [80.0, 90.0, 75.0],
         "on_time_rate": [50.0, 70.0, 60.0]}
    )  # fmt: skip
    fig = charts.rates_over_time(rates, AS_OF)
    _common(fig, "Reporting rates over time")
    assert charts.summary(fig) == (
        "Over 3 quarters; in 2026-Q3, 75% of the reports due are in and 60% came on time."
    )
    assert [t.name for t in fig.data] == ["Completeness (in, on time or late)", "On time"]
    assert [t.line.dash for t in fig.data] == ["solid", "dot"]  # told apart without colour


def test_sector_status_bars_follow_the_chart_conventions():
    sectors = pd.DataFrame({"sector": ["ITU-R", "ITU-T", "ITU-D"],
                            "computed_status": ["on_track", "at_risk", "off_track"]})  # fmt: skip
    fig = charts.sector_status_bars(sectors, AS_OF, "Computed status by Sector, 2026-Q3", height=300)
    _common(fig, "Computed status by Sector")
    assert charts.summary(fig) == "Computed status by Sector: ITU-R on track, ITU-T at risk, ITU-D off track."
    assert fig.layout.font.size == 22  # large type for the shared screen, the template's font family
    bars = {t.name: (list(t.x), t.marker.color, t.text[0]) for t in fig.data}
    assert bars["Off track"] == (["ITU-D"], charts.STATUS_COLORS["off_track"], "✕ Off track")


def test_completeness_bars_of_a_quarter_with_nothing_due_yet_draw_empty_shares():
    """A quarter under way: every expected report is "not yet due", so no group has a report
    counted and every share is 0 (it raised on pandas' NA before)."""
    from isc import completeness as comp

    rows = [{"status": comp.NOT_DUE, "sector": s} for s in ("ITU-R", "ITU-T") for _ in range(3)]
    rates = comp.rates(pd.DataFrame(rows), "sector")
    fig = charts.completeness_bars(rates, AS_OF, "sector", "By Sector, 2026-Q4")
    assert [list(t.x) for t in fig.data] == [[0.0, 0.0]] * 3


def test_margins_hold_the_labels_before_plotly_measures_them():
    """isc.chart_style.reserve_margins (see tests/e2e/test_chart_margins_e2e.py for the browser):
    the left margin grows with the longest category label; a heatmap over many quarters keeps
    room right of the plot for its last label; a few wide columns need none."""
    from isc import chart_style
    from isc.font_metrics import arial_px

    def margins(labels: list[str], quarters: int) -> dict:
        periods = [f"{2017 + q // 4}-Q{q % 4 + 1}" for q in range(quarters)]
        data = [{"type": "heatmap", "x": periods, "y": labels, "z": [[1] * quarters for _ in labels],
                 "showscale": False}]  # fmt: skip
        return chart_style.styled_figure(data, "t", "as of", "s", width=440).layout.margin

    short, long = margins(["ITU-R", "GS"], 4), margins(["ITU-R", "Regional Presence and Partnerships"], 4)
    assert long.l - short.l == pytest.approx(
        arial_px("Regional Presence and Partnerships", 16) - arial_px("ITU-R", 16), abs=1.5
    )
    assert short.r == 20 and margins(["ITU-R"], 40).r > 20
