"""Plotly figures for the coordination pages (completeness, meeting). No streamlit here.

Colours are the Okabe-Ito palette used elsewhere, and every coloured mark also carries a text
label so nothing depends on colour alone.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from isc import completeness as comp
from isc import status as rule
from isc.charts import (
    NARROWEST,
    STATUS_COLORS,
    TEXT_ON_STATUS,
    _period_ticks,
    axis_labels,
    legend_rows,
    separators,
    status_label,
    text_px,
)
from isc.i18n import DEFAULT, translate

# The same status colours as isc.charts (checked for contrast there), in the order of the key.
STATUS_COLOURS = {
    s: STATUS_COLORS[s] for s in (rule.COMPLETED, rule.ON_TRACK, rule.AT_RISK, rule.OFF_TRACK, rule.NOT_REPORTED)
}
_FONT = dict(family="Source Sans Pro, Arial, sans-serif")


def _plain(text: str) -> str:
    """A name shown as typed (plotly would read "<" as its pseudo-HTML)."""
    return str(text).replace("<", "&lt;").replace(">", "&gt;")


def _layout(
    fig: go.Figure, title: str, height: int, font_size: int = 14, lang: str = DEFAULT, width: int | None = None
) -> go.Figure:
    """Title at the top, the legend (if any) in its own band under it, then the plot; axes push
    the margins for their labels (automargin), numbers in the reader's language.

    width: the narrowest the figure is drawn (px); the legend's rows are counted for it."""
    width = width or NARROWEST
    top = 14 + 1.4 * (font_size + 2)
    names = [t.name for t in fig.data if t.name and t.showlegend is not False]
    legend = fig.layout.showlegend is not False and len(names) > 1
    fig.update_layout(
        title=dict(text=title, font=dict(size=font_size + 2), yref="container", y=1 - 8 / height, yanchor="top",
                   x=0.01, xanchor="left"),
        height=height,
        font=dict(size=font_size, **_FONT),
        plot_bgcolor="white",
        separators=separators(lang),
        uniformtext=dict(minsize=10, mode="hide"),  # bar labels too small to read: in the hover
    )
    if legend:
        fig.update_layout(
            legend=dict(orientation="h", yref="container", y=1 - (top + 2) / height, yanchor="top",
                        xref="container", x=0.01, xanchor="left", traceorder="normal")
        )
        top += 6 + (font_size + 10) * legend_rows(names, width, font_size)
    fig.update_layout(margin=dict(l=12, r=16, t=int(top + 8), b=12))
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def completeness_label(state: str, lang: str = DEFAULT) -> str:
    """On time, late, missing, not yet due, in the language (keys completeness.<state>)."""
    return translate(lang, f"completeness.{state}")


