"""Read a workbook's cells fast (python-calamine), refusing what is not a real .xlsx.

Returns plain rows of Python values; judging them is the validator's job.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field

from python_calamine import CalamineWorkbook

# An .xlsx is a zip: refuse one whose inflated size could exhaust memory before parsing it.
MAX_INFLATED_BYTES = 200 * 1024 * 1024
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_RATIO = 250  # legitimate sheet XML compresses 5-50x; a bomb far more
MAX_SHEET_ROWS = 200_000
_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+\d+)"[^>]*>\s*<f[ >/](?:(?!</c>).)*?</c>', re.S)
_SHEET_ENTRY = re.compile(rb'<sheet [^>]*name="([^"]*)"[^>]*r:id="([^"]*)"')
_REL = re.compile(rb'<Relationship [^>]*Id="([^"]*)"[^>]*Target="([^"]*)"')
_REL_REV = re.compile(rb'<Relationship [^>]*Target="([^"]*)"[^>]*Id="([^"]*)"')


class UnreadableWorkbook(ValueError):
    """The file is not a workbook this tool can read; the message says why, in plain words.

    `key` and `params` name the message in the catalogues (validate.<key>.message in data/i18n/)."""

    def __init__(self, message: str, key: str = "", params: dict | None = None):
        super().__init__(message)
        self.key, self.params = key, params or {}


@dataclass
class RawWorkbook:
    sheets: dict[str, list[list]]
    hidden: set[str]
    order: list[str]
    merged: dict[str, list[tuple[int, int, int, int]]]
    # sheet -> [(cell, has_cached_value)] for cells holding a formula
    formulas: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)


def sniff(data: bytes) -> None:
    """Raise UnreadableWorkbook for anything that is not a plain, unencrypted .xlsx."""
    if not data:
        raise UnreadableWorkbook("the file is empty (0 bytes)", "file_empty")
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableWorkbook(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB", "file_too_large",
                                 {"limit": MAX_FILE_BYTES // (1024 * 1024)})
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnreadableWorkbook(
            "this is an old-format Excel file (.xls) or a password-protected workbook; "
            "save it as an Excel Workbook (.xlsx) without a password",
            "file_xls",
        )
    if not data.startswith(b"PK"):
        raise UnreadableWorkbook(
            "this is not an Excel workbook (.xlsx); download the template and fill it in",
            "file_not_xlsx",
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = set(zf.namelist())
        inflated = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise UnreadableWorkbook(f"the file is damaged (not a valid zip archive: {exc})", "file_bad_zip",
                                 {"detail": str(exc)}) from exc
    if "mimetype" in names and b"opendocument" in zf.read("mimetype"):
        raise UnreadableWorkbook(
            "this is an OpenDocument spreadsheet (.ods); in LibreOffice use "
            "File > Save As > Excel 2007-365 (.xlsx)",
            "file_ods",
        )
    if "xl/workbook.xml" not in names:
        raise UnreadableWorkbook("this zip file is not an Excel workbook (no xl/workbook.xml)", "file_no_workbook")
    for info in zf.infolist():
        if info.file_size > 10 * 1024 * 1024 and info.file_size > MAX_RATIO * max(1, info.compress_size):
            raise UnreadableWorkbook(
                f"the workbook looks like a decompression bomb ({info.filename} inflates "
                f"{info.file_size // max(1, info.compress_size)}x); it was not opened",
                "file_bomb",
                {"part": info.filename, "ratio": info.file_size // max(1, info.compress_size)},
            )
    if inflated > MAX_INFLATED_BYTES:
        raise UnreadableWorkbook(
            f"the workbook inflates to {inflated // (1024 * 1024)} MB, over the "
            f"{MAX_INFLATED_BYTES // (1024 * 1024)} MB limit",
            "file_inflated",
            {"size": inflated // (1024 * 1024), "limit": MAX_INFLATED_BYTES // (1024 * 1024)},
        )


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML part inside the zip."""
    wb = zf.read("xl/workbook.xml")
    try:
        rels_xml = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    rels = {rid: target for rid, target in _REL.findall(rels_xml)}
    rels.update({rid: target for target, rid in _REL_REV.findall(rels_xml)})
    out = {}
    for name, rid in _SHEET_ENTRY.findall(wb):
        target = rels.get(rid, b"").decode()
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[html.unescape(name.decode())] = part
    return out


def inspect_parts(data: bytes) -> dict[str, list[tuple[str, bool]]]:
    """Refuse oversized sheets before parsing them; list formula cells per sheet."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    formulas: dict[str, list[tuple[str, bool]]] = {}
    for sheet, part in _sheet_parts(zf).items():
        try:
            with zf.open(part) as f:
                head = f.read(4096)
        except KeyError:
            continue
        m = _DIMENSION.search(head)
        if m and int(m[1]) > MAX_SHEET_ROWS:
            raise UnreadableWorkbook(
                f"sheet {sheet!r} has {int(m[1]):,} rows, over the limit of {MAX_SHEET_ROWS:,}; "
                "a theme report is far smaller",
                "file_sheet_rows",
                {"sheet": sheet, "rows": int(m[1]), "limit": MAX_SHEET_ROWS},
            )
        xml = zf.read(part)
        if b"<f" in xml:
            cells = [(c.group(1).decode(), b"<v>" in c.group(0) or b"<v " in c.group(0))
                     for c in _FORMULA_CELL.finditer(xml)]
            if cells:
                formulas[sheet] = cells
    return formulas


def read_workbook(data: bytes) -> RawWorkbook:
    sniff(data)
    formulas = inspect_parts(data)
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets, hidden, order = {}, set(), []
        for meta in wb.sheets_metadata:
            order.append(meta.name)
            if str(meta.visible).split(".")[-1].lower() != "visible":
                hidden.add(meta.name)
        merged = {}
        for name in order:
            sheet = wb.get_sheet_by_name(name)  # parses the sheet: do it once per sheet
            sheets[name] = sheet.to_python(skip_empty_area=False)
            merged[name] = _merged(sheet)
    except Exception as exc:  # calamine raises several types; all mean the same to a user
        raise UnreadableWorkbook(f"the workbook could not be read ({exc})", "file_unreadable",
                                 {"detail": str(exc)}) from exc
    return RawWorkbook(sheets, hidden, order, merged, formulas)


def _merged(sheet) -> list[tuple[int, int, int, int]]:
    ranges = getattr(sheet, "merged_cell_ranges", None)
    if not ranges:
        return []
    return [(a[0], a[1], b[0], b[1]) for a, b in ranges]
