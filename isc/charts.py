"""Every plotly figure of the dashboard, built from a DataFrame (no Streamlit here): the monitor
pages, the Completeness page, the meeting view and the Council pack.

The same function draws the chart on screen, in the tests and in exports, and every one ends in
isc.chart_style.styled_figure (here `_figure`), so all follow one set of conventions: one
template (ITU blue family, large fonts legible on a shared meeting screen), the status and
completeness colours from the Okabe-Ito colour-blind-safe palette, a title, axis titles with
units, an "as of" line under the plot (print exports replace it with their own source line) and
a one-sentence text summary (alt text) in `fig.layout.meta["summary"]`, read back by `summary`.
Status is never carried by colour alone: every status mark also has a text label with a symbol
(check, dot, triangle, cross, question mark).

Every text a figure shows comes from the message catalogues (isc.i18n): each chart function takes
`lang` (default English); status labels are `status.<status>` keys.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from isc import chart_style as style
from isc import completeness as comp
from isc import indicators
from isc.i18n import DEFAULT, plural, translate
from isc.status import AT_RISK, COMPLETED, LABELS, NOT_REPORTED, OFF_TRACK, ON_TRACK

# The conventions every figure follows live in isc.chart_style; the names stay here for the callers.
BLUES = style.BLUES
COMPLETENESS_COLORS = style.COMPLETENESS_COLORS
COVERAGE_COLORS = style.COVERAGE_COLORS
DASHES = style.DASHES
FONT_SIZE = style.FONT_SIZE
ITU_BLUE = style.ITU_BLUE
MARKERS = style.MARKERS
NARROWEST = style.NARROWEST
ROLE_COLORS = style.ROLE_COLORS
SERIES = style.SERIES
STATUS_COLORS = style.STATUS_COLORS
STATUS_ORDER = style.STATUS_ORDER
STATUS_SYMBOLS = style.STATUS_SYMBOLS
TEMPLATE = style.TEMPLATE
TEXT_ON_STATUS = style.TEXT_ON_STATUS
_inert = style._inert
_plain_text = style._plain_text
legend_rows = style.legend_rows
separators = style.separators
summary = style.summary
text_px = style.text_px
_figure = style.styled_figure
STATUS_TEXT = {s: f"{STATUS_SYMBOLS[s]} {LABELS[s]}" for s in STATUS_ORDER}
# Short cell labels for heatmaps (the full label is in the hover and in the key under the title).
STATUS_SHORT = {
    COMPLETED: "✓ Done",
    ON_TRACK: "● On",
    AT_RISK: "▲ Risk",
    OFF_TRACK: "✕ Off",
    NOT_REPORTED: "? None",
}
STATUS_KEY = "   ".join(STATUS_TEXT[s] for s in STATUS_ORDER)
ROLE_ORDER = ["led", "joint", "partnered"]
ROLE_LABELS = {"led": "Led", "joint": "Joint", "partnered": "Partner"}
COVERAGE_ORDER = ["reported", "no report", "no theme"]
COVERAGE_LABELS = {
    "reported": "Covered, reported this period",
    "no report": "Covered, no report this period",
    "no theme": "No theme covers it",
}


def status_label(status: str, lang: str = DEFAULT) -> str:
    """A status in words, in the language (catalogue key status.<status>)."""
    return translate(lang, f"status.{status}") if status in STATUS_SYMBOLS else str(status)


def status_text(status: str, lang: str = DEFAULT) -> str:
    """A status as symbol and words (never colour alone), e.g. "▲ At risk"."""
    if status not in STATUS_SYMBOLS:
        return str(status)
    return f"{STATUS_SYMBOLS[status]} {status_label(status, lang)}"


def status_short(status: str, lang: str = DEFAULT) -> str:
    """The short cell label of a heatmap, e.g. "▲ Risk"."""
    return f"{STATUS_SYMBOLS[status]} {translate(lang, f'status.short.{status}')}"


def status_key(lang: str = DEFAULT) -> str:
    """The colour key written under a title: every status with its symbol."""
    return "   ".join(status_text(s, lang) for s in STATUS_ORDER)


# --- fitting text to the width a chart gets (see isc.chart_style) ------------------------------


def number(value, lang: str = DEFAULT, digits: int | None = None) -> str:
    """A number written for the reader: "36.5" in English, "36,5" in French (thin-space thousands)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    # as many decimals as asked, else as the value has (up to six)
    text = f"{value:,.{digits}f}" if digits is not None else f"{value:,.6f}".rstrip("0").rstrip(".")
    decimal, thousands = separators(lang)
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)


def shorten(text: str, max_px: float, size: float) -> str:
    """`text` cut with an ellipsis so that it takes at most max_px."""
    text = str(text)
    if text_px(text, size) <= max_px:
        return text
    while len(text) > 1 and text_px(text + "…", size) > max_px:
        text = text[:-1]
    return text.rstrip(" ,;:-&") + "…"


def wrap(text: str, max_px: float, size: float, max_lines: int = 0) -> list[str]:
    """`text` broken at spaces into lines of at most max_px (a word longer than a line is shortened);
    with max_lines, the last line kept ends with an ellipsis when text is left over."""
    lines: list[str] = []
    for word in str(text).split():
        if lines and text_px(lines[-1] + " " + word, size) <= max_px:
            lines[-1] += " " + word
        else:
            lines.append(word if text_px(word, size) <= max_px else shorten(word, max_px, size))
    if max_lines and len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [shorten(" ".join(lines[max_lines - 1 :]), max_px, size)]
    return lines or [""]


