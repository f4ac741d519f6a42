"""The demo build loads its reports in batches (isc.db.writes.batch): the database it makes must be
the one the same workbooks make loaded one at a time, as uploads, in the same order (uploads, rows,
statuses, events, stored originals, and each load's outcome)."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import pytest

from etl import demo
from etl.load import load_bytes
from isc.db import connection, schema, writes
from tests.conftest import DEMO_LAST_PERIOD

# Two themes of the demo (76 reports, a revised report among the first quarters' and others later).
THEMES = ("CLIM", "RES")


@pytest.fixture
def small_plan(monkeypatch):
    """etl.demo's plan, cut down to THEMES (the bundled workbooks still serve it: named by content)."""
    original = demo.plan

    def plan(ref, last, seed=demo.SEED):
        return [item for item in original(ref, last, seed) if item[0] in THEMES]

    monkeypatch.setattr(demo, "plan", plan)
    return plan


def _contents(path: Path) -> dict[str, list]:
    """Every table's rows in a fixed order, and the stored originals (name -> bytes)."""
    with connection.read(path) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        out = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    out["(files)"] = sorted((f.name, f.read_bytes()) for f in (path.parent / "uploads").iterdir())
    return out


def _one_by_one(path: Path, items: list) -> list[dict]:
    """Each workbook loaded alone in its own transaction, as an upload is."""
    ref = demo._ref()
    names = [demo._name(th, se, pe, rep, rev) for th, se, pe, rep, _, rev in items]
    demo._fresh(path, ref)
    outcomes = []
    for item, name, data in zip(items, names, demo._workbooks(items, names), strict=True):
        with connection.write(path) as con:
            outcomes.append(demo._load(con, ref, path, item, name, data, None).to_dict())
    return outcomes


def _same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for table in a:
        assert a[table] == b[table], table


def test_background_build_in_batches_makes_the_one_by_one_database(tmp_path, small_plan, monkeypatch):
    monkeypatch.setattr(demo.Build, "CHUNK", 16)  # a few batches after the first quarters
    batched = tmp_path / "batched" / "isc.duckdb"
    build = demo.Build(batched, DEMO_LAST_PERIOD)
    build.resume.set()
    build.shown.set()
    build.thread.start()
    assert build.done.wait(120)
    assert build.error is None, build.error
    assert build.loaded == build.total == len(small_plan(demo._ref(), DEMO_LAST_PERIOD))
    assert not build.marker.exists()

    items = small_plan(demo._ref(), DEMO_LAST_PERIOD)
    items = [items[i] for i in demo.load_order(items, DEMO_LAST_PERIOD)]
    alone = tmp_path / "alone" / "isc.duckdb"
    _one_by_one(alone, items)
    got, want = _contents(batched), _contents(alone)
    assert len(want["upload"]) == len(items) and len(want["activity"]) > len(items)
    _same(got, want)


def test_build_demo_in_one_batch_gives_the_outcomes_and_database_of_one_by_one(tmp_path, small_plan):
    batched = tmp_path / "batched" / "isc.duckdb"
    outcomes = [o.to_dict() for o in demo.build_demo(batched, last=DEMO_LAST_PERIOD)]
    alone = tmp_path / "alone" / "isc.duckdb"
    want = _one_by_one(alone, small_plan(demo._ref(), DEMO_LAST_PERIOD))
    assert outcomes == want
    assert any(o["supersedes"] for o in want)  # a revision within the batch names what it replaces
    _same(_contents(batched), _contents(alone))


