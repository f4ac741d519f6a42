"""Readable on a projector and a laptop (issue 15): every page at 1920x1080, 1366x768, 1280x720
and 1024x768, and at 150% zoom (a 1280x720 screen at 150% shows 853x480 CSS pixels), in English
and in French, rendered with a device scale factor of 1.5.

A page fails when
- two text elements of a plotly chart overlap (tick labels, legend items, titles, annotations,
  bar and heatmap cell labels), a text lies partly outside the chart's own box, or a heatmap
  cell label is wider than its cell;
- an HTML text holder (metric label, value and delta, headings, card titles) is cut
  (`scrollWidth > clientWidth`) or breaks a word in the middle;
- the page scrolls sideways.

The page is loaded once per language and the window is then resized (Streamlit and plotly reflow
on resize), which keeps the run to a few minutes. Screenshots go to
tests/artifacts/screenshots/layout/<page>-<lang>-<width>x<height>.png.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import MONITOR_PAGES, PAGES, SCREENSHOTS, open_page

pytestmark = pytest.mark.e2e

# (width, height) in CSS pixels; the last is 1280x720 at 150% zoom.
SIZES = [(1920, 1080), (1366, 768), (1280, 720), (1024, 768), (853, 480)]
# The other pages (forms and tables, no plotly chart of their own): the projector and the narrowest.
FEW_SIZES = [(1366, 768), (853, 480)]
LANGS = ("en", "fr")
SHOTS = SCREENSHOTS / "layout"

# Every text of every plotly chart on the page, with its box, and the chart's own box.
CHART_TEXTS_JS = r"""
() => {
  const out = [];
  document.querySelectorAll('.js-plotly-plot').forEach((plot, p) => {
    const svg = plot.querySelector('svg.main-svg');
    if (!svg) return;
    const box = svg.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return;   // a chart in a closed expander or tab
    const title = (plot.querySelector('.gtitle') || {}).textContent || `chart ${p}`;
    const texts = [];
    plot.querySelectorAll('svg text').forEach(el => {
      const s = (el.textContent || '').trim();
      if (!s) return;
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden' || style.opacity === '0') return;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return;
      let kind = 'text';
      if (el.closest('.xtick')) kind = 'xtick';
      else if (el.closest('.ytick')) kind = 'ytick';
      else if (el.closest('.legendtext, .legend')) kind = 'legend';
      else if (el.closest('.hm, .heatmaplayer')) kind = 'cell';
      else if (el.closest('.bartext, .bars')) kind = 'bar';
      else if (el.closest('.infolayer .g-gtitle')) kind = 'title';
      else if (el.closest('.annotation')) kind = 'note';
      texts.push({s, kind, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom,
                  // the plot area of this text's subplot (heatmap cells only)
                  });
    });
    // heatmap cells: the plot area and the number of columns, to check each label fits its cell
    const cells = [];
    plot.querySelectorAll('.heatmaplayer .hm').forEach(hm => {
      const labels = [...hm.querySelectorAll('text')].filter(t => (t.textContent || '').trim());
      const xs = [...new Set(labels.map(t => Math.round(+t.getAttribute('x'))))].sort((a, b) => a - b);
      let step = Infinity;
      for (let i = 1; i < xs.length; i++) step = Math.min(step, xs[i] - xs[i - 1]);
      if (!isFinite(step)) return;
      labels.forEach(t => {
        const r = t.getBoundingClientRect();
        cells.push({s: t.textContent.trim(), width: r.width, cell: step});
      });
    });
    out.push({title, box: {x0: box.left, y0: box.top, x1: box.right, y1: box.bottom}, texts, cells});
  });
  return out;
}
"""

# HTML texts that must never be cut or broken mid-word.
HTML_TEXTS_JS = r"""
() => {
  const problems = [];
  const visible = el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const cut = el => {
    // the element or one of its descendants hides part of its text (ellipsis or overflow)
    for (const e of [el, ...el.querySelectorAll('*')]) {
      if (!visible(e)) continue;
      if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible') return e;
    }
    return null;
  };
  const brokenWord = el => {
    // a word whose letters sit on two lines
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const text = node.textContent;
      const re = /[\p{L}\p{N}]{2,}/gu;
      let m;
      while ((m = re.exec(text))) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) return m[0];
      }
    }
    return null;
  };
  const selectors = [
    '[data-testid="stMetricLabel"]', '[data-testid="stMetricValue"]', '[data-testid="stMetricDelta"]',
    '[data-testid="stMain"] h1', '[data-testid="stMain"] h2', '[data-testid="stMain"] h3',
    '[data-testid="stMain"] [data-testid="stWidgetLabel"]', '[data-testid="stExpander"] summary',
    '[data-testid="stMain"] [data-testid="stTab"]',
  ];
  document.querySelectorAll(selectors.join(',')).forEach(el => {
    if (!visible(el)) return;
    const text = (el.innerText || '').trim().slice(0, 60);
    if (!text) return;
    const c = cut(el);
    if (c) problems.push(`cut: "${text}" (${c.scrollWidth}px of text in ${c.clientWidth}px)`);
    const w = brokenWord(el);
    if (w) problems.push(`word broken across lines: "${w}" in "${text}"`);
  });
  const doc = document.scrollingElement;
  const main = document.querySelector('[data-testid="stMain"]');
  for (const e of [doc, main]) {
    if (e && e.scrollWidth > e.clientWidth + 1) {
      problems.push(`the page scrolls sideways by ${e.scrollWidth - e.clientWidth}px`);
    }
  }
  return problems;
}
"""


def _overlap(a: dict, b: dict, slack: float = 1.0) -> bool:
    return (
        min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > slack
        and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > slack
    )


def chart_problems(charts: list[dict]) -> list[str]:
    """Overlapping, clipped and overflowing texts of the plotly charts measured by CHART_TEXTS_JS."""
    problems = []
    for chart in charts:
        box, texts, name = chart["box"], chart["texts"], chart["title"][:50]
        for t in texts:
            if t["x0"] < box["x0"] - 1 or t["x1"] > box["x1"] + 1 or t["y0"] < box["y0"] - 1 or t["y1"] > box["y1"] + 1:
                problems.append(f'{name}: {t["kind"]} "{t["s"]}" lies partly outside the chart')
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                if _overlap(a, b):
                    problems.append(f'{name}: {a["kind"]} "{a["s"]}" overlaps {b["kind"]} "{b["s"]}"')
        for c in chart["cells"]:
            if c["width"] > c["cell"] - 2:
                problems.append(f'{name}: cell label "{c["s"]}" ({c["width"]:.0f}px) wider than its cell ({c["cell"]}px)')
    return problems


def page_problems(page) -> list[str]:
    return chart_problems(page.evaluate(CHART_TEXTS_JS)) + page.evaluate(HTML_TEXTS_JS)


def resize(page, width: int, height: int) -> None:
    """Resize the window and wait for Streamlit and plotly to lay the page out again."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(700)
    # plotly redraws on a debounced window resize; wait until no chart is mid-redraw
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].every(p => !p._transitioning)",
        timeout=10_000,
    )
    page.wait_for_timeout(300)


