"""Write the theme-report workbook focal points fill in (openpyxl: styles and dropdowns).

The same writer makes blank templates, pre-filled templates (last period's activities and
indicators) and the demo workbooks, so every file the system produces is one a person could
have uploaded.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from etl import spec
from etl.reference import Reference

ITU_BLUE = "1D5C9B"
HEADER_FILL = PatternFill("solid", fgColor=ITU_BLUE)
HEADER_FONT = Font(bold=True, color="FFFFFF")
LABEL_FONT = Font(bold=True)
INPUT_FILL = PatternFill("solid", fgColor="F2F7FC")
BLANK_ROWS = 60  # rows with dropdowns ready to fill below the data


def _lists(ref: Reference) -> dict[str, list[str]]:
    return {
        "list_theme": [f"{code} - {name}" for code, name in ref.reportable_themes.items()],
        "list_sector": list(ref.sector_codes),
        "list_status": list(spec.STATUSES),
        "list_activity_status": list(spec.ACTIVITY_STATUSES),
        "list_role": list(spec.SECTOR_ROLES),
        "list_severity": list(spec.SEVERITIES),
        "list_risk_kind": list(spec.RISK_KINDS),
        "list_unit": list(spec.UNITS),
    }


def _list_name(kind: str, choices: tuple[str, ...]) -> str | None:
    if kind == "sector":
        return "list_sector"
    if kind == "theme":
        return "list_theme"
    by_choices = {
        spec.STATUSES: "list_status",
        spec.ACTIVITY_STATUSES: "list_activity_status",
        spec.SECTOR_ROLES: "list_role",
        spec.SEVERITIES: "list_severity",
        spec.RISK_KINDS: "list_risk_kind",
        spec.UNITS: "list_unit",
    }
    return by_choices.get(choices)


def _dropdown(ws, list_name: str, cells: str, prompt: str = "") -> None:
    dv = DataValidation(type="list", formula1=f"={list_name}", allow_blank=True)
    dv.error = "Pick a value from the list."
    dv.errorTitle = "Not in the list"
    dv.showErrorMessage = True
    if prompt:
        dv.prompt = prompt[:250]
        dv.showInputMessage = True
    ws.add_data_validation(dv)
    dv.add(cells)


def _write_value(cell, value) -> None:
    cell.value = value
    if isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"


def build_template(
    ref: Reference,
    theme: str,
    period: str,
    sector: str,
    prefill: spec.ReportData | None = None,
) -> Workbook:
    """A workbook for one report; `prefill` fills header and tables (e.g. last quarter's)."""
    wb = Workbook()
    wb.remove(wb.active)
    lists = _lists(ref)

    _instructions(wb.create_sheet(spec.INSTRUCTIONS_SHEET), theme, period, sector, ref)

    ws = wb.create_sheet(spec.REPORT_SHEET)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 90
    values = {
        "template_version": spec.TEMPLATE_VERSION,
        "theme": f"{theme} - {ref.theme_names.get(theme, theme)}",
        "period": period,
        "sector": sector,
        "self_status": "",
        "summary": "",
        "prepared_by": "",
    }
    if prefill:
        for key in ("self_status", "summary", "prepared_by"):
            values[key] = prefill.header.get(key) or ""
    for row, field in enumerate(spec.HEADER_FIELDS, start=1):
        ws.cell(row, 1, field.label).font = LABEL_FONT
        cell = ws.cell(row, 2, values[field.key] or None)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if field.key != "template_version":
            cell.fill = INPUT_FILL
        if field.help:
            ws.cell(row, 1).comment = Comment(field.help, "ISC dashboard")
        name = _list_name(field.kind, field.choices)
        if name:
            _dropdown(ws, name, f"B{row}", field.help)
    ws.row_dimensions[6].height = 90

    for sheet in spec.TABLE_SHEETS:
        rows = getattr(prefill, sheet.key) if prefill else []
        _table(wb.create_sheet(sheet.name), sheet, rows)

    lw = wb.create_sheet(spec.LISTS_SHEET)
    for col, (name, items) in enumerate(lists.items(), start=1):
        letter = get_column_letter(col)
        lw.cell(1, col, name).font = LABEL_FONT
        for i, item in enumerate(items, start=2):
            lw.cell(i, col, item)
        ref_range = f"{quote_sheetname(spec.LISTS_SHEET)}!${letter}$2:${letter}${len(items) + 1}"
        wb.defined_names[name] = DefinedName(name, attr_text=ref_range)
    lw.sheet_state = "hidden"
    wb.active = 1
    return wb


def _table(ws, sheet: spec.TableSheet, rows: list[dict]) -> None:
    for col, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(1, col, column.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = column.width
        if column.help:
            cell.comment = Comment(column.help, "ISC dashboard")
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32
    for r, record in enumerate(rows, start=2):
        for col, column in enumerate(sheet.columns, start=1):
            _write_value(ws.cell(r, col), record.get(column.key))
    last = len(rows) + 1 + BLANK_ROWS
    for col, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(col)
        name = _list_name(column.kind, column.choices)
        if name:
            _dropdown(ws, name, f"{letter}2:{letter}{last}", column.help)
        elif column.kind == "percent":
            dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="100")
            dv.error, dv.showErrorMessage = "A number from 0 to 100.", True
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{last}")
        elif column.kind == "date":
            for r in range(2, last + 1):
                ws.cell(r, col).number_format = "yyyy-mm-dd"


def _instructions(ws, theme: str, period: str, sector: str, ref: Reference) -> None:
    ws.column_dimensions["A"].width = 110
    lines = [
        ("ISC theme report - Resolution 191 (Rev. Bucharest, 2022)", Font(bold=True, size=14)),
        (f"Theme: {theme} - {ref.theme_names.get(theme, theme)}   Period: {period}   "
         f"Reporting sector: {sector}   Template version {spec.TEMPLATE_VERSION}", LABEL_FONT),
        ("", None),
        ("1. Fill in the 'Report' sheet: self-assessed status and a short narrative summary.", None),
        ("2. One row per activity in 'Activities'. Keep the Activity ID from one quarter to the "
         "next so progress can be followed.", None),
        ("3. 'Indicators': baseline, target and the actual value at the end of the quarter.", None),
        ("4. 'Results': concrete results of this quarter. 'Risks': risks and requests for decision.", None),
        ("5. Use the dropdown lists; dates as real dates (yyyy-mm-dd); percentages from 0 to 100.", None),
        ("6. Do not rename, reorder or hide sheets, and do not move the header rows.", None),
        ("7. Upload the file on the dashboard's Upload page. Every problem is listed at once, and "
         "you can download your file with the faulty cells highlighted.", None),
    ]
    for i, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(i, 1, text)
        cell.alignment = Alignment(wrap_text=True)
        if font:
            cell.font = font
    row = len(lines) + 2
    ws.cell(row, 1, "Columns").font = LABEL_FONT
    for sheet in spec.TABLE_SHEETS:
        row += 1
        req = ", ".join(c.header for c in sheet.columns if c.required)
        ws.cell(row, 1, f"{sheet.name}: {sheet.help} Required: {req}.").alignment = Alignment(
            wrap_text=True
        )


def template_bytes(ref: Reference, theme: str, period: str, sector: str,
                   prefill: spec.ReportData | None = None) -> bytes:
    buf = io.BytesIO()
    build_template(ref, theme, period, sector, prefill).save(buf)
    return buf.getvalue()


def write_template(path: Path | str, ref: Reference, theme: str, period: str, sector: str,
                   prefill: spec.ReportData | None = None) -> Path:
    path = Path(path)
    path.write_bytes(template_bytes(ref, theme, period, sector, prefill))
    return path
