"""Every chart on every page follows the same conventions, because every page shows its charts
through pages.common.show_chart and builds them with isc.charts (isc.chart_style).

The pages are the ones dashboard.py's navigation lists (read from its st.Page(...) calls), so a
new page is walked automatically. Each page runs through the real navigation shell (AppTest) on
the demo database, the Meeting page on a theme step of a started meeting; every data-table
switch is turned on. For every plotly chart:

- the figure is styled by isc.chart_style (its template's font) and stores a one-sentence
  summary, which is also the chart's text alternative (alt);
- the figure carries the "as of" line under the plot;
- the caption under it gives the summary and the long "as of" line;
- beside it, the data-table switch and the export menu (figure with and without caption, data
  as .xlsx and .csv), and under it, once the switch is on, the data table.

A page that draws a chart any other way (st.plotly_chart called directly, a figure built without
isc.charts, another kind of chart element) fails here.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from isc import chart_style
from isc.db import coordination, queries
from pages.common import md
from tests.conftest import DEMO_LAST_PERIOD, ROOT

# Chart elements other than plotly: no page may draw one (they cannot carry the conventions).
OTHER_CHARTS = {"vega_lite_chart", "deck_gl_json_chart", "graphviz_chart", "imgs", "echarts_chart", "bokeh_chart"}
AS_OF_SHORT = re.compile(r"Data as of (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) \(v(\d+)\)")
EXPORTS = ("png", "svg", "pdf", "png_alone", "svg_alone", "pdf_alone", "xlsx", "csv")


def navigation_pages() -> list[str]:
    """The page files of dashboard.py's st.navigation: every st.Page("pages/x.py", ...) call."""
    tree = ast.parse((ROOT / "dashboard.py").read_text(encoding="utf-8"))
    found = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "Page"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    return list(dict.fromkeys(found))


PAGES = navigation_pages()


def _prepare(page: str, at: AppTest) -> None:
    """State a page needs before it shows its charts."""
    if page.endswith("/meeting.py"):  # a started meeting, on its first theme step
        mid = coordination.start_meeting("ISC-TF", str(DEMO_LAST_PERIOD), "Chart conventions",
                                         starts_at=dt.datetime(2026, 11, 20, 10, 0))  # fmt: skip
        at.session_state["meeting_id"] = mid
        at.session_state["meeting_step"] = 1


def run_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.run()
    _prepare(page, at)
    at.switch_page(page).run()
    assert not at.exception, (page, [e.value for e in at.exception])
    for toggle in at.toggle:  # every chart's data-table switch on
        if toggle.key and toggle.key.startswith("table_"):
            toggle.set_value(True)
    at.run()
    assert not at.exception, (page, [e.value for e in at.exception])
    return at


def _children(node) -> list:
    children = getattr(node, "children", None)
    return list(children.values()) if isinstance(children, dict) else []


def _walk(node, out: list) -> list:
    """(element, its siblings, its index among them) for every element under `node`."""
    siblings = _children(node)
    for i, child in enumerate(siblings):
        out.append((child, siblings, i))
        _walk(child, out)
    return out


def _key(element) -> str:
    """The key a page gave an element (its id ends with it), or ""."""
    ident = getattr(getattr(element, "proto", None), "id", "") or ""
    return ident.split("-", 2)[2] if ident.startswith("$$ID-") and ident.count("-") >= 2 else ""


def _descendants(node) -> list:
    return [e for e, _, _ in _walk(node, [])]


