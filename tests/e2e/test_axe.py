"""axe-core (shipped by the PyPI package axe-playwright-python) on every page of the real dashboard.

Fails on any violation of impact "serious" or "critical" (WCAG 2.1 AA rules and best
practices); prints every violation found, whatever its impact, with the selectors of the
elements at fault. The full results go to tests/artifacts/axe/<page>.json.
"""

from __future__ import annotations

import contextlib
import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import MONITOR_PAGES, PAGES, ROOT, open_page

pytestmark = pytest.mark.e2e

BLOCKING = ("serious", "critical")
OUT = ROOT / "tests" / "artifacts" / "axe"
OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
}


def describe(name: str, violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{name}] {v['impact']}: {v['id']} - {v['help']} ({len(v['nodes'])} element(s))")
        for node in v["nodes"][:10]:
            target = " >> ".join(str(t) for t in node["target"])
            lines.append(f"    {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_axe_violation(server, page, axe, name):
    open_page(page, server.url, PAGES[name])
    if name in MONITOR_PAGES:
        page.locator(".js-plotly-plot").first.wait_for(state="attached", timeout=30_000)
    results = axe.run(page, options=OPTIONS)
    violations = results.response["violations"]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(violations, indent=1))
    if violations:
        print("\n" + describe(name, violations))
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{name}: serious or critical accessibility violations:\n" + describe(name, blocking)


# The French interface on the pages with the most text (axe's valid-lang and html-has-lang look
# at the document language, which the app sets to the interface language).
FRENCH = ("overview", "themes", "completeness", "upload")


@pytest.mark.parametrize("name", FRENCH)
def test_no_serious_or_critical_axe_violation_in_french(server, page, axe, name):
    open_page(page, server.url, PAGES[name], "lang=fr")
    if name in MONITOR_PAGES:
        page.locator(".js-plotly-plot").first.wait_for(state="attached", timeout=30_000)
    # <html lang> is set by a script of the page once it has drawn: wait for it (bounded), then check.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function("document.documentElement.lang === 'fr'", timeout=15_000)
    assert page.evaluate("document.documentElement.lang") == "fr"
    results = axe.run(page, options=OPTIONS)
    violations = results.response["violations"]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}_fr.json").write_text(json.dumps(violations, indent=1))
    if violations:
        print("\n" + describe(f"{name} (fr)", violations))
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{name} (fr): serious or critical accessibility violations:\n" + describe(name, blocking)


def test_axe_detects_a_violation(server, page, axe):
    """The audit is live: an image without alt text injected into the page is reported."""
    open_page(page, server.url, PAGES["home"])
    page.evaluate(
        """() => { const i = document.createElement('img'); i.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
                   i.id = 'axe-probe'; document.querySelector('[data-testid="stMain"]').appendChild(i); }"""
    )
    violations = axe.run(page, options=OPTIONS).response["violations"]
    image_alt = [v for v in violations if v["id"] == "image-alt"]
    assert image_alt and image_alt[0]["impact"] == "critical"
    assert any("#axe-probe" in n["target"] for n in image_alt[0]["nodes"])
