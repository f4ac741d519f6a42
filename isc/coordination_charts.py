"""Plotly figures for the coordination pages (completeness, meeting). No streamlit here.

Colours are the Okabe-Ito palette used elsewhere, and every coloured mark also carries a text
label so nothing depends on colour alone.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from isc import completeness as comp
from isc import status as rule
from isc.charts import STATUS_COLORS, TEXT_ON_STATUS, status_label
from isc.i18n import DEFAULT, translate

# The same status colours as isc.charts (checked for contrast there), in the order of the key.
STATUS_COLOURS = {
    s: STATUS_COLORS[s] for s in (rule.COMPLETED, rule.ON_TRACK, rule.AT_RISK, rule.OFF_TRACK, rule.NOT_REPORTED)
}
_FONT = dict(family="Source Sans Pro, Arial, sans-serif")


def _layout(fig: go.Figure, title: str, height: int, font_size: int = 14) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, font=dict(size=font_size + 2)),
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),
        font=dict(size=font_size, **_FONT),
        legend=dict(orientation="h", y=-0.15),
        plot_bgcolor="white",
    )
    return fig


def completeness_label(state: str, lang: str = DEFAULT) -> str:
    """On time, late, missing, not yet due, in the language (keys completeness.<state>)."""
    return translate(lang, f"completeness.{state}")


def completeness_bars(
    rates: pd.DataFrame, by: str, title: str, height: int = 380, lang: str = DEFAULT
) -> go.Figure:
    """Stacked horizontal bars: on time / late / missing shares per group, labelled with counts."""
    fig = go.Figure()
    groups = rates[by].astype(str).tolist()
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
    fig.update_layout(barmode="stack", legend=dict(traceorder="normal"))
    fig.update_xaxes(title=translate(lang, "chart.completeness.x"), range=[0, 100], ticksuffix="%")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height)


def rates_over_time(
    rates: pd.DataFrame, title: str | None = None, height: int = 360, lang: str = DEFAULT
) -> go.Figure:
    """Completeness and on-time rate per period (lines with values printed)."""
    fig = go.Figure()
    fig.add_scatter(
        x=rates["period"],
        y=rates["completeness"],
        name=translate(lang, "chart.rates.completeness"),
        mode="lines+markers+text",
        text=[f"{v:.0f}%" for v in rates["completeness"].fillna(0)],
        textposition="top center",
        line=dict(color=STATUS_COLORS[rule.COMPLETED], width=3),
    )
    fig.add_scatter(
        x=rates["period"],
        y=rates["on_time_rate"],
        name=completeness_label(comp.ON_TIME, lang),
        mode="lines+markers+text",
        text=[f"{v:.0f}%" for v in rates["on_time_rate"].fillna(0)],
        textposition="bottom center",
        line=dict(color=comp.COLOURS[comp.ON_TIME], width=3, dash="dot"),
    )
    fig.update_yaxes(title=translate(lang, "chart.completeness.x"), range=[0, 105], ticksuffix="%")
    fig.update_xaxes(type="category", title=translate(lang, "chart.axis.period_short"))
    return _layout(fig, title or translate(lang, "chart.rates.title"), height)


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
    return _layout(fig, title, height, font_size)


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
    return _layout(fig, title, height, font_size)
