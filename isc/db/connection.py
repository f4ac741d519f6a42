"""Open the DuckDB file briefly, for one unit of work, and retry while another process holds it.

DuckDB lets one process write, and a reader in another process conflicts with it. So no
connection is kept open for long: the dashboard reads through a read-only connection that it
closes as soon as it has been idle for POOL_IDLE_S (and at least every POOL_MAX_S), a load
opens read-write for one transaction and closes at once. Each side retries for a few seconds
when the other holds the file, so a CLI load and a serving dashboard take turns.

Inside one process, reads run at the same time: each takes its own cursor of the one read-only
connection (DuckDB's way for threads to share a connection), and the lock is held only to take
and give back the cursor, never while a query runs. A connection of this process that writes
(write, exclusive, held, shared_writer) waits until no read uses the read-only connection and
closes it first, because DuckDB refuses a read-only and a read-write connection to the same file
in one process; reads that come meanwhile wait for the writer.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from isc.settings import environment

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = ROOT / "data" / "isc.duckdb"
# Guards everything below: the pooled read connection, the writer of this process, the shared
# writer. Held for bookkeeping only (and while a connection is opened), never during a query.
_cv = threading.Condition()
_local = threading.local()  # .reads: how many read() blocks this thread is inside
# A read-write connection a long job of this process keeps open (etl.demo's background build): while
# it is registered, read() and write() on that file take a cursor of it instead of opening the file
# (DuckDB refuses a second connection to it in this process), so they neither wait for the job nor
# fail; each cursor sees what the job has committed so far.
_shared: dict[str, duckdb.DuckDBPyConnection] = {}
_shared_users = 0  # cursors of a shared connection in use: it is closed only when none is
# The thread of this process that holds a read-write connection (write, exclusive, held,
# shared_writer while it opens or closes), how deeply, and how many threads wait to be it.
_writer: dict = {"owner": None, "depth": 0, "waiting": 0}


def _borrow(p: Path) -> duckdb.DuckDBPyConnection | None:
    """A cursor of the shared writer of `p`, if one is registered (call with _cv held)."""
    global _shared_users
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
        with _cv:
            _shared_users -= 1
            _cv.notify_all()


# One read-only connection, shared by the reads of all threads (a cursor each) that follow each
# other within POOL_IDLE_S (a page's queries on a cold cache: opening the file costs more than most
# of them), and renewed after POOL_MAX_S: it is closed once its last cursor is given back, and the
# reads that come meanwhile wait for that, so that another process that wants to write (it
# retries) finds the file free between two connections. A writer of this project does not wait
# for that: it says it waits (see _intent) and the connection goes as soon as its cursors are back.
POOL_IDLE_S = 0.5
POOL_MAX_S = 5.0
_pool: dict | None = None  # key, con, file, opened, used, users (cursors out), retire
_janitor = {"on": False}  # the thread that closes an idle pooled connection is running


def _file_id(p: Path) -> tuple | None:
    try:
        st = p.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _drop_pool() -> None:
    """Close the pooled read connection (call with _cv held, when no cursor of it is out)."""
    global _pool
    if _pool is not None:
        pool, _pool = _pool, None
        pool["con"].close()


def _stale(pool: dict, p: Path, now: float) -> bool:
    return (
        pool["retire"]
        or pool["key"] != _key(p)
        or now - pool["opened"] > POOL_MAX_S
        or pool["file"] != _file_id(p)
        or _writer_waits(p)
    )


def _reads() -> int:
    return getattr(_local, "reads", 0)


def _take_cursor(p: Path) -> tuple[duckdb.DuckDBPyConnection, dict | None]:
    """A cursor for one read() of `p`: of the shared writer (pool None) or of the pooled
    read-only connection, opened if needed (the pool, whose `users` counts it)."""
    global _pool
    me = threading.get_ident()
    nested = _reads() > 0  # this thread already holds a cursor: it must not wait for a writer
    with _cv:
        while True:
            cur = _borrow(p)
            if cur is not None:
                return cur, None
            owner = _writer["owner"]
            if owner is not None and owner != me or (_writer["waiting"] and not nested and owner != me):
                _cv.wait(0.5)
                continue
            pool = _pool
            if pool is not None and _stale(pool, p, time.monotonic()):
                if pool["users"] == 0:
                    _drop_pool()
                elif not (nested and pool["key"] == _key(p)):
                    pool["retire"] = True  # closed when its last cursor is given back
                    _cv.wait(0.5)
                    continue
            if _pool is None and _writer_waits(p) and not nested:
                _cv.wait(0.02)  # leave the file to the writer of another process
                continue
            if _pool is None:
                con = _open(p, read_only=True)
                now = time.monotonic()
                _pool = {"key": _key(p), "con": con, "opened": now, "used": now, "file": _file_id(p),
                         "users": 0, "retire": False}  # fmt: skip
                if not _janitor["on"]:
                    _janitor["on"] = True
                    threading.Thread(target=_pool_janitor, name="isc-read-pool", daemon=True).start()
            pool = _pool
            cur = pool["con"].cursor()
            pool["users"] += 1
            return cur, pool


def _put_cursor(cur: duckdb.DuckDBPyConnection, pool: dict, failed: bool) -> None:
    try:
        cur.close()
    finally:
        with _cv:
            pool["users"] -= 1
            pool["used"] = time.monotonic()
            if failed:
                pool["retire"] = True
            if pool["users"] == 0 and (pool["retire"] or pool["used"] - pool["opened"] > POOL_MAX_S):
                if _pool is pool:
                    _drop_pool()
                else:
                    pool["con"].close()
            _cv.notify_all()


def _pool_janitor() -> None:
    while True:
        time.sleep(POOL_IDLE_S / 2)
        with _cv:
            now = time.monotonic()
            pool = _pool
            if pool is not None and pool["users"] == 0 and (
                now - pool["used"] > POOL_IDLE_S or now - pool["opened"] > POOL_MAX_S
            ):
                _drop_pool()
                _cv.notify_all()
            if _pool is None:
                _janitor["on"] = False
                return


@contextmanager
def _writing() -> Iterator[None]:
    """This thread as the writer of this process: waits until no read holds a cursor of the pooled
    connection and closes it; reads (and other writers) wait meanwhile. Re-entrant."""
    me = threading.get_ident()
    with _cv:
        if _writer["owner"] == me:
            _writer["depth"] += 1
        else:
            if _reads() and _pool is not None and _pool["users"]:
                raise RuntimeError("a write inside a read() of the same thread would wait for itself")
            _writer["waiting"] += 1
            try:
                while _writer["owner"] is not None or (_pool is not None and _pool["users"]):
                    _cv.wait(0.5)
            finally:
                _writer["waiting"] -= 1
            _writer["owner"], _writer["depth"] = me, 1
        _drop_pool()
    try:
        yield
    finally:
        with _cv:
            _writer["depth"] -= 1
            if _writer["depth"] == 0:
                _writer["owner"] = None
            _cv.notify_all()


class DatabaseBusy(RuntimeError):
    """Another process held the database for longer than $ISC_LOCK_TIMEOUT seconds (default 20)."""


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database file: the argument, else $ISC_DB, else data/isc.duckdb."""
    return Path(path or environment().db or DEFAULT_DB)


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "different configuration" in text


