"""Read a workbook's cells fast (python-calamine), refusing what is not a real .xlsx.

Returns plain rows of Python values; judging them is the validator's job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import io
import logging
import re
import resource
import struct
import threading
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.parsers import expat

import pyarrow as pa
import pyarrow.compute as pc
from python_calamine import CalamineWorkbook

# An .xlsx is a zip: refuse one whose inflated size could exhaust memory before parsing it. The
# limits are isc.settings' (module names here, so a test can lower them with monkeypatch).
from isc import i18n
from isc.settings import MAX_FILE_BYTES, MAX_INFLATED_BYTES, MAX_RATIO, MAX_SHEET_ROWS

_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+\d+)"[^>]*>\s*<f[ >/](?:(?!</c>).)*?</c>', re.S)
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,30}:)?c[\s/>]")  # a cell element, with or without a prefix
_CHUNK = 1 << 20  # inflate a megabyte at a time
_THREAD_ROOM = 256 * 1024 * 1024  # address space left free before a second thread is started
_SHEET_ENTRY = re.compile(rb'<sheet [^>]*name="([^"]*)"[^>]*r:id="([^"]*)"')
_REL = re.compile(rb'<Relationship [^>]*Id="([^"]*)"[^>]*Target="([^"]*)"')
_REL_REV = re.compile(rb'<Relationship [^>]*Target="([^"]*)"[^>]*Id="([^"]*)"')
_LOCAL_HEADER = struct.Struct("<4s5HI2I2H")  # a zip entry's local file header (30 bytes)
_CENTRAL_HEADER = struct.Struct("<4s6H3I5H2I")  # its record in the central directory (46 bytes)
_END_RECORD = struct.Struct("<4s4H2IH")  # the end of central directory record (22 bytes)
# The workbook's own XML parts that calamine reads (besides the sheets).
_WORKBOOK_XML = ("_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/sharedStrings.xml")
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # the only ones Excel writes
# What can be wrong with one part of the zip: (key for a part, key for a sheet's part); the
# messages (validate.<key>.message in data/i18n/) name the part, and its sheet when it is one.
_PART_PROBLEMS = {
    "damaged": ("file_part_damaged", "file_sheet_damaged"),
    "checksum": ("file_part_checksum", "file_sheet_checksum"),
    "method": ("file_part_method", "file_sheet_method"),
    "entry": ("file_part_entry", "file_sheet_entry"),
}


class UnreadableWorkbook(ValueError):
    """The file is not a workbook this tool can read, as the catalogue entry that says why in
    plain words (validate.<key>.message in data/i18n/) and its values; str() is the English text."""

    def __init__(self, key: str, params: dict | None = None):
        self.key, self.params = key, params or {}
        super().__init__(i18n.translate(i18n.DEFAULT, f"validate.{key}.message", **self.params))


@dataclass
class RawWorkbook:
    sheets: dict[str, list[list] | ArrowRows]  # a large table sheet may come as ArrowRows
    hidden: set[str]
    order: list[str]
    merged: dict[str, list[tuple[int, int, int, int]]]
    # sheet -> [(cell, has_cached_value)] for cells holding a formula
    formulas: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)


def sniff(data: bytes) -> None:
    """Raise UnreadableWorkbook for anything that is not a plain, unencrypted .xlsx."""
    if not data:
        raise UnreadableWorkbook("file_empty")
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableWorkbook("file_too_large", {"limit": MAX_FILE_BYTES // (1024 * 1024)})
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnreadableWorkbook("file_xls")
    if not data.startswith(b"PK") and b"PK\x05\x06" not in data[-65557:]:  # a zip, its first part damaged?
        raise UnreadableWorkbook("file_not_xlsx")
    zf = _open_zip(data)
    _check_directory(zf, data)
    infos = zf.infolist()
    names = {i.filename for i in infos}
    inflated = sum(i.file_size for i in infos)
    for info in infos:  # before anything is inflated: bzip2 and lzma parts inflate without a limit
        if info.compress_type not in _METHODS or info.flag_bits & 0x41:  # 0x41: encrypted
            raise _part_problem(zf, info.filename, "method", method=info.compress_type)
    mimetype = zf.NameToInfo.get("mimetype")
    if mimetype is not None and b"opendocument" in _head(zf, mimetype, 256):
        raise UnreadableWorkbook("file_ods")
    if "xl/workbook.xml" not in names:
        raise UnreadableWorkbook("file_no_workbook")
    _check_layout(zf, data)  # before the sizes are trusted: a damaged size is not a bomb
    for info in infos:
        if info.file_size > 10 * 1024 * 1024 and info.file_size > MAX_RATIO * max(1, info.compress_size):
            raise UnreadableWorkbook("file_bomb",
                                     {"part": info.filename, "ratio": info.file_size // max(1, info.compress_size)})
    if inflated > MAX_INFLATED_BYTES:
        raise UnreadableWorkbook("file_inflated",
                                 {"size": inflated // (1024 * 1024), "limit": MAX_INFLATED_BYTES // (1024 * 1024)})
    budget = MAX_INFLATED_BYTES
    for info in infos:  # every part inflated once: its data, CRC and real size are sound
        budget -= _read_part(zf, info, data, budget)


def _open_zip(data: bytes) -> zipfile.ZipFile:
    """The zip archive in `data`; a file cut short or with a damaged table of contents is refused."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - zipfile raises many types for a damaged directory
        problem = _why_not_a_zip(data)
        if problem:
            raise problem from exc
        raise UnreadableWorkbook("file_bad_zip", {"detail": str(exc)}) from exc


