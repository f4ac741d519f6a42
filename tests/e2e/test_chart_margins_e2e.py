"""Charts are drawn once: their margins already hold their labels (isc.chart_style.reserve_margins).

plotly's automargin draws a chart, measures its tick labels and colour bar, and, when they do not
fit the margins given, draws the whole chart again: about 2.3x the drawing time, the largest part
of a page switch in the browser (issue 17). Here every chart of the Monitor pages and of
Completeness, in English and French on the demo database, is drawn by plotly.js (the copy that
ships with the plotly package) in Chromium at the widths a page gives it, and:

- the margins plotly computes equal the ones the figure asks for: nothing pushed them, so there
  was no second drawing (automargin stays on as the safety net, so nothing is ever clipped);
- the left margin is not much wider than the labels need (measured by drawing with no margin),
  so the charts look as they did when plotly widened the margins itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import plotly
import pytest

from isc import chart_style
from isc.font_metrics import arial_px
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PAGES = ("overview", "themes", "tracks", "sectors", "resolutions", "completeness")
WIDTHS = (700, 1100)  # px: a chart's container at 1366 and at 1920 wide screens, about

DRAW = """async ([spec, width, bare]) => {
  const el = document.getElementById('g');
  el.style.width = width + 'px';
  Plotly.purge(el);
  const layout = JSON.parse(JSON.stringify(spec.layout));
  if (bare) layout.margin = {...layout.margin, l: 0, r: 0};
  await Plotly.newPlot(el, spec.data, layout, {displaylogo: false});
  const got = el._fullLayout._size, asked = el._fullLayout.margin;
  return {l: got.l, r: got.r, t: got.t, b: got.b, asked: {l: asked.l, r: asked.r, t: asked.t, b: asked.b}};
}"""


@pytest.fixture(scope="module")
def figures(tmp_path_factory, demo_master) -> dict[str, list[dict]]:
    """The plotly specs every chart of the pages sends to the browser, by "lang:page"."""
    import os
    import shutil

    from isc import settings
    from tests import test_chart_conventions as conventions

    db = tmp_path_factory.mktemp("margins") / "isc.duckdb"
    shutil.copy(demo_master, db)
    old = os.environ.get("ISC_DB")
    os.environ["ISC_DB"] = str(db)
    settings.environment.cache_clear()
    try:
        out = {}
        for lang in ("en", "fr"):
            for page in PAGES:
                at = conventions.AppTest.from_file(
                    str(conventions.ROOT / "dashboard.py"), default_timeout=120
                )
                at.session_state["lang"] = lang
                at.run()
                at.switch_page(f"pages/{page}.py").run()
                assert not at.exception, (page, [e.value for e in at.exception])
                out[f"{lang}:{page}"] = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    finally:
        if old is None:
            os.environ.pop("ISC_DB", None)
        else:
            os.environ["ISC_DB"] = old
        settings.environment.cache_clear()
    assert sum(len(v) for v in out.values()) >= 20, {k: len(v) for k, v in out.items()}
    return out


def test_every_chart_is_drawn_once_with_room_for_its_labels(figures):
    from playwright.sync_api import sync_playwright

    pushed, wide, drawn = [], [], 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1920, "height": 1080})
            tab.set_content("<div id='g'></div>")
            tab.add_script_tag(path=str(PLOTLY_JS))
            for name, specs in figures.items():
                for k, spec in enumerate(specs):
                    for width in WIDTHS:
                        got = tab.evaluate(DRAW, [spec, width, False])
                        drawn += 1
                        over = {side: got[side] - got["asked"][side] for side in "lrtb"
                                if got[side] > got["asked"][side] + 0.5}  # fmt: skip
                        if over:
                            pushed.append((name, k, width, over))
                        need = tab.evaluate(DRAW, [spec, width, True])["l"] + 12  # see LABEL_PAD
                        if got["asked"]["l"] > max(20, need) + 16:
                            wide.append((name, k, width, got["asked"]["l"], need))
        finally:
            browser.close()
    assert drawn >= 40
    assert not pushed, f"charts plotly had to draw twice (margins it widened, px): {pushed}"
    assert not wide, f"left margins much wider than the labels need (asked, needed): {wide}"


def test_arial_widths_are_the_fonts_own():
    """The table in isc.font_metrics is Liberation Sans (Arial's metrics), read with Pillow when
    the font is installed here (.ci/run installs fonts-liberation)."""
    font_file = Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
    if not font_file.exists():
        pytest.skip("Liberation Sans is not installed")
    from PIL import ImageFont

    font = ImageFont.truetype(str(font_file), 2048, layout_engine=ImageFont.Layout.BASIC)  # 1 px = 1 unit
    for text in (
        "Strategic leadership",
        "ITU-R",
        "Coordination programmatique",
        "Émergence, 1 234 %",
        "Wijk",
    ):
        expected = sum(font.getlength(ch) for ch in text) * 16 / 2048
        assert arial_px(text, 16) == pytest.approx(expected, abs=0.05), text
    # a character the table lacks is taken wide, never narrow
    assert arial_px("中", 10) >= 10
    assert chart_style.LABEL_PAD > 0
