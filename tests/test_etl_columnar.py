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
import pyarrow as pa
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


# --- Large table sheets read into Arrow (fastexcel) and validated column by column -------------
# COLUMNAR_BYTES set to 0 sends every table sheet the columnar way (when it can go): what comes out
# (the cells, every issue with its place and order, the report, the rows stored) must be exactly
# what the rows path gives (COLUMNAR_BYTES out of reach).

from etl import load as L  # noqa: E402
from etl import spec  # noqa: E402
from isc import report as R  # noqa: E402
from isc import status as S  # noqa: E402

ROWS_ONLY = 1 << 62


def _issues(result) -> list[tuple]:
    return [(i.severity, i.sheet, i.row, i.column, i.value, i.key, i.params, i.cells) for i in result.issues]


def _report(result):
    r = result.report
    if r is None:
        return None
    return (r.header, list(r.activities), r.indicators, r.results, r.risks)


def _both(monkeypatch, data: bytes):
    """(raw, check) the columnar way, then the rows way."""
    out = []
    for limit in (0, ROWS_ONLY):
        monkeypatch.setattr(reader, "COLUMNAR_BYTES", limit)
        out.append((_read(data), L.check(data, W.REF)))
    return out


def _assert_same(monkeypatch, data: bytes, name: str = "") -> bool:
    """Asserts both ways agree; returns whether the Activities sheet went the columnar way."""
    (raw_c, check_c), (raw_r, check_r) = _both(monkeypatch, data)
    assert raw_c == raw_r, name
    assert _issues(check_c) == _issues(check_r), name
    assert _report(check_c) == _report(check_r), name
    return isinstance(raw_c, reader.RawWorkbook) and isinstance(raw_c.sheets.get("Activities"), reader.ArrowRows)


