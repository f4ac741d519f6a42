"""Never a traceback from a file (issue 12): damaged workbooks are refused with a located message.

Two parts. First, one test per kind of damage the reader guards against (bad deflate data, bad
CRC, a file cut at a part boundary, a damaged central directory, an unsupported compression
method, ...), each asserting the message names the part. Then a seeded, structure-aware fuzz
test: real template workbooks, filled in the way a focal point would, damaged where the zip
format puts things (compressed data, local headers, central directory, end record, truncation,
swapped, duplicated and re-ordered entries, CRCs, compression methods, sizes, flags, broken XML)
and sent through the real front doors: etl.load.check, etl.load.load_bytes into a temporary
DuckDB, and, for a sample, `python -m etl load --json`. Every file must either be accepted with
exactly the values of the original, or refused with a message saying what is wrong.
"""

from __future__ import annotations

import collections
import functools
import json
import random
import struct
import subprocess
import sys
import time
import warnings
import zipfile

import pytest

from etl import annotate, reader
from etl.load import check, init_db, load_bytes
from etl.reference import Reference
from etl.validate import ISSUE_KEYS
from tests import damaged_zips as D
from tests import workbooks as W
from tests.conftest import ROOT
from tests.test_validate_i18n import assert_renders

REF = Reference.load()
SEED = 20250612
FILES_PER_KIND = 36  # x 23 kinds x 2 workbooks: about 1,650 files
GOOD = W.good_bytes()
SHEET = D.sheet_part(GOOD, "Activities")
# A reader message naming a part: its key -> the params the message must quote.
LOCATED = {
    "file_part_damaged": ("part",), "file_sheet_damaged": ("part", "sheet"),
    "file_part_checksum": ("part",), "file_sheet_checksum": ("part", "sheet"),
    "file_part_method": ("part",), "file_sheet_method": ("part", "sheet"),
    "file_part_entry": ("part",), "file_sheet_entry": ("part", "sheet"),
    "file_part_duplicate": ("part",), "file_truncated_in_part": ("part",),
    "file_truncated_after_part": ("part",), "file_directory_damaged": ("part",),
    "file_part_xml": ("part",), "file_sheet_unreadable": ("part", "sheet"),
    "file_bomb": ("part",), "file_sheet_rows": ("sheet",),
}  # fmt: skip
# The messages for damaged files (tests.damaged_zips.one_of_each makes one file for each).
DAMAGED_FILE_KEYS = {
    "file_part_damaged", "file_sheet_damaged", "file_part_checksum", "file_sheet_checksum", "file_part_method",
    "file_sheet_method", "file_part_entry", "file_sheet_entry", "file_part_duplicate", "file_truncated_in_part",
    "file_truncated_after_part", "file_directory_damaged", "file_part_xml", "file_sheet_unreadable", "file_end_record",
}  # fmt: skip
# Messages about the whole file, which has no part to name (the zip itself cannot be opened).
WHOLE_FILE = {"file_bad_zip", "file_not_xlsx", "file_no_workbook", "file_inflated", "file_empty", "file_end_record"}


def refusal(data: bytes) -> reader.UnreadableWorkbook:
    with pytest.raises(reader.UnreadableWorkbook) as info:
        reader.read_workbook(data)
    return info.value


def assert_names(exc: reader.UnreadableWorkbook, part: str, sheet: str | None = None) -> None:
    assert exc.params["part"] == part
    assert f"the part {part}" in str(exc), str(exc)
    if sheet:
        assert exc.params["sheet"] == sheet and f"(sheet '{sheet}')" in str(exc), str(exc)


# One test per guarded failure class.


def test_bad_deflate_data_names_the_part_and_its_sheet():
    exc = refusal(D.bad_deflate(GOOD, SHEET))
    assert exc.key == "file_sheet_damaged"
    assert_names(exc, SHEET, "Activities")
    assert "compressed data cannot be read" in str(exc) and "save it again" in str(exc)


def test_bad_deflate_data_in_a_part_that_is_not_a_sheet():
    exc = refusal(D.bad_deflate(GOOD, "xl/styles.xml"))
    assert exc.key == "file_part_damaged"
    assert_names(exc, "xl/styles.xml")


