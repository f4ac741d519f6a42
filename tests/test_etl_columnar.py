"""The fast paths of the load (issue 17 item 6) give exactly what the plain paths give.

- The sheets' XML is checked (expat, a megabyte at a time) in a second thread while calamine
  parses them: every workbook of the hostile corpus and a sample of the fuzzed ones is read or
  refused exactly as with the two passes one after the other (same cells, same key and params).
- The chunked check says what expat says of the whole part, wherever a chunk ends.
- Rows reach DuckDB as one Arrow table per table, typed with the table's own types; a value
  Arrow refuses goes the slower way (DuckDB's casts) and is stored the same.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import re
import zipfile

import duckdb
import pytest

from etl import reader
from isc.db import writes
from tests import hostile_corpus as H
from tests import workbooks as W


def _read(data: bytes):
    """What read_workbook gives: the workbook, or the refusal's key and params."""
    try:
        return reader.read_workbook(data)
    except reader.UnreadableWorkbook as exc:
        return ("refused", exc.key, exc.params)


def _both_ways(monkeypatch, data: bytes):
    monkeypatch.setattr(reader, "_room_for_a_thread", lambda: True)
    overlapped = _read(data)
    monkeypatch.setattr(reader, "_room_for_a_thread", lambda: False)
    serial = _read(data)
    return overlapped, serial


def test_the_overlapped_check_reads_and_refuses_the_hostile_corpus_as_the_serial_one(monkeypatch):
    for case in H.build():
        overlapped, serial = _both_ways(monkeypatch, case.data)
        assert overlapped == serial, case.name


def test_the_overlapped_check_reads_and_refuses_fuzzed_files_as_the_serial_one(monkeypatch):
    from tests.test_fuzz_workbooks import _fuzz_files

    refused = 0
    for kind, base, data in _fuzz_files()[::12]:
        overlapped, serial = _both_ways(monkeypatch, data)
        assert overlapped == serial, (kind, base)
        refused += isinstance(serial, tuple)
    assert refused  # the sample holds damaged files, not only sound ones


def _sheet_xml(data: bytes, n: int, fn) -> bytes:
    return H._rewrite_part(data, f"worksheets/sheet{n}.xml", fn)


def test_a_sheet_over_the_row_limit_is_refused_after_the_damaged_sheets_before_it(monkeypatch):
    monkeypatch.setattr(reader, "MAX_SHEET_ROWS", 58)  # Instructions has 55 rows, Activities 61
    good = W.good_bytes(prefill=W.report(60, 5))
    # Report (sheet 2) is damaged; Activities (sheet 3) is over the limit: Report comes first
    damaged = _sheet_xml(good, 2, lambda xml: xml.replace(b"</sheetData>", b"<row></sheetData>", 1))
    exc = pytest.raises(reader.UnreadableWorkbook, reader.read_workbook, damaged).value
    assert (exc.key, exc.params["sheet"]) == ("file_sheet_unreadable", "Report")
    # Activities over the limit, Indicators (sheet 4) damaged after it: the row limit comes first
    later = _sheet_xml(good, 4, lambda xml: xml.replace(b"</sheetData>", b"<row></sheetData>", 1))
    exc = pytest.raises(reader.UnreadableWorkbook, reader.read_workbook, later).value
    assert (exc.key, exc.params["sheet"]) == ("file_sheet_rows", "Activities")