def test_the_whitespace_class_is_what_str_strip_removes():
    from etl import validate as V

    assert set(V._WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def _messy_wb(n: int = 240, errors: bool = True):
    """A report whose every column holds one kind of value (so it can go the columnar way), with
    values that raise warnings (and errors) in every column kind, blank and whitespace-only rows."""
    acts = []
    for i in range(1, n + 1):
        status = spec.ACTIVITY_STATUSES[i % 5]
        acts.append(W.activity(i, status=status, end_date=dt.date(2025, 3, 31) if i % 3 == 0 else dt.date(2026, 6, 30),
                               percent_complete=100 if status == "Completed" else i % 90 + 1,
                               result="Done" if i % 7 == 0 else None))
    base = W.report(0, 3)
    wb = W.workbook(prefill=R.ReportData(base.header, acts, base.indicators, base.results, base.risks))
    put = lambda key, row, value: W.set_cell(wb, "Activities", key, row, value)  # noqa: E731
    put("title", 5, "  padded title  ")
    put("title", 6, "Cafe\u0301 \u00e9t\u00e9 \u6c14\u5019")  # not ASCII, not NFC
    put("description", 7, "\u00a0")  # only a no-break space: blank
    put("description", 8, "  ")
    put("lead_sector", 9, "itu-t ")
    put("role_ITU-R", 10, "partner")
    put("role_GS", 11, "Partenaire")
    put("status", 12, "in progress")
    put("status", 13, "En cours")
    put("percent_complete", 14, 0.45)
    put("percent_complete", 15, 0)
    put("status", 16, "Completed")
    put("percent_complete", 16, 50)
    for key in [c.key for c in spec.ACTIVITIES.columns]:
        put(key, 20, None)  # a blank row in the middle
    put("title", 21, " ")  # a whitespace-only row... but for its ID
    for key in [c.key for c in spec.ACTIVITIES.columns if c.key != "title"]:
        put(key, 21, None)
    if errors:
        put("description", 22, "x")  # a row with only an optional cell
        for key in [c.key for c in spec.ACTIVITIES.columns if c.key != "description"]:
            put(key, 22, None)
        put("title", 30, "x" * 301)
        put("title", 31, " ")
        put("lead_sector", 32, "XYZ")
        put("role_ITU-D", 33, "Foo")
        put("start_date", 34, dt.date(1990, 1, 1))
        put("start_date", 35, dt.date(2026, 12, 1))  # after its end date
        put("percent_complete", 36, 150)
        put("percent_complete", 37, -1)
        put("result", 38, "y" * 4001)
        put("activity_id", 39, "a-02")  # A-02 in another case
        put("activity_id", 40, None)
    return wb


def test_a_messy_report_goes_the_columnar_way_with_the_same_issues_and_report(monkeypatch):
    data = W.to_bytes(_messy_wb())
    assert _assert_same(monkeypatch, data)  # it did go the columnar way
    monkeypatch.setattr(reader, "COLUMNAR_BYTES", 0)
    result = L.check(data, W.REF)
    keys = {i.key for i in result.issues}
    assert {"text_too_long", "cell_required", "sector_unknown", "choice_unknown", "date_range", "percent_range",
            "percent_fraction", "choice_normalised", "sector_normalised", "duplicate_id", "end_before_start",
            "completed_below_100"} <= keys
    assert result.report is None


def test_a_report_with_warnings_only_loads_the_same_rows_either_way(monkeypatch, tmp_path):
    data = W.to_bytes(_messy_wb(errors=False))
    assert _assert_same(monkeypatch, data)
    stored = []
    for limit in (0, ROWS_ONLY):
        monkeypatch.setattr(reader, "COLUMNAR_BYTES", limit)
        db = tmp_path / f"{limit}" / "isc.duckdb"
        L.init_db(db, W.REF)
        out = L.load_bytes(data, "messy.xlsx", db=db, ref=W.REF, uploaded_at=dt.datetime(2026, 1, 1))
        assert out.outcome == "loaded", out.errors[:3]
        con = duckdb.connect(str(db))
        stored.append((out.to_dict(), {t: con.execute(f"SELECT * FROM {t}").fetchall()
                                       for t in ("activity", "status_reason", "indicator", "result", "risk",
                                                 "report")}))
        con.close()
    assert stored[0] == stored[1]
    assert any(r[5] == "reason.overdue" for r in stored[0][1]["status_reason"])
    assert any(r[5] == "reason.delayed" for r in stored[0][1]["status_reason"])


def test_control_characters_and_escapes_in_texts_read_the_same(monkeypatch):
    data = W.to_bytes(_messy_wb(80, errors=False))
    texts = {b"Joint activity 24<": b"Joint\tactivity 24<", b"Joint activity 25<": b"Bell_x0007_ring 25<",
             b"Joint activity 26<": b"Line\nbreak_x000D_ 26<", b"Joint activity 27<": b"_x005F_x0041_ 27<"}

    def edit(xml: bytes) -> bytes:
        for old, new in texts.items():
            assert old in xml
            xml = xml.replace(old, new, 1)
        return xml

    edited = _sheet_xml(data, 3, edit)
    assert _assert_same(monkeypatch, edited)
    monkeypatch.setattr(reader, "COLUMNAR_BYTES", 0)
    assert "text_control" in {i.key for i in L.check(edited, W.REF).issues}


def test_dates_and_percentages_typed_as_text_go_cell_by_cell_the_same(monkeypatch):
    wb = _messy_wb(60, errors=False)
    for row in range(2, 62):
        if wb["Activities"][W.cell("Activities", "start_date", row)].value is not None:
            W.set_cell(wb, "Activities", "start_date", row, ("2025-07-15", "15/07/2025", "2025-Q1", "soon")[row % 4])
        if wb["Activities"][W.cell("Activities", "percent_complete", row)].value is not None:
            W.set_cell(wb, "Activities", "percent_complete", row, ("45%", "1,200", "12.5", "abc")[row % 4])
    assert _assert_same(monkeypatch, W.to_bytes(wb))


def test_a_column_of_mixed_kinds_or_merged_cells_is_read_by_calamine(monkeypatch):
    wb = _messy_wb(40, errors=False)
    W.set_cell(wb, "Activities", "title", 8, 12.0)  # a number among texts
    data = W.to_bytes(wb)
    assert not _assert_same(monkeypatch, data)
    wb = _messy_wb(40, errors=False)
    wb["Activities"].merge_cells("B5:C5")
    data = W.to_bytes(wb)
    assert not _assert_same(monkeypatch, data)
    monkeypatch.setattr(reader, "COLUMNAR_BYTES", 0)
    assert "merged_cells" in {i.key for i in L.check(data, W.REF).issues}


def _shared_strings(data: bytes) -> bytes:
    """The workbook with its inline strings moved to a shared-strings part, as Excel writes them."""
    cell = re.compile(rb'<c r="([A-Z]+[0-9]+)"((?: [a-z]+="[^"]*")*) t="inlineStr"((?: [a-z]+="[^"]*")*)>'
                      rb"<is>(<t[^>]*>.*?</t>|<t[^>]*/>)</is></c>", re.S)
    strings: dict[bytes, int] = {}

    def shared(m) -> bytes:
        k = strings.setdefault(m.group(4), len(strings))
        return b'<c r="%s"%s t="s"%s><v>%d</v></c>' % (m.group(1), m.group(2), m.group(3), k)

    zin, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    parts = {i.filename: zin.read(i.filename) for i in zin.infolist()}
    for name in sorted(n for n in parts if n.startswith("xl/worksheets/sheet")):
        parts[name] = cell.sub(shared, parts[name])
    parts["xl/sharedStrings.xml"] = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"".join(b"<si>%s</si>" % t for t in strings) + b"</sst>")
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, body in parts.items():
            zout.writestr(name, body)
    return out.getvalue()


