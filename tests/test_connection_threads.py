"""Reads of many threads run at the same time (a cursor each of one read-only connection), while
another process writes and while a thread of this process writes: no error, and each read sees
one consistent version of the data (isc.db.connection)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from isc.db import connection

ROOT = Path(__file__).resolve().parent.parent
THREADS = 8

WRITER = """
import sys, time
from isc.db import connection
db, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with connection.write(db) as con:
        con.execute("INSERT INTO a VALUES (?)", [i])
        con.execute("INSERT INTO b VALUES (?)", [i])
    time.sleep(0.05)
print("done", n)
"""


def _make(db: Path) -> None:
    with connection.write(db) as con:
        con.execute("CREATE TABLE a (i INTEGER)")
        con.execute("CREATE TABLE b (i INTEGER)")


class Reads:
    """What the reader threads saw: errors, (count of a, count of b) per read, and how many reads
    were inside the database at the same time."""

    def __init__(self):
        self.errors: list = []
        self.seen: list = []
        self.overlap: list = []

    def check(self, last: tuple[int, int]) -> None:
        assert not self.errors, self.errors[:5]
        assert self.seen and all(na == nb for na, nb in self.seen), [s for s in self.seen if s[0] != s[1]][:5]
        assert self.seen[-1] == last, "reads after the last write must see all its rows"
        assert max(self.overlap) > 1, "reads of different threads never ran at the same time"


@contextlib.contextmanager
def reading(db: Path) -> Iterator[Reads]:
    """THREADS threads reading `db` in a loop until the block ends."""
    stop, reads = threading.Event(), Reads()
    threads = _readers(db, stop, reads.errors, reads.seen, reads.overlap)
    try:
        yield reads
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)


def _readers(db: Path, stop: threading.Event, errors: list, seen: list, overlap: list) -> list[threading.Thread]:
    inside = [0]
    lock = threading.Lock()

    def run():
        while not stop.is_set():
            try:
                with connection.read(db) as con:
                    with lock:
                        inside[0] += 1
                        overlap.append(inside[0])
                    try:
                        na = con.execute("SELECT count(*) FROM a").fetchone()[0]
                        time.sleep(0.002)  # another thread's query runs meanwhile
                        nb = con.execute("SELECT count(*) FROM b").fetchone()[0]
                    finally:
                        with lock:
                            inside[0] -= 1
                seen.append((na, nb))
            except Exception as exc:  # noqa: BLE001 - collected and asserted on below
                errors.append(repr(exc))

    threads = [threading.Thread(target=run, daemon=True) for _ in range(THREADS)]
    for t in threads:
        t.start()
    return threads


def test_threads_read_together_while_another_process_writes(tmp_path):
    db = tmp_path / "t.duckdb"
    _make(db)
    n = 8
    with reading(db) as reads:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", WRITER, str(db), str(n)], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        time.sleep(0.3)  # reads after the last write
    assert out.returncode == 0, out.stderr
    assert f"done {n}" in out.stdout
    reads.check((n, n))


def test_threads_read_while_a_thread_of_this_process_writes(tmp_path):
    db = tmp_path / "t.duckdb"
    _make(db)
    with reading(db) as reads:
        for i in range(10):
            with connection.write(db) as con:
                con.execute("INSERT INTO a VALUES (?)", [i])
                con.execute("INSERT INTO b VALUES (?)", [i])
            time.sleep(0.02)
        time.sleep(0.2)
    reads.check((10, 10))


def test_nested_reads_of_one_thread_do_not_wait_for_a_writer(tmp_path):
    db = tmp_path / "t.duckdb"
    _make(db)
    wrote = threading.Event()

    def writer():
        with connection.write(db) as con:
            con.execute("INSERT INTO a VALUES (1)")
        wrote.set()

    with connection.read(db) as outer:
        w = threading.Thread(target=writer, daemon=True)
        w.start()
        time.sleep(0.1)  # the writer now waits for this read
        with connection.read(db) as inner:  # must not wait for the writer (it waits for us)
            assert inner.execute("SELECT count(*) FROM a").fetchone()[0] == 0
        assert outer.execute("SELECT count(*) FROM b").fetchone()[0] == 0
        assert not wrote.is_set()
    w.join(timeout=30)
    assert wrote.is_set()
    with connection.read(db) as con:
        assert con.execute("SELECT count(*) FROM a").fetchone()[0] == 1


def test_threads_read_through_the_shared_writer_and_after_it(tmp_path):
    """While a long job of this process holds the shared writer (etl.demo's background build),
    reads take cursors of it and see what it has committed; once it ends they open the file."""
    db = tmp_path / "t.duckdb"
    _make(db)
    with reading(db) as reads:
        with connection.shared_writer(db) as shared:
            con = shared.cursor()
            try:
                for i in range(10):
                    with connection.transaction(con):
                        con.execute("INSERT INTO a VALUES (?)", [i])
                        con.execute("INSERT INTO b VALUES (?)", [i])
                    time.sleep(0.02)
            finally:
                con.close()
        with connection.write(db) as con:  # a write of this process after the job: its own connection
            con.execute("INSERT INTO a VALUES (10)")
            con.execute("INSERT INTO b VALUES (10)")
        time.sleep(0.2)
    reads.check((11, 11))
