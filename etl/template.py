"""Write the theme-report workbook focal points fill in (openpyxl: styles, dropdowns, protection).

The same writer makes blank templates, pre-filled templates (last period's activities and
indicators) and the demo workbooks, so every file the system produces is one a person could
have uploaded.

What the template knows about itself: a very hidden, protected sheet (spec.KEY_SHEET) records the
template version, theme, period and Sector it was made for. What it does for people: labels,
headers and the fixed Report cells are protected (no password; rows can still be inserted,
deleted, sorted and filtered), every input column says what it expects when a cell is selected
and checks it (dropdowns, dates, numbers, text length), every sheet prints landscape on A4 one
page wide with its header row repeated, and the texts and dropdown values are in the interface
language (`lang`). Sheet names and column headers stay the canonical English ones: the validator
finds them by that text. Texts come from data/i18n/<lang>.json ("template.*"); in English the
column and field help declared in etl/spec.py is used as is.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

from etl import spec
from etl.reference import Reference
from isc import i18n

ITU_BLUE = "1D5C9B"
HEADER_FILL = PatternFill("solid", fgColor=ITU_BLUE)
HEADER_FONT = Font(bold=True, color="FFFFFF")
LABEL_FONT = Font(bold=True)
HELP_FONT = Font(italic=True, color="555555")
INPUT_FILL = PatternFill("solid", fgColor="F2F7FC")
FIXED_FILL = PatternFill("solid", fgColor="E7E6E6")
BLANK_ROWS = 60  # rows with dropdowns ready to fill below the data
UNLOCKED = Protection(locked=False)
LOCKED = Protection(locked=True)
DATE_FORMAT = "yyyy-mm-dd"
DATE_RANGE = (dt.date(2000, 1, 1), dt.date(2040, 12, 31))
NUMBER_LIMIT = 10**12  # the number columns' validation: any value a report could hold
FIXED_FIELDS = ("template_version", "theme", "period", "sector")  # locked on the Report sheet
AUTHOR = "ISC dashboard"
WRAP_TOP = Alignment(wrap_text=True, vertical="top")

# Named lists on the hidden Lists sheet for the fixed choice lists (theme and sector lists come
# from the reference data).
CHOICE_LISTS: dict[str, tuple[str, ...]] = {
    "list_status": spec.STATUSES,
    "list_activity_status": spec.ACTIVITY_STATUSES,
    "list_role": spec.SECTOR_ROLES,
    "list_severity": spec.SEVERITIES,
    "list_risk_kind": spec.RISK_KINDS,
    "list_unit": spec.UNITS,
    "list_combine": spec.COMBINE_CHOICES,
}


def choice_labels(lang: str) -> dict[str, str]:
    """Canonical value -> the label the template in `lang` offers (the value itself in English):
    the first label of each value in spec.CHOICE_ALIASES[lang]."""
    out: dict[str, str] = {}
    for label, canonical in spec.CHOICE_ALIASES.get(lang, {}).items():
        out.setdefault(canonical, label)
    return out


def _t(lang: str, key: str, english: str = "", **values) -> str:
    """The catalogue text "template.<key>" in `lang`. In English, `english` (the spec's own text)
    wins when given; in other languages it is the fallback when the catalogue lacks the key."""
    if lang == i18n.DEFAULT and english:
        text = english
    else:
        text = (i18n.catalogue(lang).get(f"template.{key}") or english
                or i18n.catalogue(i18n.DEFAULT).get(f"template.{key}", ""))
    return text.format(**values) if values else text


def _kind_hint(lang: str, kind: str, max_length: int = 0) -> str:
    if kind in ("enum", "sector", "theme"):
        return _t(lang, "kind.list")
    if kind in ("date", "number", "percent"):
        return _t(lang, f"kind.{kind}")
    return _t(lang, "kind.text", n=max_length)


def _column_texts(lang: str, sheet: spec.TableSheet, column: spec.Column) -> tuple[str, str]:
    """(label, what to enter) of a table column in `lang`; the label is the header in English."""
    label = _t(lang, f"col.{sheet.key}.{column.key}.label", column.header)
    if column.help:
        helptext = _t(lang, f"col.{sheet.key}.{column.key}.help", column.help)
    else:
        helptext = _kind_hint(lang, column.kind, column.max_length)
    if column.required:
        helptext += " " + _t(lang, "required")
    return label, helptext


def _field_texts(lang: str, field: spec.HeaderField) -> tuple[str, str]:
    label = _t(lang, f"field.{field.key}.label", field.label)
    if field.key == "theme":
        return label, _t(lang, "locked_field")
    if field.key in FIXED_FIELDS:
        return label, _t(lang, "locked")
    helptext = _t(lang, f"field.{field.key}.help", field.help) or _kind_hint(lang, field.kind, field.max_length)
    return label, helptext


def _theme_name(ref: Reference, code: str, lang: str) -> str:
    """The theme's name in `lang` from the reference data (a name_<lang> column), else English."""
    if lang != i18n.DEFAULT:
        for row in ref["themes"]:
            if row["code"] == code and row.get(f"name_{lang}"):
                return row[f"name_{lang}"]
    return ref.theme_names.get(code, code)


def _lists(ref: Reference, lang: str) -> dict[str, list[str]]:
    labels = choice_labels(lang)
    return {
        "list_theme": [f"{code} - {_theme_name(ref, code, lang)}" for code in ref.reportable_themes],
        "list_sector": list(ref.sector_codes),
        **{name: [labels.get(c, c) for c in choices] for name, choices in CHOICE_LISTS.items()},
    }


def _list_name(kind: str, choices: tuple[str, ...]) -> str | None:
    if kind == "sector":
        return "list_sector"
    if kind == "theme":
        return "list_theme"
    return next((name for name, c in CHOICE_LISTS.items() if c == choices), None)


def _validation(ws, cells: str, kind: str, lang: str, title: str, prompt: str,
                list_name: str | None = None, max_length: int = 0) -> DataValidation | None:
    """Check the cells and show `prompt` (the input message) when one is selected."""
    if list_name:
        dv = DataValidation(type="list", formula1=f"={list_name}", allow_blank=True)
        dv.error = _t(lang, "error.list")
    elif kind == "date":
        lo, hi = (str(int(to_excel(d))) for d in DATE_RANGE)
        dv = DataValidation(type="date", operator="between", formula1=lo, formula2=hi, allow_blank=True)
        dv.error = _t(lang, "error.date")
    elif kind == "percent":
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True)
        dv.error = _t(lang, "error.percent")
    elif kind == "number":
        dv = DataValidation(type="decimal", operator="between", formula1=str(-NUMBER_LIMIT),
                            formula2=str(NUMBER_LIMIT), allow_blank=True)
        dv.error = _t(lang, "error.number")
    elif kind == "text" and max_length:
        dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(max_length),
                            allow_blank=True)
        dv.error = _t(lang, "error.text", n=max_length)
    else:
        return None
    dv.errorTitle = _t(lang, "error.title")[:32]
    dv.showErrorMessage = True
    dv.promptTitle = title[:32]
    dv.prompt = prompt[:255]
    dv.showInputMessage = True
    ws.add_data_validation(dv)
    dv.add(cells)
    return dv