def completeness_bars(
    rates: pd.DataFrame, by: str, title: str, height: int = 380, lang: str = DEFAULT, width: int | None = None
) -> go.Figure:
    """Stacked horizontal bars: on time / late / missing shares per group, labelled with counts.
    Group names longer than 40% of the width are wrapped or shortened (the full name in the hover)."""
    fig = go.Figure()
    groups = rates[by].astype(str).tolist()
    ticks, _ = axis_labels(groups, 0.4 * (width or NARROWEST), 14, (height - 170) / max(1, len(groups)))
    total = (rates[comp.ON_TIME] + rates[comp.LATE] + rates[comp.MISSING]).replace(0, pd.NA)
    for s in (comp.ON_TIME, comp.LATE, comp.MISSING):
        share = (rates[s] / total * 100).fillna(0).round(1)
        label = completeness_label(s, lang)
        fig.add_bar(
            y=groups,
            x=share.tolist(),
            name=label,
            orientation="h",
            marker_color=comp.COLOURS[s],
            text=[f"{label} {n}" if n else "" for n in rates[s]],
            textposition="inside",
            insidetextanchor="middle",
            textfont=dict(color=TEXT_ON_STATUS),
            hovertemplate="%{y}: %{x:.0f}% " + label.lower() + "<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title=translate(lang, "chart.completeness.x"), range=[0, 100], ticksuffix="%")
    fig.update_yaxes(autorange="reversed", tickmode="array", tickvals=groups,
                     ticktext=["<br>".join(_plain(line) for line in t.split("<br>")) for t in ticks])
    return _layout(fig, title, height, lang=lang, width=width)


def rates_over_time(
    rates: pd.DataFrame, title: str | None = None, height: int = 360, lang: str = DEFAULT, width: int | None = None
) -> go.Figure:
    """Completeness and on-time rate per period (lines with values printed, where they fit)."""
    width = width or NARROWEST
    periods = rates["period"].astype(str).tolist()
    # A value over every point only when the points are far enough apart for "100%" to fit.
    show_values = len(periods) * (text_px("100%", 13) + 12) <= width - 90
    mode = "lines+markers+text" if show_values else "lines+markers"
    fig = go.Figure()
    fig.add_scatter(
        x=rates["period"],
        y=rates["completeness"],
        name=translate(lang, "chart.rates.completeness"),
        mode=mode,
        text=[f"{v:.0f}%" for v in rates["completeness"].fillna(0)],
        textposition="top center",
        textfont=dict(size=13),
        cliponaxis=False,
        line=dict(color=STATUS_COLORS[rule.COMPLETED], width=3),
        marker=dict(symbol="circle", size=8),
        hovertemplate="%{x}: %{y:.0f}%<extra></extra>",
    )
    fig.add_scatter(
        x=rates["period"],
        y=rates["on_time_rate"],
        name=completeness_label(comp.ON_TIME, lang),
        mode=mode,
        text=[f"{v:.0f}%" for v in rates["on_time_rate"].fillna(0)],
        textposition="bottom center",
        textfont=dict(size=13),
        cliponaxis=False,
        line=dict(color=comp.COLOURS[comp.ON_TIME], width=3, dash="dot"),
        marker=dict(symbol="square", size=8),
        hovertemplate="%{x}: %{y:.0f}%<extra></extra>",
    )
    fig.update_yaxes(title=translate(lang, "chart.completeness.x"), range=[-8, 112], ticksuffix="%",
                     tickvals=[0, 20, 40, 60, 80, 100])
    fig.update_xaxes(title=translate(lang, "chart.axis.period_short"), **_period_ticks(periods, width - 90, 14))
    return _layout(fig, title or translate(lang, "chart.rates.title"), height, lang=lang, width=width)


def sector_status_bars(
    sectors: pd.DataFrame, title: str, height: int = 420, font_size: int = 22, lang: str = DEFAULT
) -> go.Figure:
    """Meeting view: one bar per Sector, coloured and labelled by its computed status."""
    df = sectors.copy()
    fig = go.Figure()
    for s, colour in STATUS_COLOURS.items():
        part = df[df["computed_status"] == s]
        if part.empty:
            continue
        fig.add_bar(
            x=part["sector"],
            y=[1] * len(part),
            name=status_label(s, lang),
            marker_color=colour,
            text=[status_label(s, lang)] * len(part),
            textposition="inside",
            insidetextanchor="middle",
            textfont=dict(size=font_size, color=TEXT_ON_STATUS),
            hovertemplate="%{x}: " + status_label(s, lang) + "<extra></extra>",
        )
    fig.update_yaxes(visible=False, range=[0, 1])
    fig.update_xaxes(
        categoryorder="array",
        categoryarray=df["sector"].tolist(),
        tickfont=dict(size=font_size, color="#31333F"),
    )
    fig.update_layout(bargap=0.08, showlegend=False)
    return _layout(fig, title, height, font_size, lang)


def status_timeline(
    history: pd.DataFrame, title: str, height: int = 360, font_size: int = 18, lang: str = DEFAULT
) -> go.Figure:
    """Sector x period grid of computed status (a heat map with the status written in each cell)."""
    order = list(STATUS_COLOURS)
    df = history.copy()
    periods = sorted(df["period"].unique())
    sectors = sorted(df["sector"].unique())
    rank = {s: i for i, s in enumerate(order)}
    grid = df.pivot_table(index="sector", columns="period", values="computed_status", aggfunc="last")
    grid = grid.reindex(index=sectors, columns=periods)
    z = [
        [rank.get(v, rank[rule.NOT_REPORTED]) if isinstance(v, str) else rank[rule.NOT_REPORTED] for v in row]
        for row in grid.to_numpy()
    ]
    missing = status_label(rule.NOT_REPORTED, lang)
    text = [[status_label(v, lang) if isinstance(v, str) else missing for v in row] for row in grid.to_numpy()]
    n = len(order)
    scale = []
    for i, s in enumerate(order):
        scale += [[i / n, STATUS_COLOURS[s]], [(i + 1) / n, STATUS_COLOURS[s]]]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=periods,
            y=sectors,
            text=text,
            texttemplate="%{text}",
            textfont=dict(color=TEXT_ON_STATUS),
            colorscale=scale,
            zmin=-0.5,
            zmax=n - 0.5,
            showscale=False,
            xgap=3,
            ygap=3,
            hovertemplate="%{y} %{x}: %{text}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category")
    return _layout(fig, title, height, font_size, lang)
