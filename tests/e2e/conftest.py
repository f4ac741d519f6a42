"""End-to-end fixtures: the real Streamlit server on a copy of the demo database, and Chromium.

`server` starts `python -m streamlit run dashboard.py` on a free port with ISC_DB pointing at a
private copy of the demo database, waits for /_stcore/health and stops the whole process group
at the end. `browser` is the Debian chromium (/usr/bin/chromium) driven by Playwright;
`page` is a fresh 1920x1080 tab. `open_page` navigates and waits until the app has finished
running; `shoot` saves a screenshot to tests/artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1920, "height": 1080}

# (url path, file stem) of every page in dashboard.py's navigation. st.navigation derives a
# page's URL path from its file name ("pages/themes.py" -> "/themes"); the default page
# (Overview) is served at the root.
PAGES = {
    "overview": "",
    "themes": "themes",
    "tracks": "tracks",
    "sectors": "sectors",
    "resolutions": "resolutions",
    "meeting": "meeting",
    "actions": "actions",
    "completeness": "completeness",
    "overlaps": "overlaps",
    "upload": "upload",
    "history": "history",
    "home": "home",
    "export": "export",
}
MONITOR_PAGES = ("overview", "themes", "tracks", "sectors", "resolutions")

APP = '[data-testid="stApp"]'
STATUS_WIDGET = '[data-testid="stStatusWidget"]'


@dataclass
class Server:
    url: str
    log: Path
    db: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _copy_demo(master: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "isc.duckdb"
    shutil.copy2(master, target)
    wal = Path(str(master) + ".wal")
    if wal.exists():
        shutil.copy2(wal, Path(str(target) + ".wal"))
    uploads = master.parent / "uploads"
    if uploads.exists():
        shutil.copytree(uploads, folder / "uploads")
    return target


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


@contextmanager
def run_server(db: Path, log: Path, *, port: int | None = None, extra_args: tuple[str, ...] = (),
               extra_env: dict | None = None) -> Iterator[Server]:
    """Start `streamlit run dashboard.py` on a free port (or `port`) with ISC_DB=db; stop its
    process group. `extra_args` go to `streamlit run` (e.g. --secrets.files for a sign-in test)."""
    port = port or _free_port()
    env = {**os.environ, "ISC_DB": str(db), "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    cmd = [
        sys.executable, "-m", "streamlit", "run", "dashboard.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        *extra_args,
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard server did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield Server(url=url, log=log, db=db)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def server(demo_master: Path, tmp_path_factory) -> Iterator[Server]:
    """The real dashboard server on a private copy of the demo database (shared by the session)."""
    folder = tmp_path_factory.mktemp("e2e")
    with run_server(_copy_demo(demo_master, folder / "db"), folder / "server.log") as s:
        yield s


@pytest.fixture
def fresh_server(demo_master: Path, tmp_path: Path) -> Iterator[Server]:
    """A server of its own that no browser has visited yet."""
    with run_server(_copy_demo(demo_master, tmp_path / "db"), tmp_path / "server.log") as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    # Module scope: a running sync Playwright owns the thread's event loop, so it must be
    # closed before tests elsewhere (e.g. tests/test_concurrency_cli.py) start their own.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


def wait_idle(page, timeout_ms: int = 60_000, settle_ms: int = 400) -> None:
    """Wait until the app is connected and its script is not running, stably for settle_ms.

    Streamlit marks the root element with data-test-connection-state and
    data-test-script-state ("initial", "running", "notRunning", ...); the status widget
    ("Running...") shows while a script runs. A page may rerun itself, so the idle state must
    hold for a moment before we trust it.
    """
    page.wait_for_selector(f'{APP}[data-test-connection-state="CONNECTED"]', timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        page.wait_for_selector(f'{APP}[data-test-script-state="notRunning"]', timeout=timeout_ms)
        page.wait_for_selector(STATUS_WIDGET, state="detached", timeout=timeout_ms)
        page.wait_for_timeout(settle_ms)
        idle = page.evaluate(
            """([app, widget]) => {
                const root = document.querySelector(app);
                return !!root && root.getAttribute('data-test-script-state') === 'notRunning'
                    && !document.querySelector(widget);
            }""",
            [APP, STATUS_WIDGET],
        )
        if idle:
            break
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not become idle")
    # Lazy chunks (plotly) and fonts load over HTTP after the script has finished.
    page.wait_for_load_state("networkidle", timeout=timeout_ms)


def open_page(page, base: str, path: str, query: str = "") -> None:
    """Navigate to base/path[?query] and return once the app has finished running."""
    url = f"{base.rstrip('/')}/{path.lstrip('/')}"
    if query:
        url += "?" + query.lstrip("?")
    page.goto(url, wait_until="domcontentloaded")
    wait_idle(page)


def shoot(page, name: str, full_page: bool = False) -> Path:
    """Save a screenshot to tests/artifacts/screenshots/<name>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