def _write_value(cell, value) -> None:
    cell.value = value
    if isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT


def _protect(ws, *, rows: bool = False) -> None:
    """Protect the sheet without a password; `rows`: rows may be inserted, deleted, sorted and
    filtered. Columns and rows can always be resized (False = allowed)."""
    p = ws.protection
    p.sheet = True
    p.formatColumns = p.formatRows = False
    if rows:
        p.insertRows = p.deleteRows = p.sort = p.autoFilter = False


def _print_setup(ws, *, title_rows: str | None = None, gridlines: bool = False) -> None:
    """Landscape A4, one page wide (as many pages tall as needed), header rows repeated."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6, header=0.3, footer=0.3)
    if title_rows:
        ws.print_title_rows = title_rows
    ws.print_options.gridLines = gridlines
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "&P / &N"


def _text_height(text: str, width: float, points: float = 15.0) -> float:
    """Row height (points) for `text` wrapped in a column `width` characters wide."""
    per_line = max(10, int(width * 1.1))
    lines = sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))
    return points * lines + 2


def build_template(
    ref: Reference,
    theme: str,
    period: str,
    sector: str,
    prefill: spec.ReportData | None = None,
    lang: str = "en",
    made_at: dt.datetime | None = None,
) -> Workbook:
    """A workbook for one report; `prefill` fills header and tables (e.g. last quarter's); `lang`
    the language of its texts and dropdown values."""
    lang = i18n.supported(lang)
    wb = Workbook()
    wb.remove(wb.active)
    lists = _lists(ref, lang)
    labels = choice_labels(lang)

    _instructions(wb.create_sheet(spec.INSTRUCTIONS_SHEET), theme, period, sector, ref, lang)
    _report(wb.create_sheet(spec.REPORT_SHEET), theme, period, sector, ref, lang, prefill, labels)
    for sheet in spec.TABLE_SHEETS:
        rows = getattr(prefill, sheet.key) if prefill else []
        _table(wb.create_sheet(sheet.name), sheet, rows, lang, labels)

    lw = wb.create_sheet(spec.LISTS_SHEET)
    for col, (name, items) in enumerate(lists.items(), start=1):
        letter = get_column_letter(col)
        lw.cell(1, col, name).font = LABEL_FONT
        for i, item in enumerate(items, start=2):
            lw.cell(i, col, item)
        ref_range = f"{quote_sheetname(spec.LISTS_SHEET)}!${letter}$2:${letter}${len(items) + 1}"
        wb.defined_names[name] = DefinedName(name, attr_text=ref_range)
    lw.sheet_state = "hidden"
    _protect(lw)

    _key(wb.create_sheet(spec.KEY_SHEET), theme, period, sector, made_at)
    wb.active = 1
    return wb


def _key(ws, theme: str, period: str, sector: str, made_at: dt.datetime | None) -> None:
    """What the file was made for: A1:B5 = the pairs of spec.KEY_FIELDS."""
    made_at = made_at or dt.datetime.now(dt.UTC)
    values = {
        "template_version": spec.TEMPLATE_VERSION,
        "theme": theme,
        "period": period,
        "sector": sector,
        "made_at": made_at.isoformat(timespec="seconds"),
    }
    for row, name in enumerate(spec.KEY_FIELDS, start=1):
        ws.cell(row, 1, name)
        ws.cell(row, 2, values[name])
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 28
    ws.sheet_state = "veryHidden"
    _protect(ws)


def _report(ws, theme: str, period: str, sector: str, ref: Reference, lang: str,
            prefill: spec.ReportData | None, labels: dict[str, str]) -> None:
    widths = {"A": 24, "B": 80, "C": 48}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    values = {
        "template_version": spec.TEMPLATE_VERSION,
        "theme": f"{theme} - {_theme_name(ref, theme, lang)}",
        "period": period,
        "sector": sector,
        "self_status": "",
        "summary": "",
        "prepared_by": "",
    }
    if prefill:
        for key in ("self_status", "summary", "prepared_by"):
            values[key] = prefill.header.get(key) or ""
    values["self_status"] = labels.get(values["self_status"], values["self_status"])
    for row, field in enumerate(spec.HEADER_FIELDS, start=1):
        label, helptext = _field_texts(lang, field)
        ws.cell(row, 1, field.label).font = LABEL_FONT
        ws.cell(row, 1).alignment = WRAP_TOP
        cell = ws.cell(row, 2, values[field.key] or None)
        cell.alignment = WRAP_TOP
        fixed = field.key in FIXED_FIELDS
        cell.fill = FIXED_FILL if fixed else INPUT_FILL
        cell.protection = LOCKED if fixed else UNLOCKED
        shown = helptext if lang == i18n.DEFAULT else f"{label} : {helptext}"
        note = ws.cell(row, 3, shown)
        note.font, note.alignment = HELP_FONT, WRAP_TOP
        ws.row_dimensions[row].height = max(_text_height(shown, widths["C"]), 17)
        if not fixed:
            _validation(ws, f"B{row}", field.kind, lang, label, helptext,
                        _list_name(field.kind, field.choices), field.max_length)
        elif field.kind in ("theme", "sector"):
            # locked, but the list still documents the choices if protection is removed
            _validation(ws, f"B{row}", field.kind, lang, label, helptext, _list_name(field.kind, field.choices))
    ws.row_dimensions[6].height = 90
    _protect(ws)
    _print_setup(ws)
    ws.print_area = f"A1:C{len(spec.HEADER_FIELDS)}"


def _table(ws, sheet: spec.TableSheet, rows: list[dict], lang: str, labels: dict[str, str]) -> None:
    ncols = len(sheet.columns)
    last_letter = get_column_letter(ncols)
    for col, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(col)
        label, helptext = _column_texts(lang, sheet, column)
        cell = ws.cell(1, col, column.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.protection = LOCKED
        cell.comment = Comment(helptext if lang == i18n.DEFAULT else f"{label}\n{helptext}", AUTHOR)
        # the data cells of the column, present and future: unlocked, dates shown as dates
        dim = ws.column_dimensions[letter]
        dim.width = column.width
        dim.protection = UNLOCKED
        if column.kind == "date":
            dim.number_format = DATE_FORMAT
    # every column right of the table unlocked too, so whole rows can be deleted in Excel
    rest = ws.column_dimensions[get_column_letter(ncols + 1)]
    rest.min, rest.max, rest.width = ncols + 1, 16384, 10
    rest.protection = UNLOCKED
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32
    enums = {c.key for c in sheet.columns if c.kind == "enum"}
    for r, record in enumerate(rows, start=2):
        for col, column in enumerate(sheet.columns, start=1):
            value = record.get(column.key)
            if column.key in enums and isinstance(value, str):
                value = labels.get(value, value)
            cell = ws.cell(r, col)
            _write_value(cell, value)
            cell.protection = UNLOCKED
    last = len(rows) + 1 + BLANK_ROWS
    for col, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(col)
        label, helptext = _column_texts(lang, sheet, column)
        _validation(ws, f"{letter}2:{letter}{last}", column.kind, lang, label, helptext,
                    _list_name(column.kind, column.choices), column.max_length)
    ws.auto_filter.ref = f"A1:{last_letter}{last}"
    _protect(ws, rows=True)
    _print_setup(ws, title_rows="1:1", gridlines=True)


def _instructions(ws, theme: str, period: str, sector: str, ref: Reference, lang: str) -> None:
    """The lines span columns A:B (merged, wrapped); the column list puts headers in A and what to
    enter in B. Row heights are set from the text length: spreadsheet programs do not grow a
    wrapped row by themselves when opening a file."""
    widths = {"A": 30, "B": 105}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    full = sum(widths.values())
    row = 0

    def line(text: str, font: Font | None = None, height: float | None = None) -> None:
        nonlocal row
        row += 1
        cell = ws.cell(row, 1, text or None)
        cell.alignment = WRAP_TOP
        if font:
            cell.font = font
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        ws.row_dimensions[row].height = height or _text_height(text, full, 1.3 * (font.sz if font and font.sz else 11))

    line(_t(lang, "title"), Font(bold=True, size=14))
    line(_t(lang, "subtitle", theme=f"{theme} - {_theme_name(ref, theme, lang)}", period=period,
            sector=sector, version=spec.TEMPLATE_VERSION), LABEL_FONT)
    line("", height=8)
    step = 1
    while f"template.step{step}" in i18n.catalogue(i18n.DEFAULT):
        line(_t(lang, f"step{step}"))
        step += 1
    line("", height=8)
    line(_t(lang, "columns"), Font(bold=True, size=12))
    row += 1
    for col, key in ((1, "column_header"), (2, "column_meaning")):
        cell = ws.cell(row, col, _t(lang, key))
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP_TOP
    ws.row_dimensions[row].height = 17
    for sheet in spec.TABLE_SHEETS:
        line("", height=6)
        label = _t(lang, f"sheet.{sheet.key}.label", sheet.name)
        shown = sheet.name if label == sheet.name else f"{sheet.name} ({label})"
        line(_t(lang, "sheet_line", sheet=shown, help=_t(lang, f"sheet.{sheet.key}.help", sheet.help)), LABEL_FONT)
        for column in sheet.columns:
            label, helptext = _column_texts(lang, sheet, column)
            row += 1
            ws.cell(row, 1, column.header).alignment = WRAP_TOP
            meaning = helptext if lang == i18n.DEFAULT else f"{label} : {helptext}"
            ws.cell(row, 2, meaning).alignment = WRAP_TOP
            ws.row_dimensions[row].height = max(_text_height(column.header, widths["A"]),
                                                _text_height(meaning, widths["B"]))
    _protect(ws)
    _print_setup(ws)


def template_bytes(ref: Reference, theme: str, period: str, sector: str,
                   prefill: spec.ReportData | None = None, lang: str = "en") -> bytes:
    buf = io.BytesIO()
    build_template(ref, theme, period, sector, prefill, lang=lang).save(buf)
    return buf.getvalue()


def write_template(path: Path | str, ref: Reference, theme: str, period: str, sector: str,
                   prefill: spec.ReportData | None = None, lang: str = "en") -> Path:
    path = Path(path)
    path.write_bytes(template_bytes(ref, theme, period, sector, prefill, lang=lang))
    return path