def axis_labels(labels: list, max_px: float, size: float, row_px: float | None = None) -> tuple[list, float]:
    """Category tick labels that fit max_px: unchanged when they fit, else wrapped on two lines when
    the rows are tall enough, else shortened with an ellipsis. Returns (ticktext, widest px)."""
    labels = [str(v) for v in labels]
    widest = max((text_px(v, size) for v in labels), default=0.0)
    if widest <= max_px:
        return labels, widest
    two_lines = row_px is None or row_px >= 2.3 * size
    out = []
    for v in labels:
        if text_px(v, size) <= max_px:
            out.append(v)
        elif two_lines:
            out.append("<br>".join(wrap(v, max_px, size, max_lines=2)))
        else:
            out.append(shorten(v, max_px, size))
    return out, max(text_px(line, size) for v in out for line in v.split("<br>"))


def cell_labels(n_columns: int, plot_px: float, size: float = 13, lang: str = DEFAULT) -> str:
    """How much of a status a heatmap cell can show: "full" ("▲ At risk"), "short" ("▲ Risk") or
    "symbol" ("▲"); the status stays readable by symbol and colour, the words are in the hover.
    plot_px: the width of the plotting area; each label must fit its cell with a little air."""
    cell = plot_px / max(1, n_columns) - 8
    if cell >= max(text_px(status_text(s, lang), size) for s in STATUS_ORDER):
        return "full"
    if cell >= max(text_px(status_short(s, lang), size) for s in STATUS_ORDER):
        return "short"
    return "symbol"



def _category_ticks(labels: list, width: float, size: float, row_px: float | None = None, share: float = 0.38) -> dict:
    """Axis settings that show category labels in at most `share` of the figure's width (wrapped
    or shortened, the full name stays the category, so hovers and tables keep it)."""
    labels = [str(v) for v in labels]
    text, _ = axis_labels(labels, share * width, size, row_px)
    if text == labels:
        return {"tickfont": {"size": size}}
    return {
        "tickfont": {"size": size},
        "tickmode": "array",
        "tickvals": _plain_text(labels),  # as _inert writes the categories
        "ticktext": ["<br>".join(_plain_text(line) for line in t.split("<br>")) for t in text],
    }


def _period_ticks(periods: list, plot_px: float, size: float = FONT_SIZE) -> dict:
    """A category axis of quarters labelled horizontally: every k-th quarter (always the latest)
    when all of them would not fit side by side, rather than slanted or overlapping labels."""
    periods = [str(p) for p in periods]
    if not periods:
        return {"type": "category"}
    label = max(text_px(p, size) for p in periods) + 14
    step = max(1, math.ceil(len(periods) * label / max(1.0, plot_px)))
    shown = periods[::-1][::step][::-1]
    return {"type": "category", "tickangle": 0, "tickmode": "array", "tickvals": shown, "ticktext": shown,
            "tickfont": {"size": size}}


def _plural(n: int, unit: str, lang: str = DEFAULT) -> str:
    """"3 themes": catalogue keys unit.<unit>.one / unit.<unit>.other."""
    return plural(lang, f"unit.{unit}", n)


# --- status counts ---------------------------------------------------------------------------


def status_counts_summary(df: pd.DataFrame, lang: str = DEFAULT) -> str:
    total = int(df["themes"].sum())
    parts = [
        f"{int(n)} {status_label(s, lang).lower()}" for s, n in zip(df["status"], df["themes"], strict=True) if n
    ]
    return translate(
        lang,
        "chart.status_counts.summary",
        themes=_plural(total, "theme", lang),
        parts=", ".join(parts) if parts else translate(lang, "chart.none"),
    )


def status_counts_bar(
    df: pd.DataFrame,
    as_of: str,
    title: str | None = None,
    height: int | None = None,
    lang: str = DEFAULT,
    width: int | None = None,
) -> go.Figure:
    """Bars of themes per status. df: status, themes."""
    df = df.set_index("status").reindex(STATUS_ORDER, fill_value=0).reset_index()
    bar = {
        "type": "bar",
        "x": df["themes"].tolist(),
        "y": [status_text(s, lang) for s in df["status"]],
        "orientation": "h",
        "marker": {"color": [STATUS_COLORS[s] for s in df["status"]]},
        "text": df["themes"].tolist(),
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{y}: %{x}<extra></extra>",
    }
    return _figure(
        [bar],
        title or translate(lang, "chart.status_counts.title"),
        as_of,
        status_counts_summary(df, lang),
        translate(lang, "chart.axis.count.theme"),
        "",
        height,
        {"yaxis": {"autorange": "reversed"}},
        lang=lang,
        width=width,
    )


# --- status mix per group (tracks, sectors) --------------------------------------------------


def status_mix_summary(df: pd.DataFrame, group: str, unit: str = "theme", lang: str = DEFAULT) -> str:
    if df.empty or df["count"].sum() == 0:
        return translate(lang, "chart.no_data_sentence")
    bad = df[df["status"].isin([AT_RISK, OFF_TRACK])].groupby(group, sort=False)["count"].sum()
    worst_group = bad.idxmax() if len(bad) and bad.max() > 0 else None
    total = int(df["count"].sum())
    if unit == "report":  # reports owed (one per theme and Sector with a focal point): say how many came in
        received = int(df.loc[df["status"] != NOT_REPORTED, "count"].sum())
        lead = translate(lang, "chart.status_mix.lead_reports", items=_plural(total, "expected_report", lang),
                         groups=df[group].nunique(), received=received)
    else:
        lead = translate(
            lang, "chart.status_mix.lead", items=_plural(total, unit, lang), groups=df[group].nunique()
        )
    if worst_group is None:
        return translate(lang, "chart.status_mix.none_bad", lead=lead)
    return translate(lang, "chart.status_mix.worst", lead=lead, group=worst_group, n=int(bad.max()))


