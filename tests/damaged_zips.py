"""Damaged .xlsx files, made by editing the bytes of a good one where the zip format puts things.

An .xlsx is a zip archive: each part (xl/workbook.xml, xl/worksheets/sheet3.xml, ...) is a local
file header, then its compressed data; after the last part comes the central directory (the
archive's table of contents, one record per part) and the end of central directory record.
`Layout` finds all of these in a file, so that a test can damage exactly one of them, the way a
faulty disk, a cut-off download or a careless tool does. `one_of_each` gives one damaged file
per message key of etl.reader for damaged files.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass

LOCAL = struct.Struct("<4s5HI2I2H")  # 30 bytes; then the name and the extra field
CENTRAL = struct.Struct("<4s6H3I5H2I")  # 46 bytes; then the name, the extra field and the comment
END = struct.Struct("<4s4H2IH")  # 22 bytes; then the archive comment


@dataclass
class Entry:
    name: str
    local: int  # offset of the local file header
    data: int  # offset of the compressed data
    data_end: int
    central: int  # offset of the record in the central directory
    central_end: int


@dataclass
class Layout:
    entries: list[Entry]
    directory: int  # offset of the central directory
    end: int  # offset of the end of central directory record

    def entry(self, name: str) -> Entry:
        return next(e for e in self.entries if e.name == name)


def layout(data: bytes) -> Layout:
    end = data.rfind(b"PK\x05\x06")
    _, _, _, _, count, size, directory, _ = END.unpack_from(data, end)
    entries, pos = [], directory
    for _ in range(count):
        f = CENTRAL.unpack_from(data, pos)
        name_len, extra_len, comment_len, local = f[10], f[11], f[12], f[16]
        name = data[pos + CENTRAL.size:pos + CENTRAL.size + name_len].decode()
        central_end = pos + CENTRAL.size + name_len + extra_len + comment_len
        lf = LOCAL.unpack_from(data, local)
        start = local + LOCAL.size + lf[9] + lf[10]
        entries.append(Entry(name, local, start, start + f[8], pos, central_end))
        pos = central_end
    return Layout(entries, directory, end)


def patch(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new):]


def rezip(files: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of (name, content) in this order (a name may come twice)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, content in files:
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), content, method)
    return buf.getvalue()


def parts(data: bytes) -> list[tuple[str, bytes]]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    return [(i.filename, zf.read(i)) for i in zf.infolist()]


# One kind of damage each; `part` is the part's name in the archive.


def bad_deflate(data: bytes, part: str) -> bytes:
    """Bytes inside the part's deflate stream overwritten (a bad disk sector)."""
    e = layout(data).entry(part)
    return patch(data, e.data, b"\xff" * min(24, e.data_end - e.data))


def bad_crc(data: bytes, part: str) -> bytes:
    """The part's CRC-32, in its local header and its directory record, no longer matches its data."""
    e = layout(data).entry(part)
    crc = struct.unpack_from("<I", data, e.central + 16)[0] ^ 0x5A5A5A5A
    data = patch(data, e.central + 16, struct.pack("<I", crc))
    return patch(data, e.local + 14, struct.pack("<I", crc))


def method(data: bytes, part: str, number: int = 14) -> bytes:
    """The part claims a compression method Excel never writes (14 is LZMA, 12 bzip2, 9 deflate64)."""
    e = layout(data).entry(part)
    data = patch(data, e.central + 10, struct.pack("<H", number))
    return patch(data, e.local + 8, struct.pack("<H", number))


def bad_local_header(data: bytes, part: str) -> bytes:
    """The signature of the part's local file header destroyed."""
    return patch(data, layout(data).entry(part).local, b"XX")


def bad_directory_record(data: bytes, part: str) -> bytes:
    """The signature of the part's record in the central directory destroyed."""
    return patch(data, layout(data).entry(part).central, b"XXXX")


def cut_before(data: bytes, part: str) -> bytes:
    """The file cut at the start of the part: it ends at a part boundary."""
    return data[:layout(data).entry(part).local]


def cut_inside(data: bytes, part: str) -> bytes:
    e = layout(data).entry(part)
    return data[:(e.data + e.data_end) // 2]


def duplicated(data: bytes, part: str) -> bytes:
    files = parts(data)
    return rezip(files + [f for f in files if f[0] == part])


def overlapping(data: bytes, part: str) -> bytes:
    """The part's directory record says its data starts inside the part before it: two entries share
    bytes (the trick of overlapping zip bombs). The shared local header names the other part, so the
    name is patched there too... which makes the earlier part's entry the inconsistent one."""
    lay = layout(data)
    i = [e.name for e in lay.entries].index(part)
    before = lay.entries[i - 1]
    offset = struct.pack("<I", before.local)
    return patch(data, lay.entries[i].central + 42, offset)


def rewritten(data: bytes, part: str, fn) -> bytes:
    """A valid zip whose part's content is replaced by fn(content)."""
    return rezip([(n, fn(c) if n == part else c) for n, c in parts(data)])


def sheet_part(data: bytes, sheet: str) -> str:
    """The part holding a sheet, from xl/workbook.xml and its relationships."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    wb, rels = zf.read("xl/workbook.xml").decode(), zf.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(sheet)}"[^>]*r:id="([^"]*)"', wb)[1]
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]*)"', rels) or re.search(
        rf'<Relationship [^>]*Target="([^"]*)"[^>]*Id="{rid}"', rels
    )
    t = target[1]
    return t.lstrip("/") if t.startswith("/") else "xl/" + t


def one_of_each(good: bytes, sheet: str = "Activities") -> dict[str, bytes]:
    """Message key of etl.reader -> a file damaged so as to get exactly that message (zipfile warns
    about the duplicate name it is asked to write: silence UserWarning around the call)."""
    sp = sheet_part(good, sheet)
    other = "docProps/app.xml"
    lay = layout(good)
    last = lay.entries[-1].name
    return {
        "file_part_damaged": bad_deflate(good, other),
        "file_sheet_damaged": bad_deflate(good, sp),
        "file_part_checksum": bad_crc(good, other),
        "file_sheet_checksum": bad_crc(good, sp),
        "file_part_method": method(good, other),
        "file_sheet_method": method(good, sp),
        "file_part_entry": bad_local_header(good, other),
        "file_sheet_entry": bad_local_header(good, sp),
        "file_part_duplicate": duplicated(good, sp),
        "file_truncated_in_part": cut_inside(good, sp),
        "file_truncated_after_part": cut_before(good, last),
        "file_directory_damaged": bad_directory_record(good, sp),
        "file_end_record": patch(good, lay.end + 10, struct.pack("<H", len(lay.entries) + 1)),  # one part too many
        "file_part_xml": rewritten(good, "xl/styles.xml", lambda x: x[: len(x) // 2]),
        "file_sheet_unreadable": rewritten(good, sp, lambda x: x[: len(x) // 2]),
    }