def _shown(name: str | bytes) -> str:
    """A part name as the messages show it: printable, and not too long."""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    text = "".join(c if c.isprintable() else "?" for c in name)
    return text if len(text) <= 120 else text[:117] + "..."


def _part_problem(zf: zipfile.ZipFile | None, part: str, kind: str, **params) -> UnreadableWorkbook:
    """The message for one damaged part, naming its sheet when the part is one."""
    part_key, sheet_key = _PART_PROBLEMS[kind]
    shown = _shown(part)
    sheet = _sheets_by_part(zf).get(part) if zf is not None else None
    if sheet is None:
        return UnreadableWorkbook(part_key, {"part": shown, **params})
    return UnreadableWorkbook(sheet_key, {"part": shown, "sheet": sheet, **params})


def _known_sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """_sheet_parts as far as the workbook's own parts can still be read; else {}."""
    try:
        return _sheet_parts(zf, 16 * 1024 * 1024)  # a bomb not yet refused stays unopened
    except Exception:  # noqa: BLE001 - only for naming places: the workbook part may be the damaged one
        return {}


def _sheets_by_part(zf: zipfile.ZipFile) -> dict[str, str]:
    """Part -> sheet name (the first sheet using it)."""
    out: dict[str, str] = {}
    for sheet, part in _known_sheet_parts(zf).items():
        out.setdefault(part, sheet)
    return out


def _problem_of(zf: zipfile.ZipFile, info: zipfile.ZipInfo, exc: BaseException) -> UnreadableWorkbook:
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in str(exc):
        return _part_problem(zf, info.filename, "checksum")
    if isinstance(exc, zipfile.BadZipFile | struct.error):  # local header: bad magic, other name, cut
        return _part_problem(zf, info.filename, "entry")
    if isinstance(exc, NotImplementedError | RuntimeError):  # unsupported method, encrypted
        return _part_problem(zf, info.filename, "method", method=info.compress_type)
    return _part_problem(zf, info.filename, "damaged")  # zlib.error, EOFError (data cut short), ...


def _head(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> bytes:
    try:
        with zf.open(info) as f:
            return f.read(size)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - see _problem_of
        raise _problem_of(zf, info, exc) from exc


def _read_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes | None = None, budget: int | None = None) -> int:
    """Inflate one part and throw the bytes away; returns its size. A full check of the part:
    its compressed data, its CRC, and its real size, which must be the declared one. The data is
    inflated a chunk at a time (zlib with max_length), counting as it goes, and the part is
    refused the moment it inflates past its declared size or past `budget` (what is left of
    MAX_INFLATED_BYTES): a forged, understated size costs a megabyte, never the real size.
    Other readers (calamine's, openpyxl's zipfile) read the same parts afterwards: sizes proven
    here bound what they can inflate."""
    if data is None:
        data = zf.fp.getvalue() if isinstance(zf.fp, io.BytesIO) else b""
    try:
        return _inflate(data, info, info.file_size if budget is None else min(info.file_size, budget))
    except (UnreadableWorkbook, MemoryError):  # out of memory is not a damaged part
        raise
    except Exception as exc:  # noqa: BLE001 - see _problem_of
        raise _problem_of(zf, info, exc) from exc


class _SizeLied(zipfile.BadZipFile):
    """A part inflates to more (or less) than its entry says."""


