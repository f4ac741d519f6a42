"""The uploaded workbook, returned with its problems marked where the focal point works: in Excel.

Each cell named by an issue gets a fill (red for an error, amber for a warning; an error wins
when a cell has both) and a comment saying what is wrong and how to fix it. A new first sheet
"Problems" lists every issue, with a link to its cell; issues that have no cell (a missing
sheet or column, a file-level problem) are only there. Nothing else in the file changes.

Works on the uploaded bytes with openpyxl. Call it only for files the reader could open
(etl.reader refuses bombs and oversized sheets before openpyxl ever sees them). It checks the
file with etl.reader.sniff again all the same, and whatever goes wrong ends as a ValueError: a
file that cannot be annotated is simply offered without its marked copy, never a traceback.

openpyxl costs about 15 kB and 20 us per cell, so a workbook with more than MAX_CELLS cells
(counted cheaply by etl.reader.count_cells before openpyxl is used) is not marked up:
TooManyCells (a ValueError) says so, and the caller offers the list of problems alone.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass

from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import quote_sheetname

from etl.reader import count_cells, sniff
from etl.validate import Issue
from isc.settings import MAX_ANNOTATED_CELLS

ERROR_COLOR = "FFC7CE"  # light red
WARNING_COLOR = "FFE699"  # amber
ERROR_FILL = PatternFill("solid", fgColor=ERROR_COLOR)
WARNING_FILL = PatternFill("solid", fgColor=WARNING_COLOR)
PROBLEMS_SHEET = "Problems"
AUTHOR = "ISC dashboard"
_HEADERS = ("Severity", "Sheet", "Cell", "Value found", "Expected", "Problem", "How to fix")
# An issue about a group of cells (the stray cells of one column) marks each of them, up to this
# many; the Problems sheet lists the issue once, linked to its first cell.
MAX_CELLS_PER_ISSUE = 1000
# Above this many cells in its sheets a workbook gets no marked copy (openpyxl would need gigabytes).
MAX_CELLS = MAX_ANNOTATED_CELLS


class TooManyCells(ValueError):
    """The workbook is too large to be marked up; `cells` is how many it has."""

    def __init__(self, cells: int):
        super().__init__(f"the workbook has {cells:,} cells, over the {MAX_CELLS:,} a marked copy is made for")
        self.cells = cells


@dataclass
class _Listed:
    """An issue as Issue.to_dict() wrote it (texts already rendered), e.g. from the CLI's JSON."""

    severity: str
    sheet: str
    row: int | None
    column: str | None
    value: str
    expected: str
    message: str
    fix: str
    cells: tuple[str, ...] = ()

    cell = Issue.cell


def _as_issue(i: Issue | dict) -> Issue | _Listed:
    if isinstance(i, Issue):
        return i
    fields = ("severity", "sheet", "row", "column", "value", "expected", "message", "fix")
    return _Listed(**{k: i.get(k) for k in fields})


def _find_sheet(wb, name: str):
    """The sheet an issue names; the validator accepts case and spacing differences, so do we."""
    if name in wb.sheetnames:
        return wb[name]
    for n in wb.sheetnames:
        if n.strip().casefold() == str(name).strip().casefold():
            return wb[n]
    return None


def _comment_text(issues: list[Issue]) -> str:
    parts = []
    for i in issues:
        text = f"{i.severity.upper()}: {i.message}"
        if i.expected:
            text += f"\nExpected: {i.expected}"
        if i.fix:
            text += f"\nFix: {i.fix}"
        parts.append(text)
    return "\n\n".join(parts)


def _cells_of(i: Issue) -> list[str]:
    """The cells an issue marks: its own, and those of the group it stands for (Issue.cells)."""
    if not i.cell:
        return []
    return list(dict.fromkeys((i.cell, *(getattr(i, "cells", ()) or ())[:MAX_CELLS_PER_ISSUE])))