def test_bad_crc_names_the_part():
    exc = refusal(D.bad_crc(GOOD, SHEET))
    assert exc.key == "file_sheet_checksum"
    assert_names(exc, SHEET, "Activities")
    assert "checksum" in str(exc)


def test_cut_at_a_part_boundary_names_the_last_complete_part():
    lay = D.layout(GOOD)
    i = [e.name for e in lay.entries].index(SHEET)
    exc = refusal(D.cut_before(GOOD, SHEET))
    assert exc.key == "file_truncated_after_part"
    assert exc.params["part"] == lay.entries[i - 1].name
    assert f"breaks off after the part {lay.entries[i - 1].name}" in str(exc)
    # ... and after the last part: the central directory is missing
    exc = refusal(GOOD[: lay.directory])
    assert exc.key == "file_truncated_after_part" and exc.params["part"] == lay.entries[-1].name


def test_cut_inside_a_part_names_it():
    exc = refusal(D.cut_inside(GOOD, SHEET))
    assert exc.key == "file_truncated_in_part"
    assert exc.params["part"] == SHEET and f"inside the part {SHEET}" in str(exc)


def test_cut_inside_the_central_directory():
    lay = D.layout(GOOD)
    exc = refusal(GOOD[: (lay.directory + lay.end) // 2])
    assert exc.key == "file_truncated_after_part" and exc.params["part"] == lay.entries[-1].name


def test_bad_central_directory_record_names_the_part():
    exc = refusal(D.bad_directory_record(GOOD, SHEET))
    assert exc.key == "file_directory_damaged"
    assert exc.params["part"] == SHEET and f"at the entry of the part {SHEET}" in str(exc)


def test_a_damaged_end_record_is_refused():
    lay = D.layout(GOOD)
    exc = refusal(D.patch(GOOD, lay.end + 10, struct.pack("<H", len(lay.entries) + 1)))  # count
    assert exc.key == "file_end_record" and "end record of its zip archive" in str(exc)
    exc = refusal(D.patch(GOOD, lay.end, b"XXXX"))  # its signature
    assert exc.key == "file_end_record"
    exc = refusal(D.patch(GOOD, lay.end + 16, struct.pack("<I", lay.directory - 100)))  # the directory's offset
    assert exc.key == "file_end_record"
    # data before the zip is no damage: zipfile and calamine both read such a file
    assert check(b"\0" * 100 + GOOD, REF).ok


def test_bad_local_header_names_the_part():
    exc = refusal(D.bad_local_header(GOOD, SHEET))
    assert exc.key == "file_sheet_entry"
    assert_names(exc, SHEET, "Activities")
    # the first part's header is the first bytes of the file: still a damaged workbook, not "not a zip"
    first = D.layout(GOOD).entries[0].name
    exc = refusal(D.bad_local_header(GOOD, first))
    assert exc.key in ("file_part_entry", "file_sheet_entry")
    assert_names(exc, first)


@pytest.mark.parametrize("number", [9, 12, 14, 99])
def test_unsupported_compression_method_names_the_part(number):
    exc = refusal(D.method(GOOD, SHEET, number))
    assert exc.key == "file_sheet_method" and exc.params["method"] == number
    assert_names(exc, SHEET, "Activities")
    assert f"compression method {number}" in str(exc)


def test_encrypted_part_is_refused():
    lay = D.layout(GOOD)
    e = lay.entry(SHEET)
    flags = struct.unpack_from("<H", GOOD, e.central + 8)[0] | 1
    exc = refusal(D.patch(GOOD, e.central + 8, struct.pack("<H", flags)))
    assert exc.key == "file_sheet_method"
    assert_names(exc, SHEET, "Activities")


def test_overlapping_entries_are_refused():
    exc = refusal(D.overlapping(GOOD, SHEET))
    assert exc.key == "file_sheet_entry"
    assert_names(exc, SHEET, "Activities")


def test_a_part_twice_is_refused():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name it is asked to write
        exc = refusal(D.duplicated(GOOD, SHEET))
    assert exc.key == "file_part_duplicate" and exc.params["part"] == SHEET


def test_unreadable_xml_names_the_part():
    exc = refusal(D.rewritten(GOOD, "xl/styles.xml", lambda x: x[: len(x) // 2]))
    assert exc.key == "file_part_xml" and exc.params["part"] == "xl/styles.xml"
    exc = refusal(D.rewritten(GOOD, "xl/workbook.xml", lambda x: x.replace(b"<sheets>", b"<sheets>\xff\xfe")))
    assert exc.key == "file_part_xml" and exc.params["part"] == "xl/workbook.xml"


def test_sheet_xml_that_is_not_well_formed_names_the_sheet():
    """calamine reads some broken XML without a word (a stray "<" can drop a row): expat checks first."""
    for broken in (lambda x: x[: len(x) // 2], lambda x: x.replace(b"<row ", b"<<row ", 1),
                   lambda x: x.replace(b"Joint activity 1", b"Joint \xff activity 1")):
        exc = refusal(D.rewritten(GOOD, SHEET, broken))
        assert exc.key == "file_sheet_unreadable"
        assert_names(exc, SHEET, "Activities")


def test_a_sheet_calamine_cannot_parse_names_the_sheet(monkeypatch):
    real = reader.CalamineWorkbook

    class Failing:
        def __init__(self, wb):
            self.wb, self.sheets_metadata = wb, wb.sheets_metadata

        @classmethod
        def from_filelike(cls, f):
            return cls(real.from_filelike(f))

        def get_sheet_by_name(self, name):
            if name == "Activities":
                raise ValueError("unexpected end of sheet")
            return self.wb.get_sheet_by_name(name)

    monkeypatch.setattr(reader, "CalamineWorkbook", Failing)
    exc = refusal(GOOD)
    assert exc.key == "file_sheet_unreadable" and "unexpected end of sheet" in str(exc)
    assert_names(exc, SHEET, "Activities")


def test_every_damaged_file_message_comes_out_of_the_catalogue():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = D.one_of_each(GOOD)
    for key, data in files.items():
        issues = check(data, REF).issues
        assert [i.key for i in issues] == [key]
        assert_renders(issues[0])
    assert set(files) == DAMAGED_FILE_KEYS
    assert DAMAGED_FILE_KEYS <= ISSUE_KEYS


def test_the_existing_limits_still_come_first(monkeypatch):
    monkeypatch.setattr(reader, "MAX_INFLATED_BYTES", 1000)
    assert refusal(GOOD).key == "file_inflated"
    monkeypatch.undo()
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 1000)
    assert refusal(D.bad_deflate(GOOD, SHEET)).key == "file_too_large"


def test_a_rust_panic_in_calamine_is_a_message_too(monkeypatch):
    class Panic(BaseException):  # what pyo3 raises for a panic: not an Exception
        pass

    class Broken:
        @staticmethod
        def from_filelike(_):
            raise Panic("index out of bounds")

    monkeypatch.setattr(reader, "CalamineWorkbook", Broken)
    exc = refusal(GOOD)
    assert exc.key == "file_unreadable" and "index out of bounds" in str(exc)


def test_annotate_never_raises_anything_but_value_error_on_a_damaged_file():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = D.one_of_each(GOOD)
    for data in files.values():
        with pytest.raises(ValueError, match="cannot be opened for annotation"):
            annotate.annotate(data, [])


# The fuzz test.


def _random_bytes(rng: random.Random, n: int) -> bytes:
    return bytes(rng.randrange(256) for _ in range(n))


def _overwrite(rng: random.Random, data: bytes, start: int, end: int, most: int) -> bytes:
    """1..most bytes somewhere in [start, end) changed to other values."""
    out = bytearray(data)
    for _ in range(rng.randint(1, most)):
        at = rng.randrange(start, max(start + 1, end))
        out[at] ^= rng.randrange(1, 256)
    return bytes(out)


def _field(rng: random.Random, data: bytes, offset: int, fmt: str) -> bytes:
    """A header field set to a random other value (often a near one: off by a little)."""
    size = struct.calcsize(fmt)
    old = struct.unpack_from(fmt, data, offset)[0]
    top = 256**size
    new = rng.choice([(old + rng.choice([-3, -2, -1, 1, 2, 3, 64])) % top, rng.randrange(top), 0, top - 1])
    if new == old:
        new = (old + 1) % top
    return D.patch(data, offset, struct.pack(fmt, new))


def _kinds(rng: random.Random, good: bytes):
    """Mutation kind -> a function making one damaged file from `good`."""
    lay = D.layout(good)
    entries = lay.entries
    names = [e.name for e in entries]
    files = D.parts(good)
    xml_parts = [n for n in names if n.endswith((".xml", ".rels", ".vml"))]
    boundaries = sorted(
        {e.local for e in entries} | {e.data for e in entries} | {e.data_end for e in entries}
        | {e.central for e in entries} | {lay.directory, lay.end, len(good) - 1}
    )

    def entry():
        return rng.choice(entries)

    def swap_same_length_names():
        by_len = collections.defaultdict(list)
        for e in entries:
            by_len[len(e.name)].append(e)
        pairs = [v for v in by_len.values() if len(v) > 1]
        a, b = rng.sample(rng.choice(pairs), 2)
        where = rng.choice(["central", "local", "both"])
        out = good
        for x, y in ((a, b), (b, a)):
            if where in ("central", "both"):
                out = D.patch(out, x.central + D.CENTRAL.size, y.name.encode())
            if where in ("local", "both"):
                out = D.patch(out, x.local + D.LOCAL.size, y.name.encode())
        return out

    def reorder_directory():
        records = [good[e.central:e.central_end] for e in entries]
        rng.shuffle(records)
        return good[: lay.directory] + b"".join(records) + good[lay.end:]

    def duplicate():
        extra = rng.choice(files)
        if rng.random() < 0.5:  # a second, different content under the same name
            extra = (extra[0], extra[1] + b" ")
        out = list(files)
        out.insert(rng.randrange(len(out) + 1), extra)
        return D.rezip(out)

    def bad_xml():
        name = rng.choice(xml_parts)
        how = rng.choice(["cut", "invalid utf-8", "stray <", "nul", "utf-16 declared", "doctype"])

        def fn(x: bytes) -> bytes:
            at = rng.randrange(1, max(2, len(x)))
            if how == "cut":
                return x[:at]
            if how == "invalid utf-8":
                return x[:at] + b"\xc3\x28\xff" + x[at:]
            if how == "stray <":
                return x[:at] + b"<" + x[at:]
            if how == "nul":
                return x[:at] + b"\x00" + x[at:]
            if how == "utf-16 declared":
                return b'<?xml version="1.0" encoding="UTF-16"?>' + x.split(b"?>", 1)[-1]
            return b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + x.split(b"?>", 1)[-1]

        return D.rewritten(good, name, fn)

    def in_data(most: int, sheets_only: bool = False) -> bytes:
        pool = [e for e in entries if "worksheets/sheet" in e.name] if sheets_only else entries
        e = rng.choice(pool)
        return _overwrite(rng, good, e.data, e.data_end, most)

    def run_in_data() -> bytes:
        e = entry()
        return D.patch(good, rng.randrange(e.data, e.data_end), _random_bytes(rng, rng.randint(1, 64)))

    def in_both_headers(central_at: int, local_at: int, value: bytes) -> bytes:
        """A field of a random entry, in its directory record, its local header or both."""
        e = entry()
        where = rng.choice(["central", "local", "both"])
        out = good
        if where != "local":
            out = D.patch(out, e.central + central_at, value)
        if where != "central":
            out = D.patch(out, e.local + local_at, value)
        return out

    def stored_then_flipped() -> bytes:
        stored = D.rezip(files, zipfile.ZIP_STORED)
        e = rng.choice(D.layout(stored).entries)
        return _overwrite(rng, stored, e.data, e.data_end, 2)

    def junk() -> bytes:
        extra = _random_bytes(rng, rng.randint(1, 300))
        return good + extra if rng.random() < 0.5 else extra + good

    methods = [0, 1, 6, 9, 12, 14, 19, 93, 95, 98, 99, 0xFFFF]
    return {
        # the compressed data of one part
        "data: bytes flipped": lambda: in_data(8),
        "data: run overwritten": run_in_data,
        "data: one byte of a sheet": lambda: in_data(1, sheets_only=True),
        # local file headers and central directory records
        "local header: bytes": lambda: (e := entry()) and _overwrite(rng, good, e.local, e.data, 3),
        "local header: field": lambda: _field(rng, good, entry().local + rng.choice([6, 8, 14, 18, 22, 26, 28]),
                                              rng.choice(["<H", "<B"])),
        "central record: bytes": lambda: (e := entry()) and _overwrite(rng, good, e.central, e.central_end, 3),
        "central record: sizes and offset": lambda: _field(rng, good, entry().central + rng.choice([20, 24, 42]),
                                                           "<I"),
        "central record: lengths": lambda: _field(rng, good, entry().central + rng.choice([28, 30, 32]), "<H"),
        "end record: bytes": lambda: _overwrite(rng, good, lay.end, len(good), 2),
        "end record: field": lambda: _field(rng, good, lay.end + rng.choice([8, 10, 12, 16, 20]), "<H"),
        # truncation, junk
        "cut at a boundary": lambda: good[: rng.choice(boundaries)],
        "cut anywhere": lambda: good[: rng.randrange(1, len(good))],
        "junk appended or prepended": junk,
        # entries swapped, re-ordered, duplicated
        "names swapped": swap_same_length_names,
        "directory re-ordered": reorder_directory,
        "parts re-ordered": lambda: D.rezip(rng.sample(files, len(files))),
        "part duplicated": duplicate,
        # CRCs, compression methods, flags
        "crc": lambda: in_both_headers(16, 14, _random_bytes(rng, 4)),
        "compression method": lambda: in_both_headers(10, 8, struct.pack("<H", rng.choice(methods))),
        "flags": lambda: in_both_headers(8, 6, struct.pack("<H", rng.choice([1, 8, 0x800, 0x41, 0xFFFF]))),
        "stored instead of deflated": lambda: D.rezip(files, zipfile.ZIP_STORED),
        "stored part, data flipped": stored_then_flipped,
        # a well-formed zip, broken XML inside
        "xml broken": bad_xml,
    }


@functools.cache
def _fuzz_files() -> list[tuple[str, int, bytes]]:
    """(kind, which original, bytes) for every generated file: the same list on every run."""
    rng = random.Random(SEED)
    out = []
    for base, good in enumerate(ORIGINALS):
        kinds = _kinds(rng, good)
        for kind, make in kinds.items():
            for _ in range(FILES_PER_KIND):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out.append((kind, base, make()))
    return out


ORIGINALS = [
    GOOD,
    W.good_bytes(prefill=W.report(8, 5, summary="Rapport trimestriel — été, 气候行动, تقرير")),
]


def _judge(result, original) -> str:
    """"accepted" or "refused", after asserting the fuzz rule; raises AssertionError otherwise."""
    if result.ok:
        assert result.report == original.report, "accepted with values that differ from the original"
        assert [str(i) for i in result.issues] == [str(i) for i in original.issues]
        return "accepted"
    assert result.errors, "refused without an error"
    for issue in result.errors:
        assert issue.message.strip(), str(issue)
        if issue.sheet != "(file)":
            assert issue.sheet.strip(), str(issue)  # a validation message points into the workbook
            continue
        assert issue.key in LOCATED or issue.key in WHOLE_FILE | {"file_unreadable"}, str(issue)
        for param in LOCATED.get(issue.key, ()):
            assert str(issue.params[param]) in issue.message, str(issue)
    return "refused"


def test_fuzzed_workbooks_are_accepted_unchanged_or_refused_with_a_located_message(tmp_path):
    started = time.perf_counter()
    originals = [check(g, REF) for g in ORIGINALS]
    assert all(o.ok for o in originals), [str(i) for o in originals for i in o.errors]
    files = _fuzz_files()
    assert len(files) >= 1000
    outcomes: collections.Counter = collections.Counter()
    keys: collections.Counter = collections.Counter()
    failures = []
    db = tmp_path / "fuzz.duckdb"
    init_db(db, REF)
    import duckdb

    con = duckdb.connect(str(db))
    try:
        for n, (kind, base, data) in enumerate(files):
            try:
                result = check(data, REF)
                outcome = _judge(result, originals[base])
                # the other front door, load_bytes, gives the same verdict (accepted files are written
                # to the database: a few of each kind, to keep the test fast)
                if outcome == "refused" or outcomes["accepted", kind] < 3:
                    loaded = load_bytes(data, f"fuzz{n}.xlsx", db=db, ref=REF, con=con)
                    assert loaded.accepted == (outcome == "accepted"), (loaded.outcome, loaded.message)
                if outcome == "refused":
                    keys[result.errors[0].key] += 1
            except Exception as exc:  # noqa: BLE001 - collected, so one run shows every failure
                failures.append(f"{kind} #{n}: {type(exc).__name__}: {exc}"[:500])
                continue
            outcomes[outcome, kind] += 1
    finally:
        con.close()
    assert not failures, f"{len(failures)} of {len(files)} files failed:\n" + "\n".join(failures[:20])
    accepted = sum(v for (o, _), v in outcomes.items() if o == "accepted")
    refused = sum(v for (o, _), v in outcomes.items() if o == "refused")
    assert accepted + refused == len(files)
    # every kind of damage that destroys data is refused, every harmless change accepted
    for kind in ("data: bytes flipped", "data: one byte of a sheet", "cut at a boundary", "part duplicated"):
        assert outcomes["accepted", kind] == 0, kind
    for kind in ("stored instead of deflated", "parts re-ordered", "directory re-ordered"):
        assert outcomes["refused", kind] == 0, kind
    elapsed = time.perf_counter() - started
    print(f"\nfuzz: {len(files)} files, {accepted} accepted, {refused} refused in {elapsed:.1f} s; "
          f"first messages by key: {dict(keys.most_common())}")
    assert elapsed < 45


def test_the_cli_prints_json_and_exits_1_for_damaged_files(tmp_path):
    """20 fuzzed refused files through `python -m etl load --json` (one process), then as text."""
    rng = random.Random(SEED + 1)
    refused = [(k, d) for k, _, d in _fuzz_files() if not check(d, REF).ok]
    sample = rng.sample(refused, 20)
    paths = []
    for n, (_, data) in enumerate(sample):
        p = tmp_path / f"damaged_{n:02d}.xlsx"
        p.write_bytes(data)
        paths.append(str(p))
    db = str(tmp_path / "cli.duckdb")
    out = subprocess.run([sys.executable, "-m", "etl", "load", *paths, "--json", "--db", db],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    result = json.loads(out.stdout)
    assert not result["accepted"] and len(result["files"]) == 20
    for (_, data), f in zip(sample, result["files"], strict=True):
        assert f["outcome"] == "rejected"
        assert [e["message"] for e in f["errors"]] == [i.message for i in check(data, REF).errors]
    out = subprocess.run([sys.executable, "-m", "etl", "load", *paths, "--db", db],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert out.stdout.count(": REJECTED - ") == 20


def test_annotate_on_fuzzed_files_gives_a_workbook_or_value_error():
    """The Upload page annotates files with issues; whatever the file, annotate says ValueError or works."""
    rng = random.Random(SEED + 2)
    outcomes = collections.Counter()
    for _, _, data in rng.sample(_fuzz_files(), 40):
        try:
            marked = annotate.annotate(data, [{"severity": "error", "sheet": "Activities", "row": 2, "column": "B",
                                               "value": "", "expected": "", "message": "m", "fix": ""}])
        except ValueError:
            outcomes["refused"] += 1
            continue
        assert marked[:2] == b"PK"
        outcomes["annotated"] += 1
    assert outcomes["refused"] and outcomes["annotated"], outcomes