def test_a_workbook_of_shared_strings_goes_the_columnar_way_the_same(monkeypatch):
    data = _shared_strings(W.to_bytes(_messy_wb()))
    assert b't="s"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet3.xml")
    assert _assert_same(monkeypatch, data)
    good = _shared_strings(W.to_bytes(_messy_wb(errors=False)))
    assert _assert_same(monkeypatch, good)


def test_the_hostile_corpus_and_fuzzed_files_read_and_validate_the_same_either_way(monkeypatch):
    from tests.test_fuzz_workbooks import _fuzz_files

    columnar = 0
    for case in H.build():
        columnar += _assert_same(monkeypatch, case.data, case.name)
    for kind, base, data in _fuzz_files()[::9]:
        columnar += _assert_same(monkeypatch, data, f"{kind} {base}")
    assert columnar > 20  # most of them did go the columnar way


def test_headers_that_are_not_the_templates_texts_are_read_by_calamine(monkeypatch):
    for header, value in (("result", 5.0), ("result", "Result achieved "), ("result", "Title"),
                          ("description", dt.date(2025, 1, 1)), ("result", "Extra")):
        wb = _messy_wb(30, errors=False)
        W.set_cell(wb, "Activities", header, 1, value)
        assert not _assert_same(monkeypatch, W.to_bytes(wb)), (header, value)
    wb = _messy_wb(30, errors=False)
    wb["Activities"]["O1"] = "Comments"  # an extra column
    wb["Activities"]["O5"] = "typed beside the table"
    assert not _assert_same(monkeypatch, W.to_bytes(wb))


def test_a_sheet_whose_cells_do_not_start_at_a1_is_read_by_calamine(monkeypatch):
    wb = _messy_wb(30, errors=False)
    wb["Activities"].insert_rows(1)  # the header on row 2: fastexcel would count it as its first row
    assert not _assert_same(monkeypatch, W.to_bytes(wb))
    monkeypatch.setattr(reader, "COLUMNAR_BYTES", 0)
    assert "header_row_moved" in {i.key for i in L.check(W.to_bytes(wb), W.REF).issues}
    wb = _messy_wb(30, errors=False)
    wb["Activities"]["A1"] = None  # no Activity ID header: A1 empty
    assert not _assert_same(monkeypatch, W.to_bytes(wb))


