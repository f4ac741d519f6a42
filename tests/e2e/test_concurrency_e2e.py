"""Several people use the dashboard while data changes under them.

Three browser sessions keep reading pages of the real server while three `python -m etl load`
processes run from a terminal and two focal points, in two more sessions, upload a workbook for
the same report and press Load at the same moment. Afterwards: no page showed an error, every
CLI load succeeded, exactly one of the two simultaneous uploads won and the other was told why,
and the upload history holds every accepted upload (none lost).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from etl.template import build_template
from isc.db import uploads
from tests import workbooks as W
from tests.conftest import DEMO_LAST_PERIOD
from tests.e2e.conftest import ROOT, VIEWPORT, open_page, shoot, wait_idle

pytestmark = pytest.mark.e2e
FILE_INPUT = '[data-testid="stFileUploaderDropzoneInput"]'
PERIOD = str(DEMO_LAST_PERIOD)
READ_PAGES = [("", f"period={PERIOD}"), ("themes", f"period={PERIOD}&theme=GEN"), ("history", "")]
CLI_REPORTS = [("ACC", "ITU-R"), ("GEN", "ITU-D"), ("SPACE", "GS")]
RACED = ("CLIM", "ITU-T")


def _report_bytes(db, theme: str, sector: str, actual: float, title: str) -> bytes:
    live = uploads.live_report(theme, PERIOD, sector, db=db)
    wb = build_template(W.REF, theme, PERIOD, sector, live.report if live else W.report())
    W.set_cell(wb, "Indicators", "actual", 2, actual)
    W.set_cell(wb, "Activities", "title", 2, title)
    return W.to_bytes(wb)


def _errors(page) -> int:
    return page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()


def test_readers_cli_loads_and_two_simultaneous_uploads(fresh_server, browser, tmp_path):
    db = fresh_server.db
    before = len(uploads.history(db=db))
    contexts = [browser.new_context(viewport=VIEWPORT, locale="en-GB") for _ in range(5)]
    pages = [c.new_page() for c in contexts]
    page_errors: list[str] = []
    for p in pages:
        p.set_default_timeout(60_000)
        p.on("pageerror", lambda e: page_errors.append(str(e)))
    readers, (alice, bob) = pages[:3], pages[3:]
    try:
        # Two focal points prepare a different update of the same report and reach the preview.
        for who, actual in ((alice, 6.0), (bob, 8.0)):
            path = tmp_path / ("alice.xlsx" if who is alice else "bob.xlsx")
            path.write_bytes(_report_bytes(db, *RACED, actual, f"Update with {actual}"))
            open_page(who, fresh_server.url, "upload")
            who.locator(FILE_INPUT).set_input_files(str(path))
            wait_idle(who)
            who.get_by_role("button", name=f"Load {path.name}").wait_for()

        # Terminal loads start while the readers read.
        files = []
        for i, (theme, sector) in enumerate(CLI_REPORTS):
            f = tmp_path / f"cli_{theme}_{sector}.xlsx"
            f.write_bytes(_report_bytes(db, theme, sector, 3.0 + i, f"From a terminal {i}"))
            files.append(f)
        env = {**os.environ, "ISC_DB": str(db)}
        procs = []
        for f in files:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "etl", "load", str(f), "--user", "terminal"],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            ))  # fmt: skip
            for r, (path, query) in zip(readers, READ_PAGES, strict=True):
                open_page(r, fresh_server.url, path, query)
                assert _errors(r) == 0, f"error on /{path} while loading"

        # Both press Load at the same moment (the clicks are dispatched back to back).
        alice.get_by_role("button", name="Load alice.xlsx").click(no_wait_after=True)
        bob.get_by_role("button", name="Load bob.xlsx").click(no_wait_after=True)
        for r, (path, query) in zip(readers, reversed(READ_PAGES), strict=True):
            open_page(r, fresh_server.url, path, query)
            assert _errors(r) == 0, f"error on /{path} while uploading"
        for who in (alice, bob):
            wait_idle(who)

        deadline = time.monotonic() + 60
        for proc in procs:
            out, _ = proc.communicate(timeout=max(1, deadline - time.monotonic()))
            assert proc.returncode == 0, out
            assert "loaded" in out.lower(), out

        won = [w for w in (alice, bob) if w.get_by_text("Loaded: loaded as upload #").count()]
        lost = [w for w in (alice, bob) if w.get_by_text("was loaded while you were reviewing").count()]
        assert len(won) == 1 and len(lost) == 1 and won[0] is not lost[0]
        shoot(lost[0], "concurrency_loser")

        history = uploads.history(db=db)
        assert len(history) == before + len(CLI_REPORTS) + 1  # nothing lost, nothing doubled
        names = set(history["file_name"].head(len(CLI_REPORTS) + 1))
        assert {f.name for f in files} <= names
        assert len(names & {"alice.xlsx", "bob.xlsx"}) == 1
        for theme, sector in (*CLI_REPORTS, RACED):
            live = uploads.live_report(theme, PERIOD, sector, db=db)
            assert live.file_name in names
        # The readers see the new data on their next rerun, without a restart.
        open_page(readers[0], fresh_server.url, "history")
        metric = readers[0].locator('[data-testid="stMetric"]').filter(has_text="Uploads").first
        shown = int(metric.locator('[data-testid="stMetricValue"]').inner_text().strip())
        assert shown == before + len(CLI_REPORTS) + 1
        assert uploads.upload_count(db=db) == before + len(CLI_REPORTS) + 1
        assert page_errors == []
        assert all(_errors(p) == 0 for p in readers)
    finally:
        for c in contexts:
            c.close()
