"""The dashboard keeps serving while `python -m etl load` writes from a terminal.

The real server runs on a private copy of the demo database; Chromium keeps rerunning the
Upload history page (each run reads the database) and a thread keeps asking /_stcore/health,
while the CLI loads a workbook in another process. The CLI must succeed within a few seconds,
the server must keep answering, and the page must show the new upload on its next rerun,
without a restart. Measured figures are printed (run with -s to see them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests import workbooks as W
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, run_server, wait_idle

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent
CLI_LIMIT_S = 15  # "a few seconds": a CLI load alone takes about 2 s here, mostly Python start-up
METRIC = '[data-testid="stMetric"]'


def _get(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            return r.status
    except OSError:
        return 0


@pytest.fixture
def server(demo_db: Path, tmp_path: Path):
    """The real dashboard server on this test's copy of the demo database."""
    with run_server(demo_db, tmp_path / "server.log") as s:
        yield s.url, s.db, s.log


def _uploads_metric(page) -> int:
    metric = page.locator(METRIC).filter(has_text="Uploads").first
    return int(metric.locator('[data-testid="stMetricValue"]').inner_text().strip())


def test_cli_load_while_the_server_answers_page_requests(server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, db, log = server
    workbook = W.save(W.workbook(), tmp_path / "terminal_load.xlsx")
    health: list[tuple[float, int]] = []
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            t0 = time.monotonic()
            status = _get(f"{url}/_stcore/health")
            health.append((time.monotonic() - t0, status))
            time.sleep(0.05)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(f"{url}/history", wait_until="domcontentloaded")
            wait_idle(page)
            before = _uploads_metric(page)

            thread = threading.Thread(target=hammer, daemon=True)
            thread.start()
            env = {**os.environ, "ISC_DB": str(db)}
            t0 = time.monotonic()
            cli = subprocess.Popen(
                [sys.executable, "-m", "etl", "load", str(workbook), "--user", "terminal"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            reruns = []
            while cli.poll() is None and time.monotonic() - t0 < 60:
                r0 = time.monotonic()
                page.reload(wait_until="domcontentloaded")
                wait_idle(page, settle_ms=100)
                reruns.append(time.monotonic() - r0)
            out, _ = cli.communicate(timeout=60)
            cli_s = time.monotonic() - t0
            # keep serving a moment after the load, then the next rerun must show the new upload
            page.reload(wait_until="domcontentloaded")
            wait_idle(page)
            after = _uploads_metric(page)
            exceptions = page.locator('[data-testid="stException"]').count()
        finally:
            stop.set()
            browser.close()

    text = out.decode(errors="replace")
    answered = [s for _, s in health if s == 200]
    slowest = max((d for d, _ in health), default=0)
    print(
        f"\nCLI load {cli_s:.2f} s while serving; {len(reruns)} page reruns during it "
        f"(slowest {max(reruns, default=0):.2f} s); health {len(answered)}/{len(health)} ok, "
        f"slowest {slowest:.3f} s"
    )
    assert cli.returncode == 0, text
    assert "terminal_load.xlsx: LOADED" in text
    assert cli_s < CLI_LIMIT_S, f"the CLI load took {cli_s:.1f} s while the dashboard was serving"
    assert health and len(answered) == len(health), f"health failures: {[h for h in health if h[1] != 200]}"
    assert slowest < 5
    assert exceptions == 0
    assert after == before + 1, "the page did not show the new upload on its next rerun"
    assert "Traceback" not in log.read_text(errors="replace")