@pytest.mark.parametrize("chunk", [1, 2, 7, 64, 1 << 20])
def test_the_chunked_check_says_what_expat_says_of_the_whole_part(monkeypatch, chunk):
    monkeypatch.setattr(reader, "_CHUNK", chunk)
    good = zipfile.ZipFile(io.BytesIO(W.good_bytes())).read("xl/worksheets/sheet3.xml").replace(b"<row ", b"\n<row ")
    damaged = [good[:n] + bad + good[n:] for n in (40, 200, 333, len(good) // 2, len(good) - 5)
               for bad in (b"&", b"<", b"\xff", b"\xc3", b"</x>")]
    damaged += [good[:len(good) // 2], good + b"junk", b'<!DOCTYPE x [<!ENTITY a "b">]>' + good]
    for xml in [good, *damaged]:
        data = _sheet_xml(W.good_bytes(), 3, lambda _, xml=xml: xml)
        zf = zipfile.ZipFile(io.BytesIO(data))
        problem, _ = reader._check_sheet_xml(zf, [("Activities", "xl/worksheets/sheet3.xml")])
        expected = reader._xml_problem(xml)
        assert (problem.params["detail"] if problem else "") == expected


@pytest.mark.parametrize("chunk", [1, 2, 5, 1 << 20])
def test_formulas_are_found_wherever_a_chunk_ends(monkeypatch, chunk):
    monkeypatch.setattr(reader, "_CHUNK", chunk)
    raw = reader.read_workbook(H._formula(H._save(H._wb(W.REF)), cached=True))
    assert raw.formulas == {"Activities": [("M2", True)]}


def test_no_second_thread_under_a_tight_address_space_limit(monkeypatch):
    import resource

    with open("/proc/self/statm") as f:
        used = int(f.read().split()[0]) * resource.getpagesize()
    monkeypatch.setattr(resource, "getrlimit", lambda _: (used + 100 * 1024 * 1024, resource.RLIM_INFINITY))
    assert not reader._room_for_a_thread()
    monkeypatch.setattr(resource, "getrlimit", lambda _: (used + 2048 * 1024 * 1024, resource.RLIM_INFINITY))
    assert reader._room_for_a_thread()
    monkeypatch.setattr(resource, "getrlimit", lambda _: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert reader._room_for_a_thread()


def _activity_table(con) -> None:
    con.execute("CREATE TABLE activity (upload_id INTEGER, row_no INTEGER, activity_id VARCHAR, "
                "partners VARCHAR[], start_date DATE, percent_complete DOUBLE, result VARCHAR)")


def _columns(n: int, percent) -> dict[str, list]:
    return {
        "upload_id": [7] * n,
        "row_no": list(range(2, n + 2)),
        "activity_id": [f"A-{i}" for i in range(n)],
        "partners": [[] if i % 3 == 0 else None if i % 3 == 1 else ["ITU-R", "GS"] for i in range(n)],
        "start_date": [dt.date(2025, 1, 1) + dt.timedelta(days=i) if i % 4 else None for i in range(n)],
        "percent_complete": [percent(i) if i % 5 else None for i in range(n)],
        "result": [None] * n,  # a column that is empty throughout keeps its type
    }


@pytest.mark.parametrize("n", [3, 250])
def test_the_arrow_insert_and_the_cast_fallback_store_the_same_rows(n):
    fast, slow = duckdb.connect(), duckdb.connect()
    for con in (fast, slow):
        _activity_table(con)
    writes._insert(fast, "activity", _columns(n, float))
    calls = []
    original = writes._insert_cast
    try:
        writes._insert_cast = lambda *a: calls.append(1) or original(*a)
        # a Decimal: Arrow will not take it for a DOUBLE column, DuckDB casts it
        writes._insert(slow, "activity", _columns(n, lambda i: decimal.Decimal(i)))
    finally:
        writes._insert_cast = original
    assert calls == [1]
    rows = [con.execute("SELECT * FROM activity ORDER BY row_no").fetchall() for con in (fast, slow)]
    assert rows[0] == rows[1] and len(rows[0]) == n
    assert rows[0][0][3] == [] and rows[0][1][3] is None and rows[0][2][3] == ["ITU-R", "GS"]


def test_nothing_is_inserted_for_no_rows():
    con = duckdb.connect()
    _activity_table(con)
    writes._insert(con, "activity", _columns(0, float))
    assert con.execute("SELECT count(*) FROM activity").fetchone() == (0,)


def test_a_large_report_is_stored_as_validated(tmp_path):
    from etl.load import check, init_db, load_bytes
    from isc.db import connection

    db = tmp_path / "isc.duckdb"
    init_db(db)
    data = W.good_bytes(prefill=W.report(1200, 5))
    report = check(data, W.REF).report
    out = load_bytes(data, "big.xlsx", db=db, ref=W.REF)
    assert out.outcome == "loaded", out.errors[:3]
    with connection.read(db) as con:
        stored = con.execute("SELECT row_no, activity_id, title, lead_sector, status, start_date, end_date, "
                             "percent_complete FROM activity ORDER BY row_no").fetchall()
    keys = ("row", "activity_id", "title", "lead_sector", "status", "start_date", "end_date", "percent_complete")
    assert stored == [tuple(a[k] for k in keys) for a in report.activities]
    assert not re.search("nan", repr(stored))
