"""The one set of chart conventions every figure of the dashboard follows (no Streamlit here).

Why one module: the pages, the Council pack and the print exports must look and read alike, and
a chart built any other way would silently lose what makes it accessible. So every chart
builder (isc.charts) ends in `styled_figure`, which gives the figure:

- the template: one font family and sizes legible on a shared meeting screen, white background;
- its title (with the colour key on a second line where colours carry meaning), the legend in
  its own band under it, margins from the labels;
- the "as of" line under the plot (an annotation below the plotting area, which print exports
  replace with their own source line);
- a one-sentence text summary (alt text) in `fig.layout.meta["summary"]`, read back by `summary`;
- data values made inert for plotly's pseudo-HTML (`_inert`).

The palettes live here too: the status colours (Okabe-Ito, checked for contrast by
tests/test_contrast.py), the completeness colours (the same hues, meaning on time / late /
missing / not yet due), series, roles and coverage.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import plotly.graph_objects as go

from isc import completeness as comp
from isc.font_metrics import arial_px
from isc.i18n import DEFAULT, translate
from isc.status import ALL, AT_RISK, COMPLETED, NOT_REPORTED, OFF_TRACK, ON_TRACK

ITU_BLUE = "#1D5C9B"
# Series colours (one per track or Sector): each at least 3:1 against white.
BLUES = ["#1D5C9B", "#5B8DC9", "#0B3D6B", "#1F7A8C", "#3A78B8", "#6C5B9E"]
# Several series on one chart (tracks, Sectors): a qualitative palette (Paul Tol's "muted", darkened
# to at least 3:1 against white), each series also with its own dash and marker.
SERIES = ["#1D5C9B", "#A23A6E", "#117733", "#7A5C00", "#5B4A9E", "#333333"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
MARKERS = ["circle", "square", "diamond", "triangle-up", "x", "star"]
STATUS_ORDER = list(ALL)
# Okabe-Ito hues, adjusted so that each is at least 3:1 against the white background (WCAG 1.4.11,
# graphical objects) and at least 4.5:1 against the dark text written on it (TEXT_ON_STATUS);
# tests/test_contrast.py computes both.
STATUS_COLORS = {
    COMPLETED: "#2A84C6",  # blue (Okabe-Ito #0072B2, lightened for the dark text on it)
    ON_TRACK: "#009E73",  # bluish green
    AT_RISK: "#B87A00",  # orange (Okabe-Ito #E69F00, darkened against white)
    OFF_TRACK: "#D55E00",  # vermillion
    NOT_REPORTED: "#8F8F8F",  # grey
}
TEXT_ON_STATUS = "#111111"
STATUS_SYMBOLS = {COMPLETED: "✓", ON_TRACK: "●", AT_RISK: "▲", OFF_TRACK: "✕", NOT_REPORTED: "?"}
ROLE_COLORS = {"led": "#0B3D6B", "joint": "#3A78B8", "partnered": "#6495CC"}
COVERAGE_COLORS = {
    "reported": STATUS_COLORS[COMPLETED],
    "no report": STATUS_COLORS[AT_RISK],
    "no theme": STATUS_COLORS[OFF_TRACK],
}
# Reporting completeness: the status hues, meaning on time (on track), late (at risk), missing (off
# track) and not yet due (not reported); the same checks apply (tests/test_contrast.py).
COMPLETENESS_COLORS = {
    comp.ON_TIME: STATUS_COLORS[ON_TRACK],
    comp.LATE: STATUS_COLORS[AT_RISK],
    comp.MISSING: STATUS_COLORS[OFF_TRACK],
    comp.NOT_DUE: STATUS_COLORS[NOT_REPORTED],
}
FONT_FAMILY = "Arial, Helvetica, sans-serif"
FONT_SIZE = 16

TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": "#111111"},
        "title": {"font": {"size": 22, "color": "#0B3D6B"}, "x": 0.0, "xanchor": "left"},
        "colorway": BLUES,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "xaxis": {
            "gridcolor": "#E3E8EF",
            "linecolor": "#555555",
            "ticks": "outside",
            "automargin": True,
            "title": {"font": {"size": FONT_SIZE}},
        },
        "yaxis": {
            "gridcolor": "#E3E8EF",
            "linecolor": "#555555",
            "automargin": True,
            "title": {"font": {"size": FONT_SIZE}},
        },
        "legend": {"font": {"size": 15}, "orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        "hoverlabel": {"font": {"size": 15}},
        "margin": {"l": 20, "r": 20, "t": 100, "b": 90},
    }
)

AS_OF_FONT = {"size": 13, "color": "#333333"}  # the "as of" line under every plot
LABEL_PAD = 29  # px plotly's automargin adds to the widest tick label beside the plot
HEATMAP_PAD = 8  # and beside a heatmap, this much more
LAST_LABEL_PAD = 14  # px plotly keeps right of the part of the last x label past the plot


# --- fitting text to the width a chart gets ----------------------------------------------------
# Streamlit does not tell a figure its width in pixels: a page passes `width`, the narrowest its
# column gets (pages.common.reflow keeps columns at least that wide, wrapping them below it), and
# the chart lays its text out for that: margins from the longest label, long labels wrapped or
# shortened (the full text in the hover and the data table), heatmap cell labels abbreviated or
# reduced to their symbol, titles and the colour key wrapped, the legend in its own band.

NARROWEST = 420  # px: the narrowest chart of a page at 1024 px or at 150% zoom (see reflow)
# Decimal and thousands separators (plotly's `separators`): a decimal comma and a thin space in French.
SEPARATORS = {"fr": ",\u202f"}
_NARROW = set("iIl.,:;'|!()[]{}/ ")
_WIDE = set("MWmw@%—✓●▲✕■◆")


def text_px(text: str, size: float) -> float:
    """The width of `text` in Arial at `size` px, estimated per character (a slight overestimate)."""
    text = re.sub(r"<[^>]+>", "", str(text)).replace("&lt;", "<").replace("&gt;", ">")
    width = 0.0
    for ch in text:
        if ch in _NARROW:
            width += 0.3
        elif ch in _WIDE:
            width += 0.85
        elif ch.isupper() or ch.isdigit():
            width += 0.66 if ch.isupper() else 0.56
        else:
            width += 0.53
    return width * size


def separators(lang: str = DEFAULT) -> str:
    """plotly's layout.separators for the language: decimal mark, then thousands separator."""
    return SEPARATORS.get(lang, ".,")