def test_a_batch_sees_the_live_uploads_before_it_and_its_own(tmp_path, small_plan):
    """Loading again what is live changes nothing, a revision supersedes, and a file whose report
    was replaced since loads again: in a batch exactly as alone, also against earlier loads."""
    ref = demo._ref()
    items = small_plan(ref, DEMO_LAST_PERIOD)
    i = next(k for k, it in enumerate(items) if it[5])  # a revision: items[i - 1] is what it revises
    first, revised = items[i - 1], items[i]
    datas = {}
    for item in (first, revised, items[0]):
        name = demo._name(item[0], item[1], item[2], item[3], item[5])
        datas[id(item)] = next(demo._workbooks([item], [name]))
    later = dt.timedelta(days=1)
    # (item, uploaded_at): items[0] is loaded before the batch; then again inside it (unchanged)
    steps = [(first, first[4]), (items[0], items[0][4]), (revised, revised[4]), (first, first[4] + later),
             (first, first[4] + 2 * later), (revised, revised[4] + 3 * later)]

    def run(path: Path, batched: bool) -> list[dict]:
        demo._fresh(path, ref)
        with connection.write(path) as con:
            load_bytes(datas[id(items[0])], "before.xlsx", db=path, uploaded_by="demo", ref=ref, con=con,
                       uploaded_at=items[0][4])
        out = []
        with connection.write(path) as con, writes.batch(con) if batched else contextlib.nullcontext():
            for k, (item, at) in enumerate(steps):
                out.append(load_bytes(datas[id(item)], f"f{k}.xlsx", db=path, uploaded_by="demo", ref=ref,
                                      con=con, uploaded_at=at).to_dict())
        return out

    got = run(tmp_path / "b" / "isc.duckdb", True)
    want = run(tmp_path / "a" / "isc.duckdb", False)
    assert [o["outcome"] for o in want] == ["loaded", "unchanged", "loaded", "loaded", "unchanged", "loaded"]
    assert got == want
    _same(_contents(tmp_path / "b" / "isc.duckdb"), _contents(tmp_path / "a" / "isc.duckdb"))


def test_reference_data_is_stored_as_inserts_row_by_row_stored_it(tmp_path):
    """replace_reference writes each table in one statement: the same rows, values and types as one
    parameterised INSERT per row (what it did before), in the same order."""
    ref = demo._ref()

    def row_by_row(con, tables):
        for table, (name, columns) in writes.REFERENCE_TABLES.items():
            con.execute(f"DELETE FROM {table}")
            for i, row in enumerate(tables[name], start=1):
                rec = [writes._cell(row.get(c), c) for c in columns]
                if "position" in columns and rec[columns.index("position")] is None:
                    rec[columns.index("position")] = i
                con.execute(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in columns)})", rec)
        con.execute("DELETE FROM ref_text")
        for table in writes.LOCALISED_TABLES:
            for row in tables[writes.REFERENCE_TABLES[table][0]]:
                for column, value in row.items():
                    m = writes._LOCALISED_COLUMN.match(column or "")
                    if m and value and row.get("code"):
                        con.execute("INSERT OR REPLACE INTO ref_text VALUES (?, ?, ?, ?, ?)",
                                    [table, row["code"], m[1], m[2], value])

    def stored(path: Path, fill) -> dict:
        with connection.write(path) as con:
            schema.ensure_schema(con)
            fill(con, ref.tables)
            tables = [*writes.REFERENCE_TABLES, "ref_text"]
            return {t: (con.execute(f"SELECT * FROM {t}").fetchall(),
                        con.execute(f"SELECT typeof(COLUMNS(*)) FROM {t} LIMIT 1").fetchall()) for t in tables}

    got = stored(tmp_path / "a" / "isc.duckdb", writes.replace_reference)
    want = stored(tmp_path / "b" / "isc.duckdb", row_by_row)
    assert all(rows for rows, _ in want.values())
    assert got == want


def _stuck(datas, background=False):  # noqa: ARG001 - _check_all's signature
    """A worker that never answers (as one holding a lock inherited through the fork would)."""
    import time

    time.sleep(600)


def test_a_stuck_or_dead_worker_means_checking_here_not_a_hung_build(monkeypatch):
    """The workers' checks are only ahead of time: a worker that does not answer (or dies) is
    stopped and every workbook is still given, in order, to be checked in this process."""
    datas = [f"workbook {k}".encode() for k in range(25)]
    monkeypatch.setattr(demo._Checked, "WAIT_S", 1.0)
    monkeypatch.setattr(demo, "_check_all", _stuck)
    checked = demo._Checked(iter(datas), group=10, ahead=2)
    if checked._pool is None:
        pytest.skip("no fork here: workbooks are checked in this process anyway")
    try:
        pairs = list(checked)
    finally:
        checked.close()  # the stuck workers were killed when it gave up on them
    assert [data for data, _ in pairs] == datas
    assert all(validation is None for _, validation in pairs)  # checked by load_bytes here

    # a worker that dies: the same
    monkeypatch.setattr(demo, "_check_all", _dies)
    checked = demo._Checked(iter(datas), group=10, ahead=2)
    try:
        pairs = list(checked)
    finally:
        checked.close()
    assert [data for data, _ in pairs] == datas and all(v is None for _, v in pairs)


def _dies(datas, background=False):  # noqa: ARG001
    import os

    os._exit(3)
