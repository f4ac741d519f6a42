"""Open the DuckDB file briefly, for one unit of work, and retry while another process holds it.

DuckDB lets one process write, and a reader in another process conflicts with it. So no
connection is kept open: the dashboard opens read-only for a query and closes at once, a load
opens read-write for one transaction and closes at once. Each side retries for a few seconds
when the other holds the file, so a CLI load and a serving dashboard take turns. Inside one
process a lock serialises connections, because DuckDB refuses a read-only and a read-write
connection to the same file in one process.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from isc.settings import environment

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = ROOT / "data" / "isc.duckdb"
_process_lock = threading.RLock()
# A read-write connection a long job of this process keeps open (etl.demo's background build): while
# it is registered, read() and write() on that file take a cursor of it instead of opening the file
# (DuckDB refuses a second connection to it in this process), so they neither wait for the job nor
# fail; each cursor sees what the job has committed so far.
_shared: dict[str, duckdb.DuckDBPyConnection] = {}
_shared_cv = threading.Condition()
_shared_users = 0  # cursors of a shared connection in use: it is closed only when none is


def _borrow(p: Path) -> duckdb.DuckDBPyConnection | None:
    global _shared_users
    with _shared_cv:
        shared = _shared.get(_key(p))
        if shared is None:
            return None
        _shared_users += 1
        return shared.cursor()


def _give_back(cur: duckdb.DuckDBPyConnection) -> None:
    global _shared_users
    try:
        cur.close()
    finally:
        with _shared_cv:
            _shared_users -= 1
            _shared_cv.notify_all()


# One read-only connection, reused by the reads that follow each other within POOL_IDLE_S (a page's
# queries on a cold cache: opening the file costs more than most of them) and never kept longer than
# POOL_MAX_S, so that another process that wants to write (it retries) gets the file soon. Used and
# dropped under _process_lock; any other connection of this process to the file drops it first.
POOL_IDLE_S = 0.25
POOL_MAX_S = 1.0
_pool: dict | None = None
_janitor = {"on": False}  # the thread that closes an idle pooled connection is running


def _file_id(p: Path) -> tuple | None:
    try:
        st = p.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _drop_pool() -> None:
    """Close the pooled read connection (call with _process_lock held)."""
    global _pool
    if _pool is not None:
        pool, _pool = _pool, None
        pool["con"].close()


def _pooled(p: Path) -> duckdb.DuckDBPyConnection:
    """The pooled read-only connection to `p`, opened if needed (call with _process_lock held)."""
    global _pool
    now = time.monotonic()
    ident = _file_id(p)
    if _pool is not None and (_pool["key"] != _key(p) or _pool["file"] != ident or now - _pool["opened"] > POOL_MAX_S):
        _drop_pool()
    if _pool is None:
        con = _open(p, read_only=True)
        _pool = {"key": _key(p), "con": con, "opened": now, "file": ident}
        if not _janitor["on"]:
            _janitor["on"] = True
            threading.Thread(target=_pool_janitor, name="isc-read-pool", daemon=True).start()
    _pool["used"] = time.monotonic()
    return _pool["con"]


def _pool_janitor() -> None:
    while True:
        time.sleep(POOL_IDLE_S / 2)
        if not _process_lock.acquire(timeout=POOL_IDLE_S):
            continue
        try:
            now = time.monotonic()
            if _pool is not None and (now - _pool["used"] > POOL_IDLE_S or now - _pool["opened"] > POOL_MAX_S):
                _drop_pool()
            if _pool is None:
                _janitor["on"] = False
                return
        finally:
            _process_lock.release()


class DatabaseBusy(RuntimeError):
    """Another process held the database for longer than $ISC_LOCK_TIMEOUT seconds (default 20)."""


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database file: the argument, else $ISC_DB, else data/isc.duckdb."""
    return Path(path or environment().db or DEFAULT_DB)


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "different configuration" in text


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + environment().lock_timeout_s
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
    """A read-only connection for one query or a few (the pooled one: see POOL_IDLE_S)."""
    p = db_path(path)
    cur = _borrow(p)
    if cur is None:
        with _process_lock:
            cur = _borrow(p)  # registered while this thread waited for the lock
            if cur is None:
                con = _pooled(p)
                try:
                    yield con
                except BaseException:
                    _drop_pool()
                    raise
                finally:
                    if _pool is not None:
                        _pool["used"] = time.monotonic()
                return
    try:
        yield cur
    finally:
        _give_back(cur)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction on an open connection or cursor (a long job's, see shared_writer):
    committed on success, rolled back on error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def write(path: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection inside one transaction: committed on success, rolled back on error."""
    p = db_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    cur = _borrow(p)
    with contextlib.nullcontext() if cur is not None else _process_lock:
        cur = cur or _borrow(p)
        if cur is None:
            _drop_pool()
        con = cur or _open(p, read_only=False)
        try:
            with transaction(con):
                yield con
        finally:
            if cur is not None:
                _give_back(cur)
            else:
                con.close()


@contextmanager
def exclusive(path: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection outside any transaction (CHECKPOINT needs one), while no other
    connection of this process is open on a file: a backup copies the file meanwhile."""
    p = db_path(path)
    with _process_lock:
        _drop_pool()
        con = _open(p, read_only=False)
        try:
            yield con
        finally:
            con.close()


@contextmanager
def held(path: str | os.PathLike | None = None) -> Iterator[Path]:
    """The database file (its path), while this process opens no connection to it: a restore
    replaces the file meanwhile."""
    with _process_lock:
        _drop_pool()
        yield db_path(path)


def _key(p: Path) -> str:
    return os.path.abspath(p)


@contextmanager
def shared_writer(path: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection kept open for a long job of this process, which runs its own
    transactions on a cursor of it; meanwhile read() and write() on the file use cursors of it."""
    p = db_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with _process_lock:
        _drop_pool()
        con = _open(p, read_only=False)
        _shared[_key(p)] = con
    try:
        yield con
    finally:
        with _shared_cv:
            _shared.pop(_key(p), None)
            _shared_cv.wait_for(lambda: _shared_users == 0, timeout=environment().lock_timeout_s)
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