def marked_cells(issues: list[Issue | dict]) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> "error" | "warning": the cells annotate() highlights, as the validator named them."""
    out: dict[tuple[str, str], str] = {}
    for i in map(_as_issue, issues):
        for coord in _cells_of(i):
            key = (i.sheet, coord)
            out[key] = "error" if i.severity == "error" or out.get(key) == "error" else "warning"
    return out


def annotate(data: bytes, issues: list[Issue | dict]) -> bytes:
    """The workbook `data` with every issue marked; raises ValueError (and nothing else) if it
    cannot be annotated: a damaged or hostile file, or anything openpyxl trips over."""
    try:
        sniff(data)  # no bomb, no damaged part reaches openpyxl
        cells = count_cells(data)
    except Exception as exc:  # noqa: BLE001 - any failure means "cannot annotate"
        raise ValueError(f"the workbook cannot be opened for annotation: {exc}") from exc
    if cells > MAX_CELLS:
        raise TooManyCells(cells)
    try:
        return _annotated(data, [_as_issue(i) for i in issues])
    except Exception as exc:  # noqa: BLE001 - any failure means "cannot annotate"
        raise ValueError(f"the workbook cannot be opened for annotation: {exc}") from exc


def _annotated(data: bytes, issues: list[Issue]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    by_cell: dict[tuple[str, str], list[Issue]] = defaultdict(list)
    placed: set[int] = set()
    for n, i in enumerate(issues):
        ws = _find_sheet(wb, i.sheet) if i.cell else None
        if ws is None:
            continue
        for coord in _cells_of(i):
            by_cell[(ws.title, coord)].append(i)
        placed.add(n)

    for (title, coord), found in by_cell.items():
        ws = wb[title]
        cell = ws[coord]
        if isinstance(cell, MergedCell):  # mark the visible top-left cell of the merged range
            for rng in ws.merged_cells.ranges:
                if coord in rng:
                    cell = ws.cell(rng.min_row, rng.min_col)
                    break
        errors_first = sorted(found, key=lambda i: i.severity != "error")
        cell.fill = ERROR_FILL if errors_first[0].severity == "error" else WARNING_FILL
        text = _comment_text(errors_first)
        if cell.comment is not None and cell.comment.text:
            text += "\n\n(" + cell.comment.text.strip() + ")"
        comment = Comment(text[:30000], AUTHOR)
        comment.width, comment.height = 320, min(60 + 15 * text.count("\n") + len(text) // 3, 600)
        cell.comment = comment

    _problems_sheet(wb, issues, placed)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _problems_sheet(wb, issues: list[Issue], placed: set[int]) -> None:
    name = PROBLEMS_SHEET
    k = 2
    while name in wb.sheetnames:
        name = f"{PROBLEMS_SHEET} ({k})"
        k += 1
    ws = wb.create_sheet(name, 0)
    errors = sum(1 for i in issues if i.severity == "error")
    ws.append(
        [
            f"{errors} error(s) and {len(issues) - errors} warning(s). Errors (red) must be fixed "
            "before the file can be loaded; warnings (amber) say how a value was read. "
            "Fix the marked cells, then upload the file again."
        ]
    )
    ws["A1"].font = Font(bold=True)
    ws.append(list(_HEADERS))
    for c in ws[2]:
        c.font = Font(bold=True)
    ordered = sorted(range(len(issues)), key=lambda n: issues[n].severity != "error")
    wrap = Alignment(wrap_text=True, vertical="top")
    link_font = Font(color="0563C1", underline="single")
    for r, n in enumerate(ordered, start=3):
        i = issues[n]
        ws.append(
            [
                i.severity,
                i.sheet,
                i.cell or (f"row {i.row}" if i.row else ""),
                i.value,
                i.expected,
                i.message,
                i.fix,
            ]
        )
        ws.cell(r, 1).fill = ERROR_FILL if i.severity == "error" else WARNING_FILL
        if n in placed:
            target = _find_sheet(wb, i.sheet)
            link = ws.cell(r, 3)
            link.hyperlink = f"#{quote_sheetname(target.title)}!{i.cell}"
            link.font = link_font
        ws.cell(r, 6).alignment = ws.cell(r, 7).alignment = wrap
    for letter, width in zip("ABCDEFG", (10, 14, 9, 24, 30, 60, 50), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A3"
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
