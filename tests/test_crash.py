"""Crash safety: SIGKILL the loader at random moments; the database is always before or after.

Each round copies a small database, starts `python -m etl load` on a good workbook in a child
process, kills it after a delay, then checks that the file opens, that DuckDB's own integrity
checks pass, and that its content equals exactly the state before the load or exactly the
state after it (the two reference states are computed once, by loading without a kill), and
that the upload history agrees with the report rows. The file store too: "after" means the
original is stored, complete, under its hash; "before" means it is not (but for a kill in the
instant between its rename and the commit, counted and reported), and a killed load's
temporary file is removed by the next load. The delays are spread evenly over the whole load,
from the interpreter's start to past its end (one random delay in each of ROUNDS equal slices).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from etl import spec
from etl.load import init_db, load_bytes
from etl.reference import Reference
from etl.template import template_bytes
from tests.conftest import ROOT

ROUNDS = int(os.environ.get("ISC_CRASH_ROUNDS", "50"))
TABLES = ("upload", "event", "report", "activity", "indicator", "result", "risk", "status_reason")


def _report(n_activities: int) -> spec.ReportData:
    acts = [
        {"activity_id": f"A-{i:04d}", "title": f"Activity {i}", "lead_sector": "ITU-T",
         "role_ITU-D": "Joint" if i % 3 == 0 else None, "status": "In progress",
         "start_date": dt.date(2025, 1, 1), "end_date": dt.date(2026, 12, 31), "percent_complete": 40}
        for i in range(n_activities)
    ]
    inds = [{"indicator_id": "I-1", "name": "Joint events", "unit": "events", "baseline": 0,
             "baseline_date": dt.date(2025, 1, 1), "target": 10, "target_date": dt.date(2026, 12, 31),
             "actual": 3}]
    return spec.ReportData({"self_status": "On track", "summary": "Crash test"}, acts, inds)


def _state(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    finally:
        con.close()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crash")
    ref = Reference.load()
    base = folder / "base" / "isc.duckdb"
    init_db(base, ref)
    first = template_bytes(ref, "CLIM", "2025-Q2", "ITU-T", _report(50))
    load_bytes(first, "first.xlsx", db=base, ref=ref, uploaded_at=dt.datetime(2025, 7, 10))
    workbook = folder / "second.xlsx"
    workbook.write_bytes(template_bytes(ref, "CLIM", "2025-Q3", "ITU-T", _report(3000)))
    after_db = folder / "after" / "isc.duckdb"
    after_db.parent.mkdir()
    shutil.copy2(base, after_db)
    out = subprocess.run([sys.executable, "-m", "etl", "load", str(workbook), "--db", str(after_db)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "etl", "load", str(workbook), "--db", str(folder / "t" / "x.duckdb")],
                   cwd=ROOT, capture_output=True, timeout=120)
    full = time.monotonic() - started
    return base, workbook, _state(base), _state(after_db), full


def _without_times(state: dict) -> dict:
    """Upload and event rows carry the wall-clock time of the load; compare everything else."""
    out = dict(state)
    out["upload"] = [r[:7] + r[8:] for r in state["upload"]]
    out["event"] = [r[:1] + r[2:] for r in state["event"]]
    return out


def test_sigkill_during_load_leaves_before_or_after(setup, tmp_path):
    base, workbook, before, after, full = setup
    before, after = _without_times(before), _without_times(after)
    assert before != after
    rng = random.Random(191)
    seen = {"before": 0, "after": 0, "stored before the commit": 0}
    sha = hashlib.sha256(workbook.read_bytes()).hexdigest()
    started = time.monotonic()
    for n in range(ROUNDS):
        db = tmp_path / f"r{n}" / "isc.duckdb"
        db.parent.mkdir()
        shutil.copy2(base, db)
        proc = subprocess.Popen([sys.executable, "-m", "etl", "load", str(workbook), "--db", str(db)],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(full * 1.1 * (n + rng.random()) / ROUNDS)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        con = duckdb.connect(str(db))  # read-write: replays the WAL if the kill left one
        con.execute("CHECKPOINT")
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert set(TABLES) <= tables
        con.close()
        state = _without_times(_state(db))
        assert state in (before, after), f"round {n}: a mix of before and after"
        seen["before" if state == before else "after"] += 1
        uploads = {r[0] for r in state["upload"]}
        assert {r[0] for r in state["report"]} == uploads
        assert {r[2] for r in state["event"]} == uploads
        stored = db.parent / "uploads" / f"{sha}.xlsx"
        if state == after:
            assert stored.read_bytes() == workbook.read_bytes(), f"round {n}: loaded, but its original is not stored"
        elif stored.exists():
            seen["stored before the commit"] += 1
        temporary = list((db.parent / "uploads").glob(".*.tmp")) if stored.parent.exists() else []
        if temporary and n % 10 == 0:  # the next load sweeps a killed load's temporary file
            done = subprocess.run([sys.executable, "-m", "etl", "load", str(workbook), "--db", str(db)],
                                  cwd=ROOT, capture_output=True, timeout=120)
            assert done.returncode == 0, done.stdout
            assert not list(stored.parent.glob(".*.tmp")) and stored.exists()
    print(f"\n{ROUNDS} kills survived in {time.monotonic() - started:.0f} s (a full load: {full:.1f} s): {seen}")
    assert seen["before"] > 0 and seen["after"] > 0, "kills should land both before and after the commit"