def _inflate(data: bytes, info: zipfile.ZipInfo, limit: int, sink=None) -> int:
    """Inflate the part `info` of the zip `data`, at most `limit` bytes (else _SizeLied), passing
    each chunk to `sink`; checks the end of the stream, the size and the CRC."""
    start = info.header_offset
    if start < 0 or start + _LOCAL_HEADER.size > len(data) or data[start:start + 4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    name_len, extra_len = struct.unpack_from("<2H", data, start + 26)
    begin = start + _LOCAL_HEADER.size + name_len + extra_len
    raw = memoryview(data)[begin:begin + info.compress_size]
    if len(raw) < info.compress_size:
        raise EOFError("compressed data cut short")
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size or info.file_size > limit:
            raise _SizeLied("stored size")
        if sink is not None:
            for at in range(0, len(raw), _CHUNK):
                sink(raw[at:at + _CHUNK])
        total, crc = len(raw), zlib.crc32(raw)
    else:
        d = zlib.decompressobj(-15)
        total, crc, at, pending = 0, 0, 0, b""
        while not d.eof:
            if not pending:
                if at >= len(raw):  # all the input given: what zlib still holds, a chunk at a time
                    out = d.decompress(b"", _CHUNK)
                    if not out:
                        break
                else:
                    pending, at = raw[at:at + _CHUNK], at + _CHUNK
                    continue
            else:
                out = d.decompress(pending, _CHUNK)
                pending = d.unconsumed_tail
            total += len(out)
            if total > limit:
                raise _SizeLied("inflates past its declared size")
            crc = zlib.crc32(out, crc)
            if sink is not None:
                sink(out)
        if not d.eof:
            raise EOFError("compressed data cut short")
    if total != info.file_size:
        raise _SizeLied("size differs from its entry")
    if crc != info.CRC:
        raise zipfile.BadZipFile("Bad CRC-32")
    return total


def count_cells(data: bytes) -> int:
    """How many cells the workbook's sheets hold (their <c> elements), counted while inflating
    the sheet parts a chunk at a time: cheap, and bounded by the reader's limits. For callers
    that must bound a slower reader (openpyxl) before using it. The file must have passed sniff."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    total, carry = 0, b""

    def count(chunk) -> None:
        nonlocal total, carry
        text = carry + bytes(chunk)
        cut = text.rfind(b"<")
        cut = cut if cut >= 0 and len(text) - cut < 40 else len(text)  # a tag may go on in the next chunk
        total += len(_CELL_TAG.findall(text, 0, cut))
        carry = text[cut:]

    for part in dict.fromkeys(_sheet_parts(zf, 16 * 1024 * 1024).values()):
        info = zf.NameToInfo.get(part)
        if info is not None:
            carry = b""
            _inflate(data, info, info.file_size, count)
            total += len(_CELL_TAG.findall(carry))
    return total


def _check_layout(zf: zipfile.ZipFile, data: bytes) -> None:
    """Each part once, each where the directory says, none overlapping another (a zip bomb trick)."""
    seen: set[str] = set()
    spans = []
    for info in zf.infolist():
        if info.filename in seen:
            raise UnreadableWorkbook("file_part_duplicate", {"part": _shown(info.filename)})
        seen.add(info.filename)
        start = info.header_offset
        if start < 0 or start + _LOCAL_HEADER.size > len(data):
            raise _part_problem(zf, info.filename, "entry")
        sig, _, flags, _, _, _, _, compressed, size, name_len, extra_len = _LOCAL_HEADER.unpack_from(data, start)
        name = data[start + _LOCAL_HEADER.size:start + _LOCAL_HEADER.size + name_len]
        sizes_differ = not flags & 0x08 and 0xFFFFFFFF not in (compressed, size) and (
            compressed, size) != (info.compress_size, info.file_size)  # unless in a descriptor or zip64
        if sig != b"PK\x03\x04" or _entry_name(name, flags) != info.orig_filename or sizes_differ:
            raise _part_problem(zf, info.filename, "entry")
        end = start + _LOCAL_HEADER.size + name_len + extra_len + info.compress_size
        spans.append((start, end, info.filename))
    spans.sort()
    for (_, end, name), (following, _, _) in zip(spans, spans[1:] + [(zf.start_dir, 0, "")], strict=True):
        if end > following:
            raise _part_problem(zf, name, "entry")


def _entry_name(raw: bytes, flags: int) -> str:
    return raw.decode("utf-8" if flags & 0x800 else "cp437", "replace")


def _truncated(data: bytes) -> UnreadableWorkbook | None:
    """A zip cut short: its parts follow one another from the start of the file, then it breaks
    off, inside a part or after one (the directory at the end is gone); or, complete up to the
    directory, its end record damaged. None if it is not that."""
    pos, last, size = 0, None, len(data)
    while data[pos:pos + 4] == b"PK\x03\x04" and pos + _LOCAL_HEADER.size <= size:
        _, _, flags, _, _, _, _, compressed, _, name_len, extra_len = _LOCAL_HEADER.unpack_from(data, pos)
        start = pos + _LOCAL_HEADER.size + name_len + extra_len
        if pos + _LOCAL_HEADER.size + name_len > size:
            break
        name = _shown(_entry_name(data[pos + _LOCAL_HEADER.size:pos + _LOCAL_HEADER.size + name_len], flags))
        if flags & 0x08:  # sizes in a data descriptor after the data: find the next entry instead
            following = [i for i in (data.find(b"PK\x03\x04", start), data.find(b"PK\x01\x02", start)) if i >= 0]
            end = min(following) if following else size + 1
        else:
            end = start + compressed
        if end > size:
            return UnreadableWorkbook("file_truncated_in_part", {"part": name})
        pos, last = end, name
    if last is None:
        return None
    while data[pos:pos + 4] == b"PK\x01\x02" and pos + _CENTRAL_HEADER.size <= size:  # the directory
        fields = _CENTRAL_HEADER.unpack_from(data, pos)
        pos += _CENTRAL_HEADER.size + fields[10] + fields[11] + fields[12]
    if size - pos >= _END_RECORD.size and data[pos:pos + 4] not in (b"PK\x03\x04", b"PK\x01\x02"):
        return _end_record_problem()  # complete, but its end record is damaged: not a cut
    return UnreadableWorkbook("file_truncated_after_part", {"part": last})


def _end_record_at(data: bytes) -> int:
    """Where the end of central directory record is, found as zipfile finds it (-1: nowhere)."""
    if data[-_END_RECORD.size:-_END_RECORD.size + 4] == b"PK\x05\x06":
        return len(data) - _END_RECORD.size
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65536 - _END_RECORD.size))
    return at if at >= 0 and at + _END_RECORD.size <= len(data) else -1


def _walk_directory(data: bytes, pos: int, end: int) -> tuple[int, bool, str | None]:
    """Walk the central directory records from `pos`: (how many are sound, whether they lead exactly
    to `end` (the end record, or a zip64 one), the part to blame where they go wrong, if any)."""
    n, previous = 0, None
    while 0 <= pos < end and data[pos:pos + 4] != b"PK\x06\x06":
        name = previous
        if pos + _CENTRAL_HEADER.size <= end:
            fields = _CENTRAL_HEADER.unpack_from(data, pos)
            flags, name_len, extra_len, comment_len = fields[3], fields[10], fields[11], fields[12]
            raw = data[pos + _CENTRAL_HEADER.size:pos + _CENTRAL_HEADER.size + name_len]
            plausible = 0 < name_len <= 255 and all(32 <= b < 127 for b in raw)
            extra_ok = _extra_ok(data[pos + _CENTRAL_HEADER.size + name_len:
                                      pos + _CENTRAL_HEADER.size + name_len + extra_len])
            following = pos + _CENTRAL_HEADER.size + name_len + extra_len + comment_len
            # 63: the highest "version needed to extract" zipfile accepts (6.3)
            sound = fields[0] == b"PK\x01\x02" and extra_ok and fields[2] <= 63
            if sound and following <= end:
                previous, pos, n = _shown(_entry_name(raw, flags)), following, n + 1
                continue
            if sound or plausible:  # this record is damaged (not the lengths of the one before)
                name = _shown(_entry_name(raw, flags))
        return n, False, name
    return n, pos == end or data[pos:pos + 4] == b"PK\x06\x06", None


def _directory_problem(part: str | None) -> UnreadableWorkbook:
    if part is None:
        return _end_record_problem()
    return UnreadableWorkbook("file_directory_damaged", {"part": part})


def _why_not_a_zip(data: bytes) -> UnreadableWorkbook | None:
    """Why zipfile cannot open `data`, said in terms of the parts, when that can be told."""
    at = _end_record_at(data)
    if at < 0:
        return _truncated(data)
    _, _, _, _, _, size, offset, _ = _END_RECORD.unpack_from(data, at)
    for start in dict.fromkeys((at - size, offset)):  # where the directory is: by its size, by its offset
        n, clean, _ = _walk_directory(data, start, at)
        if clean and n:  # a sound directory: the end record says the wrong things about it
            return _end_record_problem()
    _, _, blamed = _walk_directory(data, at - size, at)
    if blamed:
        return _directory_problem(blamed)
    return _truncated(data)


def _end_record_problem() -> UnreadableWorkbook:
    return UnreadableWorkbook("file_end_record")


def _check_directory(zf: zipfile.ZipFile, data: bytes) -> None:
    """zipfile reads directories that other readers (calamine's) refuse: the records must lead
    exactly to the end record, which must agree with them."""
    at = _end_record_at(data)
    if at < 0:  # zipfile found it all the same
        return
    _, disk, dir_disk, here, total, _, offset, comment_len = _END_RECORD.unpack_from(data, at)
    n, clean, blamed = _walk_directory(data, zf.start_dir, at)
    if not clean:
        raise _directory_problem(blamed)
    if (disk, dir_disk) != (0, 0) or here != total or total not in (n, 0xFFFF) \
            or comment_len > len(data) - at - _END_RECORD.size:
        raise _end_record_problem()
    shift = zf.start_dir - offset  # data before the zip (zipfile allows it), or a wrong offset?
    first = min(zf.infolist(), key=lambda i: i.header_offset, default=None)
    if shift and first is not None and data[first.header_offset:first.header_offset + 4] != b"PK\x03\x04" \
            and data[first.header_offset - shift:first.header_offset - shift + 4] == b"PK\x03\x04":
        raise _end_record_problem()


def _extra_ok(extra: bytes) -> bool:
    """The extra field is a sequence of (id, length, data) records that fits exactly."""
    pos = 0
    while pos + 4 <= len(extra):
        pos += 4 + int.from_bytes(extra[pos + 2:pos + 4], "little")
    return pos <= len(extra)


def _sheet_parts(zf: zipfile.ZipFile, limit: int = -1) -> dict[str, str]:
    """Sheet name -> its XML part inside the zip (reading at most `limit` bytes of each part)."""

    def read(name: str) -> bytes:
        with zf.open(name) as f:
            return f.read(limit)

    wb = read("xl/workbook.xml")
    try:
        rels_xml = read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    rels = {rid: target for rid, target in _REL.findall(rels_xml)}
    rels.update({rid: target for target, rid in _REL_REV.findall(rels_xml)})
    out = {}
    for name, rid in _SHEET_ENTRY.findall(wb):
        target = rels.get(rid, b"").decode("utf-8", "replace")
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[html.unescape(name.decode("utf-8", "replace"))] = part
    return out


def inspect_parts(data: bytes) -> dict[str, list[tuple[str, bool]]]:
    """Refuse oversized sheets before parsing them, and XML that is not well-formed (calamine reads
    some of it without a word, and differently from Excel); list formula cells per sheet."""
    zf, sheets = _check_rows(data)
    problem, formulas = _check_sheet_xml(zf, sheets)
    if problem is not None:
        raise problem
    return formulas


def _check_rows(data: bytes) -> tuple[zipfile.ZipFile, list[tuple[str, str]]]:
    """The checks that must come before any sheet is parsed: the workbook's own XML, and each
    sheet's row count (from its <dimension>, near the start of its part). Returns the open zip and
    the (sheet, part) whose XML is still to be checked. Refuses what inspect_parts would refuse
    first, in its order: a sheet over the row limit only once the sheets before it are checked."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    for name in _WORKBOOK_XML:
        detail = _xml_problem(zf.read(name)) if name in zf.NameToInfo else ""
        if detail:
            raise UnreadableWorkbook("file_part_xml", {"part": name, "detail": detail})
    sheets: list[tuple[str, str]] = []
    for sheet, part in _sheet_parts(zf).items():
        try:
            with zf.open(part) as f:
                head = f.read(4096)
        except KeyError:
            continue
        m = _DIMENSION.search(head)
        if m and int(m[1]) > MAX_SHEET_ROWS:
            problem, _ = _check_sheet_xml(zf, sheets)
            raise problem or UnreadableWorkbook("file_sheet_rows",
                                                {"sheet": sheet, "rows": int(m[1]), "limit": MAX_SHEET_ROWS})
        sheets.append((sheet, part))
    return zf, sheets


def _check_sheet_xml(zf: zipfile.ZipFile, sheets: list[tuple[str, str]], merges: set[str] | None = None
                     ) -> tuple[UnreadableWorkbook | None, dict[str, list[tuple[str, bool]]]]:
    """The first sheet whose XML is not well-formed (its refusal), and the formula cells per sheet.
    Each part is inflated and parsed a megabyte at a time (never held whole in memory), expat
    reading the chunks as one document; only a part that holds formulas is read whole again.
    `merges`, when given, receives the sheets whose XML names merged cells (<mergeCell...)."""
    formulas: dict[str, list[tuple[str, bool]]] = {}
    for sheet, part in sheets:
        parser = _xml_parser()
        has_formula, has_merge, tail = False, False, b""
        try:
            with zf.open(part) as f:
                while chunk := f.read(_CHUNK):
                    parser.Parse(chunk, False)
                    has_formula = has_formula or b"<f" in tail[-1:] + chunk[:1] or b"<f" in chunk
                    has_merge = has_merge or b"<mergeCell" in tail + chunk[:9] or b"<mergeCell" in chunk
                    tail = chunk[-9:]
            parser.Parse(b"", True)
            if has_merge and merges is not None:
                merges.add(sheet)
        except (expat.ExpatError, ValueError) as exc:
            shown = _shown(part)
            problem = UnreadableWorkbook("file_sheet_unreadable", {"part": shown, "sheet": sheet, "detail": str(exc)})
            return problem, formulas
        if has_formula:
            xml = zf.read(part)
            cells = [(c.group(1).decode(), b"<v>" in c.group(0) or b"<v " in c.group(0))
                     for c in _FORMULA_CELL.finditer(xml)]
            if cells:
                formulas[sheet] = cells
    return None, formulas


def read_workbook(data: bytes) -> RawWorkbook:
    """The workbook's cells, once every check has passed. The well-formedness check of the sheets'
    XML (expat, which holds the interpreter) runs in a second thread while calamine parses the same
    sheets (which lets it go): the two passes over the XML overlap instead of adding up. A file
    that fails the check is refused with the check's located message, whatever calamine made of it."""
    sniff(data)
    checked: list = []
    try:
        zf, sheet_parts = _check_rows(data)
    except (UnreadableWorkbook, MemoryError):  # out of memory: the caller's limit, not the file's fault
        raise
    except Exception as exc:  # noqa: BLE001 - sniff has checked every part; still, never a traceback
        raise UnreadableWorkbook("file_unreadable", {"detail": str(exc)}) from exc
    merges: set[str] = set()
    check = threading.Thread(target=_run_into, args=(checked, _check_sheet_xml, zf, sheet_parts, merges),
                             name="xml-check", daemon=True)
    if _room_for_a_thread():
        with contextlib.suppress(RuntimeError):  # no thread to be had after all: check, then parse
            check.start()
    if check.ident is None:
        _run_into(checked, _check_sheet_xml, zf, sheet_parts, merges)
    sheet, failure = None, None
    sheets: dict[str, list[list] | ArrowRows] = {}
    merged: dict[str, list[tuple[int, int, int, int]]] = {}
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        hidden, order = set(), []
        for meta in wb.sheets_metadata:
            order.append(meta.name)
            if str(meta.visible).split(".")[-1].lower() != "visible":
                hidden.add(meta.name)
        columnar = _columnar_candidates(zf, dict(sheet_parts), order)
        for sheet in order:
            fast = _read_columnar(data, sheet) if sheet in columnar else None
            if fast is not None:
                sheets[sheet], merged[sheet] = fast, []
                continue
            parsed = wb.get_sheet_by_name(sheet)  # parses the sheet: do it once per sheet
            sheets[sheet] = parsed.to_python(skip_empty_area=False)
            merged[sheet] = _merged(parsed)
    except BaseException as exc:  # calamine raises several types (a Rust panic is a BaseException)
        failure = exc
    finally:
        if check.ident is not None:
            check.join()
    if isinstance(failure, KeyboardInterrupt | SystemExit | GeneratorExit):
        raise failure
    if not checked:  # the thread died before it could run (out of memory): check here
        _run_into(checked, _check_sheet_xml, zf, sheet_parts, merges)
    outcome = checked[0]
    if isinstance(outcome, BaseException):
        if isinstance(outcome, MemoryError):
            raise outcome
        raise UnreadableWorkbook("file_unreadable", {"detail": str(outcome)}) from outcome
    problem, formulas = outcome
    if problem is not None:
        raise problem from failure
    if failure is not None:
        if isinstance(failure, MemoryError):
            raise failure
        raise _calamine_problem(data, sheet, failure) from failure
    for sheet in [n for n, rows in sheets.items() if isinstance(rows, ArrowRows)]:
        if sheet in formulas or sheet in merges:  # cells and ranges as calamine reads them: parse it
            try:
                parsed = wb.get_sheet_by_name(sheet)
                sheets[sheet], merged[sheet] = parsed.to_python(skip_empty_area=False), _merged(parsed)
            except MemoryError:
                raise
            except BaseException as exc:  # noqa: BLE001 - as above
                if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
                    raise
                raise _calamine_problem(data, sheet, exc) from exc
    return RawWorkbook(sheets, hidden, order, merged, formulas)


# A table sheet whose XML part is larger than this is read into Arrow (fastexcel) instead of Python
# rows, when that gives exactly the cells calamine gives (see _read_columnar); smaller ones, the
# usual report, are read as before.
COLUMNAR_BYTES = 2 * 1024 * 1024
_TABLE_SHEETS = ("activities", "indicators", "results", "risks")
# The sheet's first row is row 1 and its first cell A1 holds a string: the sheet's cells start at
# A1, which is where fastexcel's first row is then (it counts rows from the first filled one).
_FIRST_CELL = re.compile(rb'<sheetData>\s*<row r="1"[^>]*>\s*<c r="A1"((?: [a-z]+="[^"<>]*")*)>(.{0,400}?)</c>', re.S)
_INLINE_TEXT = re.compile(rb'<is><t(?: xml:space="preserve")?>[^<]+</t></is>')
_SHARED_INDEX = re.compile(rb"<v>([0-9]{1,4})</v>")
_SHARED_ITEM = re.compile(rb"<si>(.*?)</si>|<si/>", re.S)
_PLAIN_TEXT = re.compile(rb'<t(?: xml:space="preserve")?>[^<]+</t>')


def _columnar_candidates(zf: zipfile.ZipFile, parts: dict[str, str], order: list[str]) -> set[str]:
    """The table sheets worth reading into Arrow: large, and whose cells provably start at A1."""
    out = set()
    for sheet in order:
        info = zf.NameToInfo.get(parts.get(sheet, ""))
        if info is None or info.file_size <= COLUMNAR_BYTES or sheet.strip().casefold() not in _TABLE_SHEETS:
            continue
        with zf.open(info) as f:
            head = f.read(16384)
        m = _FIRST_CELL.search(head)
        if m is None:
            continue
        attrs, body = m.group(1), m.group(2)
        inline = b' t="inlineStr"' in attrs and _INLINE_TEXT.fullmatch(body) is not None
        shared = b' t="s"' in attrs and (k := _SHARED_INDEX.fullmatch(body)) is not None
        if inline or (shared and _shared_string_filled(zf, int(k[1]))):
            out.add(sheet)
    return out


def _shared_string_filled(zf: zipfile.ZipFile, index: int) -> bool:
    """Whether shared string `index` is a plain, non-empty text (read from the part's start)."""
    info = zf.NameToInfo.get("xl/sharedStrings.xml")
    if info is None:
        return False
    with zf.open(info) as f:
        head = f.read(256 * 1024)
    for n, m in enumerate(_SHARED_ITEM.finditer(head)):
        if n == index:
            return m.group(1) is not None and _PLAIN_TEXT.fullmatch(m.group(1)) is not None
    return False


# fastexcel logs a warning for every column it finds empty ("falling back to string"): an empty
# optional column is ordinary here, and its dtype does not matter (_read_columnar checks the types).
logging.getLogger("fastexcel.types.dtype").setLevel(logging.ERROR)
_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
_EXCEL_LEAP_BUG_END = dt.datetime(1900, 3, 1)  # before it, readers disagree about Excel's serial dates


def _read_columnar(data: bytes, sheet: str) -> ArrowRows | None:
    """The sheet as an Arrow record batch (fastexcel: calamine's parser, the GIL released), when its
    cells are exactly what calamine's to_python gives, as ArrowRows says; None otherwise (the
    caller parses it with calamine). Required: a header row of distinct, non-empty texts; each
    column of one kind of value (text, number, or dates without a time of day, from 1900-03-01)
    besides empty cells."""
    import fastexcel  # noqa: PLC0415 - only large sheets need it

    from etl import spec  # noqa: PLC0415 - the template's column headers

    _arrow_within_limits()
    try:
        batch = fastexcel.read_excel(data).load_sheet(sheet, header_row=0, schema_sample_rows=None,
                                                     dtype_coercion="strict", eager=True)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - whatever fastexcel could not do, calamine does as before
        return None
    # Each header one of the template's, once: a text cell holding exactly that (fastexcel names
    # a column after its header cell's value, whatever its kind, an empty one __UNNAMED__<n>, and
    # renames a repeated one). A1 being filled, the first column is column A.
    names = batch.schema.names
    headers = {c.header for s in spec.TABLE_SHEETS for c in s.columns}
    if len(set(names)) != len(names) or not set(names) <= headers:
        return None
    for arr in batch.columns:
        t = arr.type
        if pa.types.is_timestamp(t):
            if t.tz is not None or arr.null_count == len(arr):
                return None
            ticks = arr.cast(pa.int64())
            first = pa.scalar(_EXCEL_LEAP_BUG_END, pa.timestamp(t.unit)).cast(pa.int64())
            if pc.min(ticks).as_py() < first.as_py() or pc.any(pc.not_equal(pc.modulo(ticks, _DAY[t.unit]), 0)).as_py():
                return None
        elif not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_float64(t)
                  or pa.types.is_int64(t) or pa.types.is_null(t)):
            return None
    return ArrowRows(batch)


def _arrow_within_limits() -> None:
    """Under an address-space limit (etl.sandbox), Arrow allocates with malloc: its default
    allocator (mimalloc) reserves about a gigabyte of address space at its first allocation,
    which a check limited to 1.5 GB cannot spare."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY and pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())


class ArrowRows(Sequence):
    """A table sheet read into Arrow that reads as the rows calamine's to_python gives: row 0 the
    header texts, then one list per row, an empty cell "" (as calamine gives it), a date cell a
    datetime.date. Rows are made only when asked for (a slice of a few rows on its own); the
    validator reads the columns directly (column())."""

    def __init__(self, batch: pa.RecordBatch):
        self.batch = batch
        self.header = list(batch.schema.names)
        self._rows: list[list] | None = None

    def __len__(self) -> int:
        return self.batch.num_rows + 1

    def __getitem__(self, i):
        if self._rows is None and isinstance(i, int) and -len(self) <= i < len(self):
            i %= len(self)
            return self[i:i + 1][0]
        if self._rows is None and isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step == 1 and stop - start <= 64:
                part = self.batch.slice(max(start, 1) - 1, max(0, stop - max(start, 1)))
                rows = [list(r) for r in zip(*map(_cells, part.columns), strict=True)] if part.num_rows else []
                return ([list(self.header)] if start == 0 and stop > 0 else []) + rows
        return self.rows()[i]

    def __iter__(self):
        return iter(self.rows())

    def __eq__(self, other) -> bool:
        if isinstance(other, ArrowRows):
            other = other.rows()
        return isinstance(other, list) and self.rows() == other

    __hash__ = None

    def rows(self) -> list[list]:
        if self._rows is None:
            body = zip(*map(_cells, self.batch.columns), strict=True) if self.batch.num_columns else ()
            self._rows = [list(self.header), *map(list, body)]
        return self._rows

    def column(self, j: int) -> pa.Array:
        """Data column j (0-based) as Arrow: strings, doubles, int64, whole-day timestamps or nulls."""
        return self.batch.column(j)


def _cells(arr: pa.Array) -> list:
    """One Arrow column as the Python values calamine gives for its cells."""
    if pa.types.is_timestamp(arr.type):
        arr = arr.cast(pa.date32())
    values = arr.to_pylist()
    if arr.null_count:
        values = ["" if v is None else v for v in values]
    return values


def _room_for_a_thread() -> bool:
    """Whether a second thread fits in the address space: it reserves its stack and a malloc arena
    (~100 MB), and under a tight limit (etl.sandbox's RLIMIT_AS) a thread that cannot get them dies
    before it starts, leaving Thread.start() waiting for ever. Without that room (or without
    /proc to tell), the checks run one after the other."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return True
    try:
        with open("/proc/self/statm") as f:
            used = int(f.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return False
    return soft - used > _THREAD_ROOM


def _run_into(out: list, fn, *args) -> None:
    """Run fn(*args) in a thread: its result, or the exception it raised, goes into `out`."""
    try:
        out.append(fn(*args))
    except BaseException as exc:  # noqa: BLE001 - handed to the thread that waits for it
        out.append(exc)


def _calamine_problem(data: bytes, sheet: str | None, exc: BaseException) -> UnreadableWorkbook:
    """calamine's error, said where it happened when that was in a sheet."""
    zf = zipfile.ZipFile(io.BytesIO(data))  # sniff has opened it already
    parts = _known_sheet_parts(zf)
    if sheet is not None and parts.get(sheet):
        part = _shown(parts[sheet])
        return UnreadableWorkbook("file_sheet_unreadable", {"part": part, "sheet": sheet, "detail": str(exc)})
    return UnreadableWorkbook("file_unreadable", {"detail": str(exc)})


def _xml_problem(xml: bytes) -> str:
    """Why `xml` is not a well-formed XML document ("" if it is), as expat says it."""
    try:
        _xml_parser().Parse(xml, True)
    except (expat.ExpatError, ValueError) as exc:
        return str(exc)
    return ""


def _no_dtd(*_) -> None:
    raise ValueError("a document type declaration, which a workbook never has")


def _xml_parser():
    """An expat parser that refuses a document type declaration (entities: a billion laughs)."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _no_dtd
    return parser


def _merged(sheet) -> list[tuple[int, int, int, int]]:
    ranges = getattr(sheet, "merged_cell_ranges", None)
    if not ranges:
        return []
    return [(a[0], a[1], b[0], b[1]) for a, b in ranges]
