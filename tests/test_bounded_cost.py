"""Hostile files cost bounded memory and time (issue 18): each is handled in a subprocess limited
to 1 GB of address space and a time limit, and must end in a clear refusal, never a MemoryError,
a crash or a time-out.

- a pack zip whose manifest.json inflates to 1 GB ("Rebuild from manifest" on the Export page);
- the same with a forged, understated size;
- a workbook whose sheet's declared size is understated (the real stream is 1 GB): refused while
  the part is inflated, a megabyte past its declared size;
- a workbook under the size and ratio limits whose extra sheet holds 400,000 cells: checked, then
  refused a marked-up copy (the cell count is taken before openpyxl is used), with a reason.

The hostile files are streamed to disk (never held in memory here) once per test session.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import textwrap
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from tests import workbooks as W
from tests.conftest import ROOT

LIMIT = 1024 * 1024 * 1024  # the address space of the subprocess
SECONDS = 45
MB = 1024 * 1024


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def _run(code: str) -> dict:
    """Run `code` (which prints one JSON line) in a subprocess under the limits."""
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                         timeout=SECONDS, preexec_fn=_limited)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["seconds"] = time.monotonic() - started
    return result


def _spaces(f, total: int) -> None:
    chunk = b" " * MB
    for _ in range(total // MB):
        f.write(chunk)


def _forge(path: Path, part: str, size: int, crc: int) -> None:
    """Write `size` and `crc` into the local header and the directory record of `part`."""
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(part)
    data[info.header_offset + 14:info.header_offset + 18] = crc.to_bytes(4, "little")
    data[info.header_offset + 22:info.header_offset + 26] = size.to_bytes(4, "little")
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_len = int.from_bytes(data[central + 28:central + 30], "little")
        if data[central + 46:central + 46 + name_len] == part.encode():
            data[central + 16:central + 20] = crc.to_bytes(4, "little")
            data[central + 24:central + 28] = size.to_bytes(4, "little")
            break
        central = data.find(b"PK\x01\x02", central + 46)
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    out = {}
    # a pack zip whose manifest inflates to 1 GB (2 MB on disk)
    bomb = folder / "manifest_bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, zf.open("manifest.json", "w") as f:
        _spaces(f, LIMIT)
    out["manifest_bomb"] = bomb
    forged = folder / "manifest_forged.zip"
    forged.write_bytes(bomb.read_bytes())
    _forge(forged, "manifest.json", 100, zlib.crc32(b" " * 100))
    out["manifest_forged"] = forged
    # a workbook whose Activities sheet goes on for 1 GB past its declared size, CRC of what is declared
    good = zipfile.ZipFile(io.BytesIO(W.good_bytes()))
    sheet = next(n for n in good.namelist() if n.startswith("xl/worksheets/sheet") and b"A-01" in good.read(n)
                 or n == "xl/worksheets/sheet3.xml")
    xml = good.read(sheet)
    wb = folder / "forged_sizes.xlsx"
    with zipfile.ZipFile(wb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for info in good.infolist():
            if info.filename != sheet:
                zf.writestr(info.filename, good.read(info.filename))
                continue
            with zf.open(sheet, "w") as f:
                f.write(xml)
                _spaces(f, LIMIT)
    _forge(wb, sheet, len(xml), zlib.crc32(xml))
    out["forged_sizes"] = wb
    # a workbook within every declared limit whose extra sheet holds 400,000 filled cells (about 10 MB)
    book = W.workbook()
    book.create_sheet("Notes")
    raw = io.BytesIO()
    book.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    notes = max(n for n in src.namelist() if n.startswith("xl/worksheets/sheet"))
    cells = folder / "many_cells.xlsx"
    with zipfile.ZipFile(cells, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            if info.filename != notes:
                zf.writestr(info.filename, src.read(info.filename))
                continue
            with zf.open(notes, "w") as f:
                f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
                        b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                for r in range(1, 40_001):
                    f.write(f'<row r="{r}">'.encode() + b"".join(
                        f'<c r="{c}{r}"><v>{r}</v></c>'.encode() for c in "ABCDEFGHIJ") + b"</row>")
                f.write(b"</sheetData></worksheet>")
    out["many_cells"] = cells
    return out


def test_manifest_bomb_is_refused_cheaply(files):
    for name in ("manifest_bomb", "manifest_forged"):
        result = _run(f"""
            import json
            from isc import pack
            try:
                pack.upload_manifest(open({str(files[name])!r}, "rb").read())
                print(json.dumps({{"refused": None}}))
            except ValueError as exc:
                print(json.dumps({{"refused": str(exc)}}))
        """)
        assert result["refused"], (name, result)
        assert result["seconds"] < 20, result
        print(f"\n{name}: refused in {result['seconds']:.1f} s: {result['refused']}")


def test_forged_sizes_are_refused_while_inflating(files):
    result = _run(f"""
        import json
        from etl import load
        from etl.reference import Reference
        v = load.check(open({str(files["forged_sizes"])!r}, "rb").read(), Reference.load())
        print(json.dumps({{"keys": [i.key for i in v.issues], "message": v.issues[0].message if v.issues else ""}}))
    """)
    assert result["keys"] == ["file_sheet_entry"], result
    assert result["seconds"] < 20, result


def test_a_sheet_with_too_many_cells_gets_no_marked_copy(files):
    """Checked in the sandbox (its child limited too), refused a marked copy with its reason."""
    result = _run(f"""
        import json
        from etl import sandbox
        from etl.reference import Reference
        def main():
            done = sandbox.check(open({str(files["many_cells"])!r}, "rb").read(), Reference.load(), seconds=35)
            print(json.dumps({{"keys": sorted({{i.key for i in done.validation.issues}}), "not_marked": done.not_marked,
                              "cells": done.cells, "marked": done.annotated is not None}}))
        if __name__ == "__main__":
            main()
    """)
    assert not result["marked"], result
    assert result["not_marked"] == "cells" and result["cells"] >= 400_000, result
    assert "file_memory" not in result["keys"] and "file_time" not in result["keys"], result
    print(f"\nmany cells: {result}")


def test_the_sandbox_refuses_what_runs_out_of_memory_or_time(files):
    from etl import annotate, sandbox
    from etl.reference import Reference

    data = files["many_cells"].read_bytes()
    assert annotate.MAX_CELLS < 400_000 <= __import__("etl.reader").reader.count_cells(data)
    out = sandbox.check(data, Reference.load(), memory=200 * MB)
    assert [i.key for i in out.validation.issues] == ["file_memory"], out.validation.issues[:3]
    out = sandbox.check(data, Reference.load(), seconds=0.2)
    assert [i.key for i in out.validation.issues] == ["file_time"]
