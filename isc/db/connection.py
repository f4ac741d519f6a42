"""Open the DuckDB file briefly, for one unit of work, and retry while another process holds it.

DuckDB lets one process write, and a reader in another process conflicts with it. So no
connection is kept open: the dashboard opens read-only for a query and closes at once, a load
opens read-write for one transaction and closes at once. Each side retries for a few seconds
when the other holds the file, so a CLI load and a serving dashboard take turns. Inside one
process a lock serialises connections, because DuckDB refuses a read-only and a read-write
connection to the same file in one process.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = ROOT / "data" / "isc.duckdb"
LOCK_TIMEOUT_S = float(os.environ.get("ISC_LOCK_TIMEOUT", "20"))
_process_lock = threading.RLock()


class DatabaseBusy(RuntimeError):
    """Another process held the database for longer than LOCK_TIMEOUT_S."""


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database file: the argument, else $ISC_DB, else data/isc.duckdb."""
    return Path(path or os.environ.get("ISC_DB") or DEFAULT_DB)


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "different configuration" in text


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if not _is_lock_conflict(exc) or time.monotonic() > deadline:
                if _is_lock_conflict(exc):
                    raise DatabaseBusy(f"{path} is busy (held by another process): {exc}") from exc
                raise
        time.sleep(delay + random.random() * delay)
        delay = min(delay * 1.5, 0.25)


@contextmanager
def read(path: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for one query or a few; closed on exit."""
    p = db_path(path)
    with _process_lock:
        con = _open(p, read_only=True)
        try:
            yield con
        finally:
            con.close()


@contextmanager
def write(path: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection inside one transaction: committed on success, rolled back on error."""
    p = db_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with _process_lock:
        con = _open(p, read_only=False)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()


def fingerprint(path: str | os.PathLike | None = None) -> tuple:
    """Changes whenever the file changes: the cache key that makes pages see new data."""
    p = db_path(path)
    out = []
    for f in (p, Path(str(p) + ".wal")):
        try:
            st = f.stat()
            out.append((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)