def legend_rows(names: list[str], width: float, size: float = 15) -> int:
    """How many rows a horizontal legend of these entries takes in a figure `width` px wide."""
    rows, used = 1, 0.0
    for name in names:
        item = text_px(name, size) + 50  # the symbol and the gap to the next entry
        if used and used + item > width - 10:
            rows, used = rows + 1, 0.0
        used += item
    return rows


def _values(value) -> list:
    """A trace's data values as a plain list (lists, tuples, pandas and numpy arrays alike)."""
    if value is None or isinstance(value, (str, dict)):
        return []
    return list(value.tolist() if hasattr(value, "tolist") else value)


def _number_text(value: float, exact: bool) -> str:
    """About the widest tick label plotly writes for numbers up to `value`: whole numbers with a
    thousands separator (all digits are equally wide in Arial), a decimal on small ranges."""
    text = f"{abs(value):,.0f}"
    if not exact and abs(value) < 5:
        text += ".5"
    return ("-" if value < 0 else "") + text


def _tick_labels(axis: dict, traces: list[dict], letter: str, name: str) -> list[str]:
    """The widest tick labels the axis will show, as far as the figure tells: its ticktext, else
    the category values of the traces drawn on it, else numbers up to its range or data."""
    if axis.get("visible") is False or axis.get("showticklabels") is False:
        return []
    prefix, suffix = str(axis.get("tickprefix", "")), str(axis.get("ticksuffix", ""))
    if axis.get("ticktext") is not None:
        return [str(v) for v in axis["ticktext"]]
    if axis.get("tickvals") is not None and axis.get("type") != "category":
        vals = _values(axis["tickvals"])
        if all(isinstance(v, (int, float)) for v in vals):
            return [f"{prefix}{_number_text(v, float(v).is_integer())}{suffix}" for v in vals]
        return [str(v) for v in vals]
    ref = letter + name[len(letter) + 4 :]  # "yaxis2" -> "y2"
    values = [
        v for tr in traces if (tr.get(f"{letter}axis") or letter) == ref for v in _values(tr.get(letter))
    ]
    if any(isinstance(v, str) for v in values) or axis.get("type") == "category":
        return [str(v) for v in values]
    numbers = [v for v in values if isinstance(v, (int, float)) and v == v] + _values(axis.get("range"))
    if not numbers or axis.get("type") == "date":
        return []
    exact = all(float(v).is_integer() for v in numbers)
    # plotly pads its automatic range: a bar of 98 may get a tick at 100
    ends = (
        max(numbers) * (1 if axis.get("range") else 1.1),
        min(numbers) * (1 if axis.get("range") else 1.1),
    )
    return [f"{prefix}{_number_text(v, exact)}{suffix}" for v in ends]