def status_mix(
    df: pd.DataFrame,
    as_of: str,
    group: str,
    title: str,
    unit: str = "theme",
    height: int | None = None,
    lang: str = DEFAULT,
    width: int | None = None,
) -> go.Figure:
    """Stacked horizontal bars: per group, the number per status. df: <group>, status, count."""
    groups = list(dict.fromkeys(df[group]))
    row_px = ((height or 450) - 170) / max(1, len(groups))
    ticks = _category_ticks(groups, width or NARROWEST, 14, row_px)
    data = []
    for s in STATUS_ORDER:
        part = df[df["status"] == s].set_index(group).reindex(groups)
        counts = part["count"].fillna(0).astype(int).tolist()
        data.append(
            {
                "type": "bar",
                "name": status_text(s, lang),
                "y": groups,
                "x": counts,
                "orientation": "h",
                "marker": {"color": STATUS_COLORS[s]},
                "text": [f"{STATUS_SYMBOLS[s]} {n}" if n else "" for n in counts],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textfont": {"size": 15, "color": TEXT_ON_STATUS},
                "hovertemplate": f"%{{y}}: %{{x}} · {status_label(s, lang).lower()}<extra></extra>",
            }
        )
    return _figure(
        data,
        f"{title}<br><sup>{status_key(lang)}</sup>",
        as_of,
        status_mix_summary(df, group, unit, lang),
        translate(lang, f"chart.axis.count.{unit}"),
        "",
        height,
        {
            "barmode": "stack",
            "yaxis": {"autorange": "reversed", **ticks},
            "showlegend": False,
        },
        df.empty,
        lang,
        width,
    )


def track_progress(
    df: pd.DataFrame, as_of: str, height: int | None = None, lang: str = DEFAULT, width: int | None = None
) -> go.Figure:
    """Progress per track: themes per status in each track. df: track_name, status, count."""
    return status_mix(
        df, as_of, "track_name", translate(lang, "chart.track_progress.title"), "theme", height, lang, width
    )


# --- heatmaps with a status in each cell -----------------------------------------------------


def _status_heatmap(
    df: pd.DataFrame,
    x: str,
    y: str,
    status_col: str,
    x_order: list | None = None,
    y_order: list | None = None,
    lang: str = DEFAULT,
    labels: str = "short",
    fill: str | None = None,
) -> dict:
    """labels: "full", "short" or "symbol" (cell_labels); fill: the status of an empty cell."""
    xs = x_order or list(dict.fromkeys(df[x]))
    ys = y_order or list(dict.fromkeys(df[y]))
    wide = df.pivot_table(index=y, columns=x, values=status_col, aggfunc="first").reindex(
        index=ys, columns=xs
    )
    if fill:
        wide = wide.fillna(fill)
    idx = {s: i for i, s in enumerate(STATUS_ORDER)}
    z = [[idx.get(v) if isinstance(v, str) else None for v in row] for row in wide.to_numpy()]
    cell = {"full": status_text, "short": status_short}.get(labels, lambda s, _lang: STATUS_SYMBOLS[s])
    text = [[cell(v, lang) if v in STATUS_SYMBOLS else "" for v in row] for row in wide.to_numpy()]
    full = [[status_text(v, lang) if v in STATUS_SYMBOLS else "" for v in row] for row in wide.to_numpy()]
    n = len(STATUS_ORDER)
    scale = []
    for i, s in enumerate(STATUS_ORDER):
        scale += [[i / n, STATUS_COLORS[s]], [(i + 1) / n, STATUS_COLORS[s]]]
    return {
        "type": "heatmap",
        "z": z,
        "x": xs,
        "y": ys,
        "text": text,
        "texttemplate": "%{text}",
        "textfont": {"size": 13, "color": TEXT_ON_STATUS},
        "colorscale": scale,
        "zmin": -0.5,
        "zmax": n - 0.5,
        "showscale": False,
        "xgap": 2,
        "ygap": 2,
        "customdata": full,
        "hovertemplate": "%{y} / %{x}: %{customdata}<extra></extra>",
    }


def theme_sector_summary(df: pd.DataFrame, lang: str = DEFAULT) -> str:
    if df.empty:
        return translate(lang, "chart.no_data_sentence")
    n = len(df)
    off = df[df["computed_status"] == OFF_TRACK]
    missing = int((df["computed_status"] == NOT_REPORTED).sum())
    which = ""
    if len(off):
        which = " (" + ", ".join(f"{t} {s}" for t, s in zip(off["theme_name"], off["sector"], strict=True)) + ")"
    return translate(
        lang,
        "chart.theme_sector.summary",
        reports=_plural(n, "expected_report", lang),
        themes=df["theme_name"].nunique(),
        off=len(off),
        which=which,
        missing=missing,
    )