def check_chart(page: str, chart, siblings: list, i: int, latest: int) -> None:
    """The conventions of one chart (see the module docstring)."""
    where = f"{page} {_key(chart) or chart.proto.id}"
    spec = json.loads(chart.proto.spec)
    layout = spec["layout"]
    # styled by isc.chart_style: its template, its font
    font = layout.get("template", {}).get("layout", {}).get("font", {})
    assert font.get("family") == chart_style.FONT_FAMILY, f"{where}: not styled by isc.chart_style"
    # the summary, stored in the figure and given as the text alternative
    summary = (layout.get("meta") or {}).get("summary", "")
    assert summary.strip(), f"{where}: no text summary in the figure"
    assert chart.proto.alt == summary, f"{where}: the alt text is not the figure's summary"
    # the "as of" line under the plot
    below = [a.get("text", "") for a in layout.get("annotations", []) if a.get("yref") == "paper" and a.get("y", 0) < 0]
    dated = [AS_OF_SHORT.search(text) for text in below]
    dated = [m for m in dated if m]
    assert dated, f"{where}: no 'as of' line under the plot ({below})"
    when, version = dated[0].group(1), int(dated[0].group(2))
    assert 0 < version <= latest, f"{where}: data version {version}"
    # shown through pages.common.show_chart: keyed chart_<k>
    key = _key(chart)
    assert key.startswith("chart_"), f"{where}: not shown through pages.common.show_chart (key {key!r})"
    k = key.removeprefix("chart_")
    after = siblings[i + 1 : i + 4]
    # the caption: summary and the long "as of" line of the same version
    assert after and after[0].type == "caption", f"{where}: no caption under the chart"
    caption = after[0].value
    assert md(summary) in caption, f"{where}: the caption does not give the summary"
    assert f"Data as of {when} (data version {version})" in caption, f"{where}: no 'as of' line in the caption"
    # the data-table switch and the export menu beside it
    assert len(after) >= 2, f"{where}: no table switch or export menu"
    row = _descendants(after[1])
    keys = {_key(e) for e in row}
    assert f"table_{k}" in keys, f"{where}: no data-table switch"
    menus = [e for e in row if getattr(e, "type", "") == "popover"]
    assert menus, f"{where}: no export menu"
    offered = {_key(e) for e in _descendants(menus[0]) if getattr(e, "type", "") == "download_button"}
    missing = {f"export_{x}_{k}" for x in EXPORTS} - offered
    assert not missing, f"{where}: the export menu lacks {sorted(missing)}"
    # the data table, once the switch is on
    assert len(after) >= 3 and after[2].type == "dataframe", f"{where}: no data table under the chart"
    assert not after[2].value.empty, f"{where}: the data table is empty"


@pytest.mark.parametrize("page", PAGES)
def test_every_chart_follows_the_conventions(demo_db, page):
    at = run_page(page)
    latest = queries.summary(db=demo_db)["version"]
    elements = _walk(at.main, [])
    other = sorted({e.type for e, _, _ in elements if getattr(e, "type", "") in OTHER_CHARTS})
    assert not other, f"{page}: charts drawn with {other}, not plotly through pages.common.show_chart"
    charts = [(e, sib, i) for e, sib, i in elements if getattr(e, "type", "") == "plotly_chart"]
    assert len(charts) == len(at.get("plotly_chart"))  # every chart of the page is checked
    for chart, siblings, i in charts:
        check_chart(page, chart, siblings, i, latest)


def test_the_walk_covers_the_pages_that_draw_charts(demo_db):
    """The page list is dashboard.py's, and the walk meets charts (a broken walk passes nothing)."""
    assert len(PAGES) >= 13 and "pages/completeness.py" in PAGES and "pages/meeting.py" in PAGES
    for page, least in (("pages/completeness.py", 3), ("pages/meeting.py", 1)):
        at = run_page(page)
        assert len(at.get("plotly_chart")) >= least, page


def test_pages_keep_no_cache_of_their_own():
    """Pages read through pages.common (q, read: keyed by the database file's fingerprint); the one
    other cache is the Upload page's template workbook, a file it builds, not a read."""
    builds = {("upload.py", "_template")}
    for path in sorted((ROOT / "pages").glob("*.py")):
        if path.name == "common.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                for deco in node.decorator_list:
                    text = ast.unparse(deco)
                    if "cache_data" in text or "cache_resource" in text:
                        assert (path.name, node.name) in builds, f"{path.name}: {node.name} keeps its own cache"