def test_records_and_reason_rows_read_as_the_lists_they_stand_for():
    end = dt.date(2025, 9, 30)
    cases = [
        [W.activity(i, status=spec.ACTIVITY_STATUSES[i % 5], end_date=dt.date(2025, 1 + i % 12, 1),
                    percent_complete=None if i % 4 == 0 else float(i % 101)) for i in range(60)],
        [W.activity(i, status="Completed", end_date=dt.date(2024, 1, 1)) for i in range(5)],
        [W.activity(i, status="Delayed", end_date=None, activity_id=None, title=None) for i in range(5)],
        [W.activity(1, status="Planned", end_date=dt.date(2025, 1, 1), percent_complete=12.5)]
        + [W.activity(i, end_date=dt.date(2027, 1, 1)) for i in range(2, 9)],
        [],
    ]
    keys = ["row", *(c.key for c in spec.ACTIVITIES.columns)]
    for acts in cases:
        dicts = [{"row": n + 2, **{k: a.get(k) for k in keys[1:]}} for n, a in enumerate(acts)]
        for d in dicts:
            d["percent_complete"] = None if d["percent_complete"] is None else float(d["percent_complete"])
        types = {"row": pa.int64(), "start_date": pa.date32(), "end_date": pa.date32(),
                 "percent_complete": pa.float64()}
        table = pa.table({k: pa.array([d[k] for d in dicts], types.get(k, pa.string())) for k in keys})
        records = R.Records(table)
        assert records == dicts and list(records) == dicts and len(records) == len(dicts)
        status, reasons = S.activity_reasons(records, end)
        assert (status, list(reasons)) == S.activity_reasons(dicts, end)
        assert reasons == S.activity_reasons(dicts, end)[1]
        ind = [S.Reason("indicator", "I-1", "x", S.AT_RISK, S.NO_ACTUAL)]
        assert ind + reasons == ind + S.activity_reasons(dicts, end)[1]
        assert S.assess_report([], records, end)[0] == S.assess_report([], dicts, end)[0]


def test_a_large_report_checked_in_the_sandbox_is_read_the_columnar_way_within_its_memory_limit():
    """Under the check's address-space limit Arrow must not reserve its allocator's gigabyte: the
    sandboxed check of a large report gives what the check in this process gives."""
    import importlib.util

    from etl import sandbox

    spec_ = importlib.util.spec_from_file_location("bench_etl", W.Path(__file__).parent.parent / "bench" / "bench_etl.py")
    bench = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(bench)
    data = bench.big_workbook(4000)
    raw = reader.read_workbook(data)
    assert isinstance(raw.sheets["Activities"], reader.ArrowRows)  # over COLUMNAR_BYTES
    here = L.check(data, W.REF)
    checked = sandbox.check(data, W.REF, mark="later", memory=1024 * 1024 * 1024)
    assert checked.validation.ok and here.ok
    assert _issues(checked.validation) == _issues(here) and _report(checked.validation) == _report(here)
    assert isinstance(checked.validation.report.activities, R.Records)


def test_importing_the_check_allocates_nothing_with_arrow():
    """The check's modules are preloaded in the sandbox's forkserver, before its children limit their
    address space: an Arrow allocation on import would reserve the allocator's gigabyte in every
    child (seen once: the check of a large report then ran out of its 1 GB)."""
    import subprocess
    import sys

    code = ("import etl.load, etl.annotate, etl.sandbox, etl.preview, isc.status, isc.report, pyarrow as pa; "
            "print(pa.default_memory_pool().max_memory())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=W.Path(__file__).parent.parent)
    assert out.stdout.split()[-1] == "0"