def theme_sector_heatmap(
    df: pd.DataFrame,
    as_of: str,
    sectors: list[str] | None = None,
    height: int | None = None,
    lang: str = DEFAULT,
    width: int | None = None,
) -> go.Figure:
    """Theme x sector computed status, the status written in each cell (in words where the cells
    are wide enough, else abbreviated or as its symbol; the full word is in the hover).

    df: theme_name, sector, computed_status (one row per expected report)."""
    width = width or NARROWEST
    x_order = [s for s in (sectors or []) if s in set(df["sector"])] or list(dict.fromkeys(df["sector"]))
    rows = max(1, df["theme_name"].nunique()) if not df.empty else 1
    h = height or max(320, 160 + 24 * rows)
    ticks = _category_ticks(list(dict.fromkeys(df["theme_name"])), width, 13, (h - 190) / rows, share=0.42)
    label_px = max((text_px(line, 13) for t in ticks.get("ticktext", df["theme_name"].unique()) for line in str(t).split("<br>")), default=0)
    mode = cell_labels(len(x_order), width - label_px - 50, 13, lang)
    trace = _status_heatmap(df, "sector", "theme_name", "computed_status", x_order=x_order or None, lang=lang,
                            labels=mode)
    return _figure(
        [trace],
        f"{translate(lang, 'chart.theme_sector.title')}<br><sup>{status_key(lang)}</sup>",
        as_of,
        theme_sector_summary(df, lang),
        translate(lang, "chart.axis.sector_report"),
        "",
        h,
        {
            "yaxis": {"autorange": "reversed", "showgrid": False, **ticks},
            "xaxis": {"side": "top", "showgrid": False, "tickangle": 0, "tickfont": {"size": 13}},
        },
        df.empty,
        lang,
        width,
    )


def status_history_summary(df: pd.DataFrame, lang: str = DEFAULT) -> str:
    if df.empty:
        return translate(lang, "chart.status_history.empty")
    last = df["period"].max()
    now = df[df["period"] == last]
    parts = ", ".join(
        f"{s} {status_label(c, lang).lower()}" for s, c in zip(now["sector"], now["computed_status"], strict=True)
    )
    return translate(
        lang, "chart.status_history.summary", periods=df["period"].nunique(), last=last, parts=parts
    )


def status_history(
    df: pd.DataFrame, as_of: str, height: int | None = None, lang: str = DEFAULT, width: int | None = None
) -> go.Figure:
    """Computed status per sector over periods; a quarter without a report from a Sector shows as
    "? Not reported". df: period, sector, computed_status."""
    width = width or NARROWEST
    periods = sorted(df["period"].unique()) if not df.empty else []
    mode = cell_labels(len(periods), width - 110, 13, lang)
    trace = _status_heatmap(df, "period", "sector", "computed_status", x_order=periods, lang=lang, labels=mode,
                            fill=NOT_REPORTED)
    h = height or max(300, 230 + 40 * max(1, df["sector"].nunique() if not df.empty else 1))
    return _figure(
        [trace],
        f"{translate(lang, 'chart.status_history.title')}<br><sup>{status_key(lang)}</sup>",
        as_of,
        status_history_summary(df, lang),
        translate(lang, "chart.axis.period"),
        translate(lang, "chart.axis.sector"),
        h,
        {
            "yaxis": {"autorange": "reversed", "showgrid": False},
            "xaxis": {"showgrid": False, **_period_ticks(periods, width - 110, 14)},
        },
        df.empty,
        lang,
        width,
    )


# --- trends ----------------------------------------------------------------------------------


def progress_trend_summary(df: pd.DataFrame, group: str, lang: str = DEFAULT) -> str:
    if df.empty:
        return translate(lang, "chart.no_data_sentence")
    last = df["period"].max()
    now = df[df["period"] == last].sort_values("share")
    parts = ", ".join(f"{g} {v:.0f}%" for g, v in zip(now[group], now["share"], strict=True))
    return translate(lang, "chart.progress_trend.summary", last=last, parts=parts)


def progress_trend(
    df: pd.DataFrame,
    as_of: str,
    group: str = "track_name",
    title: str | None = None,
    height: int | None = None,
    lang: str = DEFAULT,
    width: int | None = None,
) -> go.Figure:
    """Share of themes on track or completed per period, one line per group told apart by colour,
    dash and marker. df: period, <group>, share (0-100)."""
    periods = sorted(df["period"].unique()) if not df.empty else []
    data = []
    for k, (g, part) in enumerate(df.groupby(group, sort=False)):
        part = part.sort_values("period")
        data.append(
            {
                "type": "scatter",
                "x": part["period"].tolist(),
                "y": part["share"].tolist(),
                "name": str(g),
                "mode": "lines+markers",
                "line": {"width": 3, "color": SERIES[k % len(SERIES)], "dash": DASHES[k % len(DASHES)]},
                "marker": {"symbol": MARKERS[k % len(MARKERS)], "size": 10},
                "hovertemplate": f"{g}, %{{x}}: %{{y:.0f}}%<extra></extra>",
            }
        )
    return _figure(
        data,
        title or translate(lang, "chart.progress_trend.title"),
        as_of,
        progress_trend_summary(df, group, lang),
        translate(lang, "chart.axis.period"),
        translate(lang, "chart.progress_trend.y"),
        height,
        # One legend entry per track or Sector, in its own band under the title (see _figure).
        {"yaxis": {"range": [0, 105], "ticksuffix": "%"}, "xaxis": _period_ticks(periods, (width or NARROWEST) - 90)},
        df.empty,
        lang,
        width,
    )


# --- indicators ------------------------------------------------------------------------------


def _with_combine(df: pd.DataFrame) -> pd.DataFrame:
    """Frames from before the indicator's combination was known count as not combinable."""
    if "combine" not in df.columns:
        df = df.assign(combine=indicators.PER_SECTOR)
    if "bound" not in df.columns:
        df = df.assign(bound=float("nan"))
    if "indicator_id" not in df.columns:
        df = df.assign(indicator_id=df["name"])
    return df


