"""Every number a rule or a limit depends on, and what the environment says, in one place.

A rule that changes (the grace period, the status tolerance, an upload limit) is edited here and
nowhere else; modules import the name, never copy the literal. The environment is read once per
process by `environment()` (tests that change a variable call `environment.cache_clear()`).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass
from pathlib import Path

# --- The reporting calendar -------------------------------------------------------------------
GRACE_DAYS = 15  # a quarter's reports are due this many days after it ends

# --- The status rule (isc/status.py) -----------------------------------------------------------
TOLERANCE = 0.10  # an indicator within 10% of its expected progress is on track
OVERDUE_SHARE = 0.25  # more than this share of open activities overdue: the theme is off track

# --- Overlap detection (isc/overlaps.py) --------------------------------------------------------
OVERLAP_THRESHOLD = 0.5

# --- What an upload may cost (etl/reader.py, etl/sandbox.py, etl/annotate.py) -------------------
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_INFLATED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 250  # legitimate sheet XML compresses 5-50x; a bomb far more
MAX_SHEET_ROWS = 200_000
MAX_ANNOTATED_CELLS = 200_000  # no marked-up copy of a larger workbook
MAX_PARALLEL_CHECKS = 2  # checks at once (the others wait): the machine keeps cores for the pages

# --- What a pack manifest may cost (isc/pack.py) -------------------------------------------------
MAX_PACK_BYTES = 50 * 1024 * 1024
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_MANIFEST_DEPTH = 8
MAX_MANIFEST_CHARTS = 500


@dataclass(frozen=True)
class Environment:
    """The process's settings from environment variables (ISC_*)."""

    db: Path | None  # ISC_DB: the database file (default data/isc.duckdb)
    today: dt.date | None  # ISC_TODAY: pins "today" (tests, demos)
    lock_timeout_s: float  # ISC_LOCK_TIMEOUT: how long to wait for another process's lock
    check_memory_bytes: int  # ISC_CHECK_MEMORY_MB: the upload check's memory limit
    check_seconds: float  # ISC_CHECK_SECONDS: the upload check's time limit


@functools.cache
def environment() -> Environment:
    env = os.environ
    return Environment(
        db=Path(env["ISC_DB"]) if env.get("ISC_DB") else None,
        today=dt.date.fromisoformat(env["ISC_TODAY"]) if env.get("ISC_TODAY") else None,
        lock_timeout_s=float(env.get("ISC_LOCK_TIMEOUT", "20")),
        check_memory_bytes=int(env.get("ISC_CHECK_MEMORY_MB", "1536")) * 1024 * 1024,
        check_seconds=float(env.get("ISC_CHECK_SECONDS", "60")),
    )
