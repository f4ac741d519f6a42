"""The real dashboard in Chromium: every page renders without error, monitor pages show charts,
the overview fits one 1080p screen, and a link carries the shared filters.

Screenshots go to tests/artifacts/screenshots/<page>.png (1920x1080).
"""

from __future__ import annotations

import re

import pytest

from etl.reference import Reference
from tests.conftest import DEMO_LAST_PERIOD
from tests.e2e.conftest import MONITOR_PAGES, PAGES, open_page, shoot, wait_idle

pytestmark = pytest.mark.e2e

EXCEPTION = '[data-testid="stException"]'
CHART = '.js-plotly-plot, [data-testid="stPlotlyChart"]'
SERVER_ERROR = re.compile(r"Traceback \(most recent call last\)|Uncaught app exception|Error:", re.I)


def _filter_value(page, key: str) -> str:
    """The text shown in the sidebar selectbox whose widget key is filter_<key>."""
    return page.locator(f".st-key-filter_{key} input").input_value()


def test_navigation_lists_exactly_the_pages_under_test(server, page):
    open_page(page, server.url, PAGES["overview"])
    # A fresh server's first run may rerun once (pages/__init__.py) before the navigation is drawn.
    page.locator('[data-testid="stSidebar"] a[href]').first.wait_for(state="attached", timeout=30_000)
    hrefs = page.locator('[data-testid="stSidebar"] a[href]').evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    paths = {h.split("?")[0].removeprefix(server.url).strip("/") for h in hrefs}  # "" = the default page
    assert paths == set(PAGES.values())


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders(server, page, name):
    js_errors: list[str] = []
    page.on("pageerror", lambda exc: js_errors.append(str(exc)))
    log_before = len(server.log_text())

    open_page(page, server.url, PAGES[name])

    if name in MONITOR_PAGES:
        # plotly is loaded lazily: give the first chart a moment to draw after the run ends.
        page.locator(".js-plotly-plot").first.wait_for(state="attached", timeout=30_000)
    shoot(page, name)

    exceptions = page.locator(EXCEPTION)
    assert exceptions.count() == 0, f"{name}: Streamlit exception on screen: {exceptions.first.inner_text()}"
    server_errors = [ln for ln in server.log_text()[log_before:].splitlines() if SERVER_ERROR.search(ln)]
    assert not server_errors, f"{name}: errors in the server log:\n" + "\n".join(server_errors)
    assert not js_errors, f"{name}: JavaScript errors: {js_errors}"
    main = page.locator('[data-testid="stMain"]')
    assert main.inner_text().strip(), f"{name}: the main area is empty"
    if name in MONITOR_PAGES:
        assert page.locator(CHART).count() >= 1, f"{name}: no plotly chart rendered"


def test_overview_fits_one_1080p_screen(server, page):
    open_page(page, server.url, PAGES["overview"])
    page.locator(".js-plotly-plot").first.wait_for(state="attached", timeout=30_000)
    overflow = page.evaluate(
        """() => {
            const els = [document.scrollingElement,
                         document.querySelector('[data-testid="stMain"]'),
                         document.querySelector('[data-testid="stAppViewContainer"]')];
            return Math.max(...els.filter(Boolean).map(e => e.scrollHeight - e.clientHeight));
        }"""
    )
    shoot(page, "overview-1080p")
    assert overflow <= 4, f"the overview scrolls by {overflow}px at 1920x1080"


def test_overview_why_list_is_built_when_opened(server, page):
    """The Overview's "Why?" list is sent only once its expander is opened (a rerun): closed, it
    holds nothing; one click shows the indicators and activities behind the statuses."""
    open_page(page, server.url, PAGES["overview"])
    box = page.locator('[data-testid="stExpander"]').filter(has_text="Why? The indicators")
    assert box.count() == 1
    assert box.locator('[data-testid="stMarkdownContainer"] li').count() == 0
    box.locator("summary").click()
    box.locator('[data-testid="stMarkdownContainer"] li').first.wait_for(state="visible", timeout=30_000)
    wait_idle(page)
    assert box.locator('[data-testid="stMarkdownContainer"] li').count() >= 3


def test_url_restores_filters_and_carries_them_across_pages(server, page):
    climate = Reference.load().theme_names["CLIM"]
    open_page(page, server.url, PAGES["overview"], "period=2025-Q3&theme=CLIM")

    assert _filter_value(page, "period") == "2025-Q3"
    assert _filter_value(page, "theme") == climate
    assert "period=2025-Q3" in page.url and "theme=CLIM" in page.url

    # Moving to another page through the navigation keeps the filters, in the widgets and the URL.
    page.locator(
        '[data-testid="stSidebar"] a[href="themes"], [data-testid="stSidebar"] a[href$="/themes"]'
    ).first.click()
    page.wait_for_url(re.compile(r"/themes\?"))
    wait_idle(page)
    assert _filter_value(page, "period") == "2025-Q3"
    assert _filter_value(page, "theme") == climate
    assert "period=2025-Q3" in page.url and "theme=CLIM" in page.url


def test_unknown_period_in_url_falls_back_to_latest(server, page):
    open_page(page, server.url, PAGES["overview"], "period=1999-Q1")
    assert _filter_value(page, "period") == str(DEMO_LAST_PERIOD)
    assert f"period={DEMO_LAST_PERIOD}" in page.url


def test_deep_link_opened_first_after_a_server_start_runs_the_whole_app(fresh_server, page):
    """Streamlit runs a page of a `pages/` folder alone (old multipage mode) until the main script
    has called st.navigation once; pages/__init__.py switches modes and reruns through
    dashboard.py. The very first request to this server is a deep link."""
    climate = Reference.load().theme_names["CLIM"]
    open_page(page, fresh_server.url, PAGES["tracks"], "period=2025-Q3&theme=CLIM")

    assert page.url.startswith(f"{fresh_server.url}/tracks?")
    assert _filter_value(page, "period") == "2025-Q3"  # the shared filters of dashboard.py are there
    assert _filter_value(page, "theme") == climate
    hrefs = page.locator('[data-testid="stSidebar"] a[href]').evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    paths = {h.split("?")[0].removeprefix(fresh_server.url).strip("/") for h in hrefs}
    assert paths == set(PAGES.values())  # the dashboard's navigation, not a listing of pages/*.py
    assert page.locator(EXCEPTION).count() == 0


def test_first_start_without_a_database_builds_the_demo(tmp_path, page):
    """The README's run command on a fresh clone: no database yet. The first visitor sees the
    build announced (Streamlit shows the spinner only for a wait over half a second: the first
    quarters may load faster) or at once the overview, with the dashboard's own navigation (not
    a listing of pages/*.py); then the overview with its charts, and the demo database on disk."""
    from tests.e2e.conftest import run_server

    db = tmp_path / "fresh" / "isc.duckdb"
    with run_server(db, tmp_path / "server.log") as s:
        page.goto(s.url, wait_until="domcontentloaded")
        announced = page.get_by_text("building the illustrative demo database")
        announced.or_(page.locator(CHART)).first.wait_for(timeout=30_000)
        links = page.locator('[data-testid="stSidebar"] a').all_inner_texts()
        assert "common" not in links and "dashboard" not in links
        wait_idle(page, timeout_ms=240_000)
        page.locator(CHART).first.wait_for(timeout=60_000)
        assert page.get_by_role("heading", name=re.compile(r"^Overview · \d{4}-Q\d")).count() == 1
        assert page.locator(EXCEPTION).count() == 0
    assert db.exists() and (db.parent / "uploads").is_dir()