def indicator_summary(df: pd.DataFrame, lang: str = DEFAULT) -> str:
    if df.empty:
        return translate(lang, "chart.indicator.empty")
    last = df["period"].max()
    now = _with_combine(df[df["period"] == last])
    totals = indicators.combined(now).set_index("name") if not now.empty else pd.DataFrame()
    parts = []
    for name, part in now.groupby("name", sort=False):
        unit = part["unit"].iloc[0] or ""
        if name in totals.index:  # a theme figure that means something: summed, largest or averaged
            row = totals.loc[name]
            actual, target = row["actual"], row["target"]
            if actual is not None and pd.notna(actual) and target is not None and pd.notna(target) and target:
                parts.append(
                    translate(
                        lang,
                        f"chart.indicator.part_{row['combine']}",
                        name=name,
                        actual=f"{actual:g}",
                        target=f"{target:g}",
                        unit=unit,
                        share=f"{actual / target:.0%}",
                    )
                )
        else:  # not combinable: each Sector's own value
            values = ", ".join(f"{s} {a:g}" for s, a in zip(part["sector"], part["actual"], strict=True) if pd.notna(a))
            if values:
                parts.append(translate(lang, "chart.indicator.part_per_sector", name=name, values=values, unit=unit))
    return translate(
        lang,
        "chart.indicator.summary",
        last=last,
        parts="; ".join(parts) if parts else translate(lang, "chart.indicator.no_actual"),
    )