def check_page(page, base: str, name: str, lang: str, sizes, query: str = "", stem: str | None = None) -> list[str]:
    query = "&".join(q for q in (query, "lang=fr" if lang == "fr" else "") if q)
    stem = stem or name
    page.set_viewport_size({"width": sizes[0][0], "height": sizes[0][1]})
    open_page(page, base, PAGES[name], query)
    if name in MONITOR_PAGES:
        page.locator(".js-plotly-plot").first.wait_for(state="attached", timeout=30_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width, height in sizes:
        resize(page, width, height)
        page.screenshot(path=str(SHOTS / f"{stem}-{lang}-{width}x{height}.png"))
        problems += [f"{stem} {lang} {width}x{height}: {p}" for p in page_problems(page)]
    return problems


@pytest.fixture(scope="module")
def zoomed(browser):
    """One tab, rendered at a device scale factor of 1.5 (sharp text, as on a laptop at 150%)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, device_scale_factor=1.5, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_readable_at_every_size(server, zoomed, name, lang):
    sizes = SIZES if name in MONITOR_PAGES or name == "completeness" else FEW_SIZES
    problems = check_page(zoomed, server.url, name, lang, sizes)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_a_theme_with_three_indicators_is_readable(server, zoomed, lang):
    """Space has three indicators (three small multiples) and an off-track history."""
    sizes = [(1366, 768), (1024, 768), (853, 480)]
    problems = check_page(zoomed, server.url, "themes", lang, sizes, "theme=SPACE", "themes-space")
    assert not problems, "\n".join(problems)
