"""Uploaded text renders as text, never as HTML, script or a link, in the real page DOM.

A report whose every free-text field carries a payload (a <script>, an <img onerror>, a
markdown link to a javascript: URL and one to an outside site, raw HTML) is loaded through the
real `load` path, and one theme's name in the reference data is replaced by a payload. Then every
page that shows such text is opened in Chromium. Each payload that runs would set
`window.__xss`; each payload that became markup would leave an element in the DOM.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from etl.load import load_bytes
from tests import workbooks as W
from tests.conftest import DEMO_LAST_PERIOD
from tests.e2e.conftest import _copy_demo, open_page, run_server, shoot

pytestmark = pytest.mark.e2e
# A quarter after the demo data: this report is the only one there, so every page lists its text.
THEME, SECTOR, PERIOD = "YOUTH", "ITU-T", str(DEMO_LAST_PERIOD.next())
SCRIPT = "<script>window.__xss = 'script'</script>"
IMG = "<img src=x onerror=\"window.__xss = 'img'\">"
JS_LINK = "[click me](javascript:window.__xss='link')"
OUT_LINK = "[official notice](https://evil.example/phish)"
HTML = "<b>bold</b><iframe src=https://evil.example></iframe>"
PAYLOADS = [SCRIPT, IMG, JS_LINK, OUT_LINK, HTML]
THEME_NAME = (
    "Youth <img src=x onerror=\"window.__xss = 'theme'\"> [x](https://evil.example) "
    '<a href="https://evil.example/chart">chart link</a>'
)

# (url path, query): every page that shows uploaded or reference text.
PAGES = [
    ("", f"period={PERIOD}"),
    ("themes", f"period={PERIOD}&theme={THEME}"),
    ("tracks", f"period={PERIOD}"),
    ("sectors", f"period={PERIOD}"),
    ("meeting", f"period={PERIOD}"),
    ("completeness", f"period={PERIOD}"),
    ("overlaps", f"period={PERIOD}"),
    ("history", ""),
]

INJECTED = """() => {
    const bad = [];
    if (window.__xss !== undefined) bad.push('script ran: ' + window.__xss);
    for (const s of document.querySelectorAll('script')) {
        if ((s.textContent || '').includes('__xss')) bad.push('script element');
    }
    for (const el of document.querySelectorAll('[onerror], iframe, img[src="x"]')) {
        bad.push('element ' + el.outerHTML.slice(0, 80));
    }
    // A bare URL may become a link that shows its own address (GFM autolink); a link whose
    // text hides where it goes, or that runs script, may not.
    for (const a of document.querySelectorAll('a')) {
        const h = a.getAttribute('href') || a.getAttribute('xlink:href') || '';
        const shown = (a.textContent || '').trim();
        if (h.startsWith('javascript')) bad.push('script link ' + h);
        else if (h.includes('evil.example') && shown !== decodeURI(h)) bad.push('disguised link ' + h);
    }
    for (const b of document.querySelectorAll('b')) {
        if (b.textContent === 'bold') bad.push('html <b>');
    }
    return bad;
}"""


def hostile_report():
    report = W.report(n_activities=len(PAYLOADS), summary=" ".join(PAYLOADS))
    for a, payload in zip(report.activities, PAYLOADS, strict=True):
        a["title"] = f"Activity {payload}"
        a["description"] = payload
        a["result"] = payload
    report.results[0]["title"] = f"Result {SCRIPT} {OUT_LINK}"
    report.risks[0]["description"] = f"Risk {IMG} {JS_LINK}"
    report.indicators[0]["name"] = f"Indicator {HTML}"
    return report


@pytest.fixture(scope="module")
def hostile_server(demo_master: Path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("xss")
    db = _copy_demo(demo_master, folder / "db")
    data = W.to_bytes(W.workbook(hostile_report(), theme=THEME, period=PERIOD, sector=SECTOR))
    outcome = load_bytes(data, f"{SCRIPT}.xlsx", db=db, uploaded_by=f"{IMG}@example.org")
    assert outcome.accepted, outcome.errors
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE theme SET name = ? WHERE code = ?", [THEME_NAME, THEME])
    with run_server(db, folder / "server.log") as s:
        yield s


@pytest.mark.parametrize(("path", "query"), PAGES, ids=[p or "overview" for p, _ in PAGES])
def test_uploaded_text_is_never_markup(hostile_server, page, path, query):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_page(page, hostile_server.url, path, query)
    assert page.evaluate(INJECTED) == []
    assert page.locator('[data-testid="stException"]').count() == 0
    assert errors == []


def test_payloads_are_shown_as_plain_text(hostile_server, page):
    open_page(page, hostile_server.url, "themes", f"period={PERIOD}&theme={THEME}")
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Youth <img src=x" in text  # the theme name, as typed
    assert 'chart link</a>' in text
    shoot(page, "security_themes")
    open_page(page, hostile_server.url, "", f"period={PERIOD}")
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert f"Result {SCRIPT} {OUT_LINK}" in text  # the new result, verbatim