def indicator_chart(
    df: pd.DataFrame, as_of: str, height: int | None = None, lang: str = DEFAULT, width: int | None = None
) -> go.Figure:
    """Actual vs target vs baseline over time, one panel per indicator, one line per sector.

    As many panels side by side as the width holds (at most three, each at least 420 px), each
    with room above it for its title, wrapped to the panel's width.

    df: period_end, period, sector, name, unit, baseline, baseline_date (optional), target,
    target_date, actual."""
    fig_w = width or NARROWEST
    names = list(dict.fromkeys(df["name"])) if not df.empty else []
    cols = min(3, max(1, len(names)), max(1, int(fig_w // 420)))
    rows = max(1, math.ceil(len(names) / cols))
    units = {}
    for n in names:
        u = df.loc[df["name"] == n, "unit"].dropna()
        units[n] = u.iloc[0] if len(u) else ""
    sectors = list(dict.fromkeys(df["sector"])) if not df.empty else []
    totals = indicators.combined(_with_combine(df)) if not df.empty else pd.DataFrame(columns=["name"])
    period_ends = dict(zip(df["period"], df["period_end"], strict=False)) if not df.empty else {}
    # Geometry in pixels, then in fractions of the plotting area: the gap between two panels holds
    # the right panel's tick labels and unit; the gap above a panel holds its title lines.
    plot_w = fig_w - 40
    gap_x = 90 / plot_w if cols > 1 else 0.0
    panel_w = (1 - gap_x * (cols - 1)) / cols
    titles = {
        n: wrap(f"{n} ({units[n]})" if units[n] else n, panel_w * plot_w, 15, max_lines=3) for n in names
    }
    title_lines = max((len(v) for v in titles.values()), default=1)
    legend = [translate(lang, "chart.indicator.actual", sector=s) for s in sectors] + [
        max((translate(lang, f"chart.indicator.total_{how}") for how in ("sum", "maximum", "average")), key=len),
        translate(lang, "chart.indicator.target_path"),
        translate(lang, "chart.indicator.baseline"),
    ]
    top = 12 + 28 + 8 + 30 * legend_rows(legend, fig_w) + 8 + 20 * title_lines + 6
    panel_px, gap_px = 240, 20 * title_lines + 50  # the gap: the x tick labels, then the next titles
    h = height or int(top + rows * panel_px + (rows - 1) * gap_px + 60)
    plot_h = h - top - 60
    gap_y = gap_px / plot_h if rows > 1 else 0.0
    row_h = (1 - gap_y * (rows - 1)) / rows
    data, layout, notes = [], {}, []
    for k, name in enumerate(names):
        r, c = k // cols, k % cols
        ax = "" if k == 0 else str(k + 1)
        x0, y1 = c * (panel_w + gap_x), 1 - r * (row_h + gap_y)
        x_dom = [max(0.0, round(x0, 6)), min(1.0, round(x0 + panel_w, 6))]
        y_dom = [max(0.0, round(y1 - row_h, 6)), min(1.0, round(y1, 6))]
        layout[f"xaxis{ax}"] = {"domain": x_dom, "anchor": f"y{ax}", "type": "date", "tickformat": "%Y-%m",
                                "nticks": max(2, int(panel_w * plot_w // 90))}
        layout[f"yaxis{ax}"] = {
            "domain": y_dom,
            "anchor": f"x{ax}",
            "title": {"text": shorten(units[name], 0.9 * plot_h * row_h, 16), "standoff": 4},
        }
        lines = titles[name]
        notes.append(
            {
                "text": "<br>".join(f"<b>{_plain_text(line)}</b>" for line in lines),
                "xref": "paper",
                "yref": "paper",
                "x": x0 + panel_w / 2,
                "xanchor": "center",
                "y": y1,
                "yanchor": "bottom",
                "yshift": 4,
                "showarrow": False,
                "font": {"size": 15},
            }
        )
        part = df[df["name"] == name].sort_values("period_end")
        for j, sector in enumerate(sectors):
            sp = part[part["sector"] == sector]
            if sp.empty:
                continue
            data.append(
                {
                    "type": "scatter",
                    "x": sp["period_end"].tolist(),
                    "y": sp["actual"].tolist(),
                    "mode": "lines+markers",
                    "name": translate(lang, "chart.indicator.actual", sector=sector),
                    "legendgroup": sector,
                    "showlegend": k == 0,
                    "xaxis": f"x{ax}",
                    "yaxis": f"y{ax}",
                    "line": {"color": SERIES[j % len(SERIES)], "width": 3, "dash": DASHES[j % len(DASHES)]},
                    "marker": {"symbol": MARKERS[j % len(MARKERS)], "size": 8},
                    "hovertemplate": f"{sector} %{{x|%Y-%m-%d}}: %{{y:g}} {units[name]}<extra></extra>",
                }
            )
        total = totals[totals["name"] == name]
        if not total.empty:  # the theme's figure, only where the indicator combines across Sectors
            how = total["combine"].iloc[0]
            label = translate(lang, f"chart.indicator.total_{how}")
            data.append(
                {
                    "type": "scatter",
                    "x": [period_ends.get(p) for p in total["period"]],
                    "y": total["actual"].tolist(),
                    "mode": "lines+markers",
                    "name": label,
                    "legendgroup": "total",
                    "showlegend": "total" not in {d.get("legendgroup") for d in data if d.get("showlegend")},
                    "xaxis": f"x{ax}",
                    "yaxis": f"y{ax}",
                    "line": {"color": "#111111", "width": 4},
                    "marker": {"symbol": "square", "size": 8},
                    "hovertemplate": f"{label} %{{x|%Y-%m-%d}}: %{{y:g}} {units[name]}<extra></extra>",
                }
            )
        first = part.iloc[0]
        b_date = first["baseline_date"] if "baseline_date" in part else None
        b_date = b_date if b_date is not None and pd.notna(b_date) else part["period_end"].min()
        # The target path the status rule interpolates: baseline at its date to target at its date.
        data.append(
            {
                "type": "scatter",
                "x": [b_date, first["target_date"]],
                "y": [first["baseline"], first["target"]],
                "mode": "lines+markers",
                "name": translate(lang, "chart.indicator.target_path"),
                "legendgroup": "target",
                "showlegend": k == 0,
                "line": {"color": "#111111", "dash": "dash", "width": 2},
                "marker": {"symbol": "diamond"},
                "xaxis": f"x{ax}",
                "yaxis": f"y{ax}",
                "hovertemplate": translate(lang, "chart.indicator.target_path")
                + " %{x|%Y-%m-%d}: %{y:g}<extra></extra>",
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": [b_date, first["target_date"]],
                "y": [first["baseline"], first["baseline"]],
                "mode": "lines",
                "name": translate(lang, "chart.indicator.baseline"),
                "legendgroup": "baseline",
                "showlegend": k == 0,
                "line": {"color": "#777777", "dash": "dot", "width": 2},
                "xaxis": f"x{ax}",
                "yaxis": f"y{ax}",
                "hovertemplate": translate(lang, "chart.indicator.baseline") + " %{y:g}<extra></extra>",
            }
        )
    layout["annotations"] = notes
    layout["margin"] = {"t": top}  # the title, the legend, then the first row's panel titles
    return _figure(
        data,
        translate(lang, "chart.indicator.title"),
        as_of,
        indicator_summary(df, lang),
        None,
        None,
        h,
        layout,
        not names,
        lang,
        fig_w,
    )


# --- sectors ---------------------------------------------------------------------------------


def sector_participation_summary(df: pd.DataFrame, lang: str = DEFAULT) -> str:
    if df.empty or df["activities"].sum() == 0:
        return translate(lang, "chart.participation.empty")
    wide = df.pivot_table(index="sector", columns="role", values="activities", aggfunc="sum", fill_value=0)
    parts = []
    for sector, row in wide.iterrows():
        parts.append(
            translate(
                lang,
                "chart.participation.part",
                sector=sector,
                led=int(row.get("led", 0)),
                joint=int(row.get("joint", 0)),
                partnered=int(row.get("partnered", 0)),
            )
        )
    return translate(lang, "chart.participation.summary", parts="; ".join(parts))


def sector_participation(
    df: pd.DataFrame, as_of: str, height: int | None = None, lang: str = DEFAULT, width: int | None = None
) -> go.Figure:
    """Activities led vs joint vs partnered per sector. df: sector, role, activities."""
    sectors = list(dict.fromkeys(df["sector"]))
    data = []
    for role in ROLE_ORDER:
        part = df[df["role"] == role].set_index("sector").reindex(sectors)
        vals = part["activities"].fillna(0).astype(int).tolist()
        role_label = translate(lang, f"chart.role.{role}")
        data.append(
            {
                "type": "bar",
                "name": role_label,
                "x": sectors,
                "y": vals,
                "marker": {"color": ROLE_COLORS[role]},
                "text": vals,  # the role is in the legend and the hover; a number fits over any bar
                "textposition": "outside",
                "textfont": {"size": 13},
                "cliponaxis": False,
                "hovertemplate": f"%{{x}}: %{{y}} ({role_label.lower()})<extra></extra>",
            }
        )
    return _figure(
        data,
        translate(lang, "chart.participation.title"),
        as_of,
        sector_participation_summary(df, lang),
        translate(lang, "chart.axis.sector"),
        translate(lang, "chart.axis.count.activity"),
        height,
        {"barmode": "group", "xaxis": {"tickangle": 0}},
        df.empty,
        lang,
        width,
    )


def sector_matrix_summary(df: pd.DataFrame, lang: str = DEFAULT) -> str:
    pairs = df[df["sector_a"] < df["sector_b"]].sort_values("activities", ascending=False)
    pairs = pairs[pairs["activities"] > 0]
    if pairs.empty:
        return translate(lang, "chart.matrix.empty")
    top = pairs.iloc[0]
    return translate(
        lang,
        "chart.matrix.summary",
        pairs=len(pairs),
        a=top["sector_a"],
        b=top["sector_b"],
        n=int(top["activities"]),
    )


def sector_matrix(
    df: pd.DataFrame,
    as_of: str,
    sectors: list[str] | None = None,
    height: int | None = None,
    lang: str = DEFAULT,
    width: int | None = None,
) -> go.Figure:
    """Who works with whom: activities in which both sectors take part. df: sector_a, sector_b, activities."""
    order = sectors or sorted(set(df["sector_a"]) | set(df["sector_b"]))
    wide = df.pivot_table(index="sector_a", columns="sector_b", values="activities", aggfunc="sum")
    wide = wide.reindex(index=order, columns=order)
    z = [
        [None if (a == b or pd.isna(v)) else float(v) for b, v in zip(order, row, strict=True)]
        for a, row in zip(order, wide.to_numpy(), strict=True)
    ]
    text = [
        ["—" if a == b else ("0" if v is None else f"{v:.0f}") for b, v in zip(order, row, strict=True)]
        for a, row in zip(order, z, strict=True)
    ]
    trace = {
        "type": "heatmap",
        "z": z,
        "x": order,
        "y": order,
        "text": text,
        "texttemplate": "%{text}",
        "textfont": {"size": 16},
        "colorscale": [[0, "#EEF3FA"], [0.5, "#5B8DC9"], [1, "#0B3D6B"]],
        "xgap": 2,
        "ygap": 2,
        "colorbar": {"title": {"text": translate(lang, "chart.matrix.colorbar"), "side": "right"}, "thickness": 16},
        "hovertemplate": "%{y} + %{x}: %{text}<extra></extra>",
    }
    return _figure(
        [trace],
        translate(lang, "chart.matrix.title"),
        as_of,
        sector_matrix_summary(df, lang),
        translate(lang, "chart.axis.sector_with"),
        translate(lang, "chart.axis.sector"),
        height,
        {
            "yaxis": {"autorange": "reversed", "showgrid": False, "tickfont": {"size": 13}},
            "xaxis": {"showgrid": False, "tickangle": 0, "tickfont": {"size": 13}},
        },
        lang=lang,
        width=width,
    )


# --- resolutions -----------------------------------------------------------------------------


def resolution_coverage_summary(df: pd.DataFrame, lang: str = DEFAULT) -> str:
    if df.empty:
        return translate(lang, "chart.coverage.empty")
    counts = df["coverage"].value_counts()
    mutual = int(df["mutual_interest"].sum()) if "mutual_interest" in df else 0
    return translate(
        lang,
        "chart.coverage.summary",
        total=len(df),
        reported=int(counts.get("reported", 0)),
        no_report=int(counts.get("no report", 0)),
        no_theme=int(counts.get("no theme", 0)),
        mutual=mutual,
    )


def resolution_coverage(
    df: pd.DataFrame, as_of: str, height: int | None = None, lang: str = DEFAULT, width: int | None = None
) -> go.Figure:
    """Resolutions by coverage class. df: one row per resolution with coverage, mutual_interest."""
    counts = df["coverage"].value_counts().reindex(COVERAGE_ORDER, fill_value=0)
    classes = [translate(lang, f"coverage.{c.replace(' ', '_')}") for c in COVERAGE_ORDER]
    ticks = _category_ticks(classes, width or NARROWEST, 15, ((height or 450) - 150) / 3, share=0.45)
    bar = {
        "type": "bar",
        "y": classes,
        "x": counts.tolist(),
        "orientation": "h",
        "marker": {"color": [COVERAGE_COLORS[c] for c in COVERAGE_ORDER]},
        "text": counts.tolist(),
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{y}: %{x}<extra></extra>",
    }
    return _figure(
        [bar],
        translate(lang, "chart.coverage.title"),
        as_of,
        resolution_coverage_summary(df, lang),
        translate(lang, "chart.axis.count.resolution"),
        "",
        height,
        {"yaxis": {"autorange": "reversed", **ticks}},
        lang=lang,
        width=width,
    )


# --- reporting completeness (Completeness page) and the meeting view --------------------------


def completeness_label(state: str, lang: str = DEFAULT) -> str:
    """On time, late, missing, not yet due, in the language (keys completeness.<state>)."""
    return translate(lang, f"completeness.{state}")


def completeness_summary(rates: pd.DataFrame, by: str, lang: str = DEFAULT) -> str:
    counted = int(rates["expected"].sum()) if "expected" in rates.columns else 0
    if rates.empty or counted == 0:
        return translate(lang, "chart.no_data_sentence")
    lowest = rates[rates["expected"] > 0].sort_values(["on_time_rate", "completeness"]).iloc[0]
    return translate(
        lang,
        "chart.completeness.summary",
        reports=_plural(counted, "expected_report", lang),
        on_time=int(rates[comp.ON_TIME].sum()),
        late=int(rates[comp.LATE].sum()),
        missing=int(rates[comp.MISSING].sum()),
        group=lowest[by],
        rate=f"{lowest['on_time_rate']:.0f}",
    )


def completeness_bars(
    rates: pd.DataFrame,
    as_of: str,
    by: str,
    title: str,
    height: int = 380,
    lang: str = DEFAULT,
    width: int | None = None,
) -> go.Figure:
    """Stacked horizontal bars: on time / late / missing shares per group, labelled with counts.
    Group names longer than 40% of the width are wrapped or shortened (the full name in the hover).
    rates: isc.completeness.rates(..., by)."""
    groups = rates[by].astype(str).tolist()
    ticks = _category_ticks(groups, width or NARROWEST, 14, (height - 170) / max(1, len(groups)), share=0.4)
    # In floats: a group with nothing due yet (all "not yet due") has a total of 0 and shares of 0.
    total = (rates[comp.ON_TIME] + rates[comp.LATE] + rates[comp.MISSING]).astype(float).replace(0.0, float("nan"))
    data = []
    for s in (comp.ON_TIME, comp.LATE, comp.MISSING):
        share = (rates[s].astype(float) / total * 100).fillna(0.0).round(1)
        label = completeness_label(s, lang)
        data.append(
            {
                "type": "bar",
                "y": groups,
                "x": share.tolist(),
                "name": label,
                "orientation": "h",
                "marker": {"color": COMPLETENESS_COLORS[s]},
                "text": [f"{label} {n}" if n else "" for n in rates[s]],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textfont": {"color": TEXT_ON_STATUS},
                "hovertemplate": "%{y}: %{x:.0f}% " + label.lower() + "<extra></extra>",
            }
        )
    return _figure(
        data,
        title,
        as_of,
        completeness_summary(rates, by, lang),
        translate(lang, "chart.completeness.x"),
        "",
        height,
        {
            "barmode": "stack",
            "legend": {"traceorder": "normal"},  # on time, late, missing (plotly reverses stacked bars)
            "xaxis": {"range": [0, 100], "ticksuffix": "%"},
            "yaxis": {"autorange": "reversed", **ticks},
        },
        rates.empty,
        lang,
        width,
    )


def rates_over_time_summary(rates: pd.DataFrame, lang: str = DEFAULT) -> str:
    known = rates.dropna(subset=["completeness"]) if not rates.empty else rates
    if known.empty:
        return translate(lang, "chart.no_data_sentence")
    last = known.sort_values("period").iloc[-1]
    return translate(
        lang,
        "chart.rates.summary",
        periods=len(known),
        last=last["period"],
        completeness=f"{last['completeness']:.0f}",
        on_time=f"{last['on_time_rate']:.0f}",
    )


def rates_over_time(
    rates: pd.DataFrame,
    as_of: str,
    title: str | None = None,
    height: int = 360,
    lang: str = DEFAULT,
    width: int | None = None,
) -> go.Figure:
    """Completeness and on-time rate per period (lines with values printed, where they fit).
    rates: isc.completeness.rates(..., "period")."""
    width = width or NARROWEST
    periods = rates["period"].astype(str).tolist()
    # A value over every point only when the points are far enough apart for "100%" to fit.
    show_values = len(periods) * (text_px("100%", 13) + 12) <= width - 90
    mode = "lines+markers+text" if show_values else "lines+markers"
    lines = (
        ("completeness", translate(lang, "chart.rates.completeness"), STATUS_COLORS[COMPLETED], "solid", "circle",
         "top center"),
        ("on_time_rate", completeness_label(comp.ON_TIME, lang), COMPLETENESS_COLORS[comp.ON_TIME], "dot", "square",
         "bottom center"),
    )  # fmt: skip
    data = [
        {
            "type": "scatter",
            "x": periods,
            "y": rates[column].tolist(),
            "name": name,
            "mode": mode,
            "text": [f"{v:.0f}%" for v in rates[column].fillna(0)],
            "textposition": position,
            "textfont": {"size": 13},
            "cliponaxis": False,
            "line": {"color": colour, "width": 3, "dash": dash},
            "marker": {"symbol": marker, "size": 8},
            "hovertemplate": "%{x}: %{y:.0f}%<extra></extra>",
        }
        for column, name, colour, dash, marker, position in lines
    ]
    return _figure(
        data,
        title or translate(lang, "chart.rates.title"),
        as_of,
        rates_over_time_summary(rates, lang),
        translate(lang, "chart.axis.period_short"),
        translate(lang, "chart.completeness.x"),
        height,
        {
            "yaxis": {"range": [-8, 112], "ticksuffix": "%", "tickvals": [0, 20, 40, 60, 80, 100]},
            "xaxis": _period_ticks(periods, width - 90, 14),
        },
        rates.empty,
        lang,
        width,
    )


def sector_status_summary(sectors: pd.DataFrame, lang: str = DEFAULT) -> str:
    if sectors.empty:
        return translate(lang, "chart.no_data_sentence")
    parts = ", ".join(
        f"{s} {status_label(c, lang).lower()}"
        for s, c in zip(sectors["sector"], sectors["computed_status"], strict=True)
    )
    return translate(lang, "chart.sector_status.summary", parts=parts)


def sector_status_bars(
    sectors: pd.DataFrame,
    as_of: str,
    title: str,
    height: int = 420,
    font_size: int = 22,
    lang: str = DEFAULT,
    width: int | None = None,
) -> go.Figure:
    """Meeting view: one bar per Sector, coloured and labelled by its computed status (large type
    for a shared screen). sectors: sector, computed_status."""
    data = []
    for s in STATUS_ORDER:
        part = sectors[sectors["computed_status"] == s]
        if part.empty:
            continue
        data.append(
            {
                "type": "bar",
                "x": part["sector"].tolist(),
                "y": [1] * len(part),
                "name": status_label(s, lang),
                "marker": {"color": STATUS_COLORS[s]},
                "text": [status_text(s, lang)] * len(part),
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textfont": {"size": font_size, "color": TEXT_ON_STATUS},
                "hovertemplate": "%{x}: " + status_label(s, lang) + "<extra></extra>",
            }
        )
    return _figure(
        data,
        title,
        as_of,
        sector_status_summary(sectors, lang),
        None,
        None,
        height,
        {
            "font": {"size": font_size},
            "yaxis": {"visible": False, "range": [0, 1]},
            "xaxis": {"categoryorder": "array", "categoryarray": sectors["sector"].tolist(),
                      "tickfont": {"size": font_size}},
            "bargap": 0.08,
            "showlegend": False,
        },
        sectors.empty,
        lang,
        width,
    )