# A writer that finds the file held (by the read connection of a serving dashboard) says so in a
# small file beside the system's temporary files, refreshed at each retry and removed once it has the
# file: the readers of every process then let their connection go once its cursors are back, and
# wait before opening it again (at most WRITER_FRESH_S after the last refresh), so that the writer
# gets the file even while many sessions read without a pause.
WRITER_FRESH_S = 1.5


def _intent(path: Path) -> Path:
    digest = hashlib.sha1(_key(path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"isc-writer-waiting-{digest}"


def _writer_waits(path: Path) -> bool:
    """Another connection wants to write `path` and waits for this process's readers."""
    try:
        return time.time() - _intent(path).stat().st_mtime < WRITER_FRESH_S
    except OSError:
        return False


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + environment().lock_timeout_s
    delay = 0.02
    intent = None
    try:
        while True:
            try:
                return duckdb.connect(str(path), read_only=read_only)
            except duckdb.Error as exc:
                if not _is_lock_conflict(exc) or time.monotonic() > deadline:
                    if _is_lock_conflict(exc):
                        raise DatabaseBusy(f"{path} is busy (held by another process): {exc}") from exc
                    raise
            if not read_only:
                intent = _intent(path)
                with contextlib.suppress(OSError):
                    intent.touch()
            time.sleep(delay + random.random() * delay)
            delay = min(delay * 1.5, 0.25)
    finally:
        if intent is not None:
            with contextlib.suppress(OSError):
                intent.unlink()


@contextmanager
def read(path: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor for one query or a few, for this thread only (of the pooled connection,
    see POOL_IDLE_S, or of the shared writer); other threads read at the same time."""
    p = db_path(path)
    cur, pool = _take_cursor(p)
    _local.reads = _reads() + 1
    failed = False
    try:
        if pool is None:
            # A cursor of the shared writer, which commits meanwhile: one transaction, so that all
            # the statements of this read see the same snapshot (as with the read-only connection,
            # which no one can change while it is open).
            cur.execute("BEGIN TRANSACTION")
        yield cur
    except duckdb.Error:
        failed = True  # the connection may be the cause: the next reads get a fresh one
        raise
    finally:
        _local.reads -= 1
        if pool is None:
            try:
                with contextlib.suppress(duckdb.Error):
                    cur.execute("ROLLBACK")  # it only read
            finally:
                _give_back(cur)
        else:
            _put_cursor(cur, pool, failed)


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
    with _cv:
        cur = _borrow(p)
    with contextlib.nullcontext() if cur is not None else _writing():
        if cur is None:
            with _cv:
                cur = _borrow(p)  # registered while this thread waited
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
    with _writing():
        con = _open(p, read_only=False)
        try:
            yield con
        finally:
            con.close()


@contextmanager
def held(path: str | os.PathLike | None = None) -> Iterator[Path]:
    """The database file (its path), while this process opens no connection to it: a restore
    replaces the file meanwhile."""
    with _writing():
        yield db_path(path)


def _key(p: Path) -> str:
    return os.path.abspath(p)


@contextmanager
def shared_writer(path: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection kept open for a long job of this process, which runs its own
    transactions on a cursor of it; meanwhile read() and write() on the file use cursors of it."""
    p = db_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with _writing():
        con = _open(p, read_only=False)
        with _cv:
            _shared[_key(p)] = con
    try:
        yield con
    finally:
        with _writing():  # reads that come meanwhile wait, rather than open the file beside it
            with _cv:
                _shared.pop(_key(p), None)
                _cv.wait_for(lambda: _shared_users == 0, timeout=environment().lock_timeout_s)
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