def _label_px(text: str, size: float) -> float:
    """The drawn width of one line of plotly text (its tags dropped, its entities as drawn)."""
    text = re.sub(r"<[^>]+>", "", str(text))
    return arial_px(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"), size)


def _axis_room(axis: dict, traces: list[dict], letter: str, name: str) -> float:
    """The pixels the axis's tick labels and title take beside the plot (left of a y axis)."""
    size = (axis.get("tickfont") or {}).get("size") or FONT_SIZE
    lines = [line for label in _tick_labels(axis, traces, letter, name) for line in str(label).split("<br>")]
    room = max((_label_px(line, size) for line in lines), default=0.0)
    if not lines:
        return 0.0
    heatmap = any(tr.get("type") == "heatmap" for tr in traces)
    return room + LABEL_PAD + (HEATMAP_PAD if heatmap else 0.0)


def _colorbar_room(traces: list[dict], width: float) -> float:
    """The pixels a heatmap's colour bar takes right of the plot (its ticks and title)."""
    bars = [tr for tr in traces if tr.get("type") == "heatmap" and tr.get("showscale") is not False]
    if not bars:
        return 0.0
    bar = bars[0].get("colorbar") or {}
    z = [
        v for row in _values(bars[0].get("z")) for v in (_values(row) or [row]) if isinstance(v, (int, float))
    ]
    ticks = max(
        (_label_px(_number_text(v, all(float(x).is_integer() for x in z)), FONT_SIZE) for v in z), default=0
    )
    title = 1.25 * FONT_SIZE if (bar.get("title") or {}).get("text") else 0
    # the bar stands at 2% of the plot's width right of it: assume a wide chart (a second pass otherwise)
    return 0.02 * max(width, 1800) + 10 + bar.get("thickness", 30) + 6 + ticks + title + 12


def reserve_margins(lay: dict, traces: list[dict], width: float) -> None:
    """Widen the left and right margins to the room the axis labels and the colour bar take.

    Why: plotly's automargin draws a chart, finds the labels do not fit the margins, and draws it
    all again (about 2.3x the drawing time, the largest part of a page switch in the browser). A
    margin already wide enough needs no second pass. The estimate errs wide (text_px); automargin
    stays on, so a label wider than estimated still fits, at the cost of that second pass."""
    left = max((_axis_room(axis, traces, "y", name) for name, axis in lay.items()
                if re.fullmatch(r"yaxis\d*", name) and isinstance(axis, dict) and axis.get("side") != "right"),
               default=0.0)  # fmt: skip
    margin = lay.setdefault("margin", {})
    margin["l"] = max(margin.get("l", 0), math.ceil(left))
    right = max(
        _colorbar_room(traces, width), _last_label_room(lay.get("xaxis") or {}, traces, width - left - 20)
    )
    margin["r"] = max(margin.get("r", 0), math.ceil(right))


def _last_label_room(axis: dict, traces: list[dict], plot_px: float) -> float:
    """Right of the plot, the part of a category axis's last label that overhangs its column
    (centred on it): many narrow columns (40 quarters) and a long last label ("2026-Q3")."""
    if axis.get("side") == "top" or axis.get("tickangle") not in (None, 0):
        return 0.0
    if any(tr.get("type") not in ("heatmap", "bar") for tr in traces):  # lines: measured, no overhang
        return 0.0
    labels = _tick_labels(axis, traces, "x", "xaxis")
    if not labels or not all(isinstance(v, str) for tr in traces for v in _values(tr.get("x"))[:1]):
        return 0.0
    columns = len(dict.fromkeys(v for tr in traces for v in _values(tr.get("x")))) or 1
    size = (axis.get("tickfont") or {}).get("size") or FONT_SIZE
    overhang = (
        max(_label_px(line, size) for line in str(labels[-1]).split("<br>")) / 2 - plot_px / columns / 2
    )
    return overhang + LAST_LABEL_PAD


def summary(fig: go.Figure) -> str:
    """The one-sentence text summary (alt text) stored in the figure."""
    meta = fig.layout.meta or {}
    return meta.get("summary", "") if isinstance(meta, dict) else ""


def _title_lines(title: str, width: float) -> tuple[str, float, int]:
    """The title fitted to the figure's width: its main text on one line (exports and pages read
    the title up to its first <br>), at 22 px or smaller down to 16 px to fit; then the colour key
    (a <sup> line) broken between its entries. Returns (text, main font size, key lines)."""
    main, _, key = title.partition("<br>")
    key = re.sub(r"</?sup>", "", key)
    size = max(16.0, min(22.0, 22 * (width - 16) / max(1.0, text_px(main, 22))))
    key_lines: list[str] = []
    for entry in [e for e in re.split(r"\s{3,}|<br>", key) if e.strip()]:
        if key_lines and text_px(key_lines[-1] + "   " + entry, 15) <= width - 16:
            key_lines[-1] += "   " + entry
        else:
            key_lines.append(entry)
    text = main + "".join(f"<br><sup>{k}</sup>" for k in key_lines)
    return text, round(size, 1), len(key_lines)


def styled_figure(
    data: list[dict],
    title: str,
    as_of: str,
    text: str,
    x_title: str | None = None,
    y_title: str | None = None,
    height: int | None = None,
    layout: dict | None = None,
    empty: bool = False,
    lang: str = DEFAULT,
    width: int | None = None,
) -> go.Figure:
    """Build the figure in one go (plotly validates once: several times faster than updating).

    width: the narrowest the figure will be drawn (px); its title, colour key and legend are laid
    out to fit it: the title at the top, the legend in its own band under it, then the plot."""
    width = width or NARROWEST
    height = height or 450
    title_text, title_size, key_lines = _title_lines(title, width)
    lay = {
        "template": TEMPLATE,
        # plotly anchors a title of several lines a little high: each key line moves it down 6 px
        "title": {
            "text": title_text,
            "yref": "container",
            "y": 1 - (8 + 6 * key_lines) / height,
            "yanchor": "top",
            "font": {"size": title_size},
            "pad": {"l": 6},
        },
        "meta": {"summary": text},
        "xaxis": {"title": {"text": x_title or ""}},
        "yaxis": {"title": {"text": y_title or ""}},
        "separators": separators(lang),
        # Bar labels too small to read are left out (the number is in the hover and the table).
        "uniformtext": {"minsize": 11, "mode": "hide"},
        "height": height,
    }
    for key, value in (layout or {}).items():
        if isinstance(value, dict) and isinstance(lay.get(key), dict):
            lay[key] = {**lay[key], **value}
        else:
            lay[key] = value
    top = 12 + 1.3 * title_size + 26 * key_lines
    named = [
        d.get("name") for d in data if isinstance(d, dict) and d.get("name") and d.get("showlegend", True)
    ]
    if lay.get("showlegend") is not False and len(named) > 1 and not empty:
        lay["legend"] = {
            **lay.get("legend", {}),
            "orientation": "h",
            "yref": "container",
            "y": 1 - (top + 4) / height,
            "yanchor": "top",
            "xref": "container",
            "x": 0.01,
            "xanchor": "left",
        }
        top += 8 + 33 * legend_rows(named, width)  # a row of 15 px entries is 33 px high
    if lay["xaxis"].get("side") == "top" and lay["xaxis"].get("visible", True):
        top += 30 + (26 if x_title else 0)  # tick labels and axis title above the plot
    bottom = 8
    if lay["xaxis"].get("side") != "top" and lay["xaxis"].get("visible", True) and not empty:
        tick_size = (lay["xaxis"].get("tickfont") or {}).get("size") or FONT_SIZE
        bottom += (
            max(26, 10 + tick_size) + (26 if x_title else 0) + (30 if lay["xaxis"].get("tickangle") else 0)
        )
    margin = {"l": 20, "r": 20, **lay.get("margin", {})}
    # whole pixels: plotly compares the margins it computes with these, and a fraction would differ
    margin["t"] = math.ceil(max(margin.get("t", 0), top + 8))
    margin["b"] = math.ceil(bottom + 26)
    lay["margin"] = margin
    notes = list(lay.pop("annotations", []))
    notes.append(
        {
            "text": as_of,
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "y": -0.001,  # below the plot (print exports replace it with their own source line)
            "yshift": -bottom,
            "xanchor": "left",
            "yanchor": "top",
            "showarrow": False,
            "font": AS_OF_FONT,
        }
    )
    if empty:
        notes.append(
            {
                "text": translate(lang, "chart.no_data"),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 18, "color": "#555555"},
            }
        )
        lay["xaxis"] = {**lay["xaxis"], "visible": False}
        lay["yaxis"] = {**lay["yaxis"], "visible": False}
    lay["annotations"] = notes
    if not empty:
        reserve_margins(lay, data, width)
    return go.Figure(data=[_inert(trace) for trace in data], layout=lay)


# Trace fields that carry data values (theme names, titles) which plotly would read as its
# pseudo-HTML: a "<a href>" in a theme name must show as text, not become a link.
_DATA_FIELDS = ("x", "y", "z", "text", "hovertext", "customdata", "labels")


def _plain_text(value):
    if isinstance(value, str):
        return value.replace("<", "&lt;").replace(">", "&gt;")
    if isinstance(value, (list, tuple)):
        return [_plain_text(v) for v in value]
    return value


def _inert(trace: dict) -> dict:
    """The trace with `<` and `>` in its data values escaped (plotly shows them as typed)."""
    if not isinstance(trace, dict):
        return trace
    out = dict(trace)
    for key in _DATA_FIELDS:
        value = out.get(key)
        dtype = getattr(value, "dtype", None)  # a Series, an Index or a numpy array
        if dtype is not None and (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
            value = value.tolist()
        if isinstance(value, (str, list, tuple)):
            out[key] = _plain_text(value)
    return out
