"""Colour contrast computed with the WCAG 2.x relative-luminance formula.

Thresholds: text >= 4.5:1 (WCAG 1.4.3, normal-size text, which also covers the large text of
the meeting view); graphical objects (bars, heatmap cells, lines, markers) >= 3:1 against the
white background (WCAG 1.4.11, non-text contrast).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from isc import chart_style, charts, completeness

MEETING = Path(__file__).resolve().parent.parent / "pages" / "meeting.py"
STREAMLIT_TEXT = "#31333F"  # Streamlit's default text colour (the meeting step line inherits it)

WHITE = "#FFFFFF"
TEXT = 4.5
GRAPHIC = 3.0


def luminance(colour: str) -> float:
    """WCAG relative luminance of an sRGB colour "#RRGGBB"."""
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_formula_matches_known_values():
    assert contrast("#000000", WHITE) == pytest.approx(21.0)
    assert contrast(WHITE, WHITE) == pytest.approx(1.0)
    assert contrast("#767676", WHITE) == pytest.approx(4.54, abs=0.01)  # the classic AA grey


GRAPHICS = {
    **{f"status {s}": c for s, c in charts.STATUS_COLORS.items()},
    **{f"series {i}": c for i, c in enumerate(charts.BLUES)},  # tracks and Sectors (lines, bars)
    **{f"role {r}": c for r, c in charts.ROLE_COLORS.items()},  # Sector participation bars
    **{f"coverage {k}": c for k, c in charts.COVERAGE_COLORS.items()},
    **{f"completeness {k}": c for k, c in chart_style.COMPLETENESS_COLORS.items()},
}


@pytest.mark.parametrize("name", list(GRAPHICS))
def test_graphical_colours_stand_out_from_the_white_background(name):
    assert contrast(GRAPHICS[name], WHITE) >= GRAPHIC, f"{name} {GRAPHICS[name]}"


@pytest.mark.parametrize("status", charts.STATUS_ORDER)
def test_text_written_on_a_status_colour_is_legible(status):
    """Heatmap cells, stacked-bar labels, meeting badges and bars: dark text on the status colour."""
    assert contrast(charts.TEXT_ON_STATUS, charts.STATUS_COLORS[status]) >= TEXT
    assert contrast(meeting_constants()["BADGE_TEXT"], charts.STATUS_COLORS[status]) >= TEXT


@pytest.mark.parametrize("state", completeness.ORDER)
def test_completeness_bar_labels_are_legible(state):
    assert contrast(charts.TEXT_ON_STATUS, chart_style.COMPLETENESS_COLORS[state]) >= TEXT


def test_chart_text_colours_on_white():
    layout = charts.TEMPLATE.layout
    for colour in (layout.font.color, layout.title.font.color, "#333333", "#555555"):  # as-of line, empty note
        assert contrast(colour, WHITE) >= TEXT, colour


def meeting_constants() -> dict[str, str]:
    """PROJECTOR_CSS and BADGE_TEXT of pages/meeting.py, read without running the page."""
    tree = ast.parse(MEETING.read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name == "PROJECTOR_CSS":
                out[name] = ast.literal_eval(node.value)
            elif name == "BADGE_TEXT":
                # charts is isc.charts there (the status colours and text of isc.chart_style)
                assert ast.unparse(node.value) == "charts.TEXT_ON_STATUS"
                out[name] = charts.TEXT_ON_STATUS
    return out


def test_meeting_view_text_colours():
    """Every text colour of the meeting view passes 4.5:1 on its background: the projector CSS
    (any colour it sets is on the white page), the step line (Streamlit's text colour) and the
    status badges (BADGE_TEXT on each status colour)."""
    found = meeting_constants()
    for colour in re.findall(r"(?<![-\w])color:\s*(#[0-9A-Fa-f]{6})", found["PROJECTOR_CSS"]):
        assert contrast(colour, WHITE) >= TEXT, colour
    assert contrast(STREAMLIT_TEXT, WHITE) >= TEXT
    assert "color:{BADGE_TEXT}" in MEETING.read_text(encoding="utf-8")  # the badge uses it
    for status, background in charts.STATUS_COLORS.items():
        assert contrast(found["BADGE_TEXT"], background) >= TEXT, status
