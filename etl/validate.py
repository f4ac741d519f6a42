"""Judge a workbook's cells against the declared template, collecting every problem.

Pure functions: rows of Python values in, a ReportData and a list of Issues out. Nothing here
reads files or touches the database, so every rule is unit-tested on plain lists.

Rules, in one place (also in docs/validation.md):
- error: the file cannot be loaded until it is fixed (missing sheet or column, unknown theme,
  wrong type, value out of range, duplicate IDs, outdated template).
- warning: the value was understood and normalised (e.g. "itu-t " -> "ITU-T", "45%" -> 45,
  "15/07/2025" -> 2025-07-15); the file loads, and the warning says what was changed.
"""

from __future__ import annotations

import bisect
import datetime as dt
import operator
import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from itertools import compress, repeat
from operator import itemgetter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl import spec
from etl.reader import ArrowRows, RawWorkbook, _cells
from etl.reference import Reference
from isc import i18n
from isc.periods import Period
from isc.report import Records

MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2040, 12, 31)
HEADER_SEARCH_ROWS = 20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
# Every Issue.key: the catalogue names validate.<key>.message (.expected, .fix, .value) in
# data/i18n/*.json; the file_* ones come from etl.reader.UnreadableWorkbook.
ISSUE_KEYS = frozenset((
    "text_control", "text_too_long", "number_boolean", "number_invalid", "number_from_text",
    "percent_fraction", "percent_range", "date_serial", "date_invalid", "date_range", "date_from_text",
    "date_from_dmy", "date_from_dmy_dots", "date_from_quarter", "choice_normalised", "choice_unknown",
    "sheet_missing", "sheet_missing_others", "sheet_renamed", "sheet_hidden", "merged_cells",
    "header_label_missing", "header_empty", "template_version", "theme_unknown", "theme_inactive",
    "theme_inactive_successor", "period_invalid", "period_future", "period_early", "period_normalised",
    "header_sector_unknown", "header_sector_normalised", "header_row_missing", "header_row_moved",
    "column_extra", "column_missing", "too_many_rows", "cell_required", "sector_unknown", "sector_normalised",
    "duplicate_id", "end_before_start", "completed_below_100", "target_before_baseline", "formula_cached",
    "formula_not_computed", "file_empty", "file_too_large", "file_xls", "file_not_xlsx", "file_bad_zip",
    "file_ods", "file_no_workbook", "file_bomb", "file_inflated", "file_sheet_rows", "file_unreadable",
    "file_part_damaged", "file_sheet_damaged", "file_part_checksum", "file_sheet_checksum", "file_part_method",
    "file_sheet_method", "file_part_entry", "file_sheet_entry", "file_part_duplicate", "file_truncated_in_part",
    "file_truncated_after_part", "file_directory_damaged", "file_part_xml", "file_sheet_unreadable", "file_end_record",
    # nothing a focal point sends is lost, misread or misfiled (issue 12, issue 11 item 5)
    "cell_unread_column", "cells_unread_column", "cell_above_header", "cells_above_header",
    "cell_unread_report", "cells_unread_report", "cell_unread_template", "cells_unread_template",
    "sheet_unread", "column_duplicate", "number_ambiguous", "indicator_out_of_bounds",
    "key_theme_mismatch", "key_sector_mismatch", "no_assignment", "no_assignment_none", "report_empty",
    # a file whose check runs out of memory or time in its child process (etl.sandbox, issue 18)
    "file_memory", "file_time",
    # a file the CLI cannot open at all (etl.service.load_files)
    "file_cannot_read",
))  # fmt: skip


def get_column_letter(index: int) -> str:
    """Excel's column name for a 1-based index (1 -> A, 28 -> AB), as openpyxl.utils writes it:
    here so that validating a report does not import openpyxl (about 70 ms of a first start)."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters



TEXT_PARTS = ("message", "expected", "fix", "value")


@dataclass
class Issue:
    """One problem of a file, as a catalogue key and the values it is filled in with: its texts
    (message, expected, fix) are rendered from data/i18n/, English for the CLI and the marked copy,
    the interface language on the page, so the two never say different things."""

    severity: str  # "error" | "warning"
    sheet: str
    row: int | None
    column: str | None
    # the cell's text as found; "" where the validator writes the value itself ("merged cells"):
    # it then comes from the catalogue entry validate.<key>.value
    value: str
    key: str
    params: dict = dataclass_field(default_factory=dict)
    # Every cell the issue is about when it groups several (stray cells of one column): the
    # annotated workbook marks them all. Not part of to_dict().
    cells: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.value and f"validate.{self.key}.value" in i18n.catalogue(i18n.DEFAULT):
            self.value = self.text("value")

    def text(self, part: str, lang: str = i18n.DEFAULT) -> str:
        """validate.<key>.<part> in `lang` filled in with the params ("" when the catalogue has no
        such entry; for "value", the text found in the cell). A translation that cannot be filled
        in falls back to English rather than failing the page."""
        name = f"validate.{self.key}.{part}"
        if name not in i18n.catalogue(i18n.DEFAULT):
            return self.value if part == "value" else ""
        if lang != i18n.DEFAULT:
            try:
                return i18n.translate(lang, name, **self.params)
            except (KeyError, IndexError, ValueError):
                pass
        return i18n.translate(i18n.DEFAULT, name, **self.params)

    @property
    def message(self) -> str:
        return self.text("message")

    @property
    def expected(self) -> str:
        return self.text("expected")

    @property
    def fix(self) -> str:
        return self.text("fix")

    @property
    def cell(self) -> str:
        if self.row is None or self.column is None:
            return ""
        return f"{self.column}{self.row}" if self.column.isalpha() and len(self.column) <= 3 else ""

    def to_dict(self) -> dict:
        return {
            "severity": self.severity,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
            "message": self.message,
            "fix": self.fix,
            "cell": self.cell,
        }

    def __str__(self) -> str:
        where = self.sheet
        if self.row is not None:
            where += f"!{self.cell or f'row {self.row}'}"
        return f"{self.severity.upper()} {where}: {self.message} (found {self.value!r}; expected {self.expected})"


@dataclass
class Validation:
    report: spec.ReportData | None
    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return self.report is not None and not self.errors


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _num(x: float) -> str:
    """A number as a person would type it: 1200, 12.5, 0.125 (never 1.2e+06)."""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(x, ".15g")


# Numbers typed as text (docs/validation.md, "Numbers typed as text"): spaces, no-break spaces
# and apostrophes only ever group thousands; a point or a comma is a decimal mark unless it
# repeats or the other mark follows it; one mark followed by exactly three digits could be either.
_NUMBER_TEXT = re.compile(r"[0-9]+(?:[.,' \u00a0\u202f\u2009\u2019][0-9]+)*")
_NUMBER_SEPARATOR = re.compile(r"[^0-9]")


def read_number_text(text: str) -> tuple[float | None, tuple[float, float] | None]:
    """Read a number typed as text where that is unambiguous.

    Returns (number, None); (None, (as thousands, as decimal)) for "1,200" or "1.200", which
    could be either; or (None, None) for anything else ("abc", "1e3", "nan", "12 5")."""
    t = text.strip()
    if t.endswith("%"):
        t = t[:-1].rstrip()
    sign = ""
    if t[:1] in ("+", "-", "\u2212"):
        sign, t = ("" if t[0] == "+" else "-"), t[1:].lstrip()
    if len(t) > 1 and t[0] in ".," and t[1:].isascii() and t[1:].isdigit():  # ".5"
        t = "0" + t
    if not _NUMBER_TEXT.fullmatch(t):
        return None, None
    marks = [c if c in ".," else " " for c in _NUMBER_SEPARATOR.findall(t)]
    groups = _NUMBER_SEPARATOR.split(t)
    decimal = None
    kinds = set(marks) - {" "}
    if len(kinds) == 2:  # "1.200,5" or "1,200.5": the last mark is the decimal one
        decimal = marks[-1]
        if marks.count(decimal) != 1:
            return None, None
    elif len(kinds) == 1:
        (mark,) = kinds
        if marks.count(mark) == 1:
            if marks[-1] != mark:
                return None, None
            first, last = groups[-2], groups[-1]
            if " " in marks or len(last) != 3 or len(first) > 3 or first.startswith("0"):
                decimal = mark
            else:  # "1,200": 1200 with a thousands separator, or 1.2 with a decimal comma
                whole = float(sign + first + last)
                return None, (whole, float(f"{sign}{first}.{last}"))
    whole_groups, group_marks = (groups[:-1], marks[:-1]) if decimal else (groups, marks)
    if group_marks and (
        len(set(group_marks)) > 1
        or len(whole_groups[0]) > 3
        or any(len(g) != 3 for g in whole_groups[1:])
    ):
        return None, None
    number = "".join(whole_groups) + ("." + groups[-1] if decimal else "")
    return float(sign + number), None


def squash(text: str) -> str:
    """Compare enumerated values forgivingly: case, spaces, dashes and underscores ignored."""
    return re.sub(r"[\s\-_./]+", "", str(text)).casefold()


class _Cells:
    """Converts one cell at a time, recording issues against its location."""

    def __init__(self, sheet: str, issues: list[Issue]):
        self.sheet, self.issues = sheet, issues

    def add(self, severity, row, col, value, key, params=None):
        self.issues.append(Issue(severity, self.sheet, row, col, _show(value), key, params or {}))

    def text(self, v, row, col, max_length, label):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, (dt.datetime, dt.date)):
            v = v.isoformat()[:10]
        s = unicodedata.normalize("NFC", str(v)).strip()
        if _CONTROL.search(s):
            s = _CONTROL.sub("", s)
            self.add("warning", row, col, v, "text_control", {"label": label})
        if len(s) > max_length:
            self.add("error", row, col, v, "text_too_long",
                     {"label": label, "limit": max_length, "length": len(s)})
            return None
        return s

    def number(self, v, row, col, label):
        if isinstance(v, bool):
            self.add("error", row, col, v, "number_boolean", {"label": label})
            return None
        if isinstance(v, (int, float)):
            return float(v)
        out, readings = read_number_text(str(v))
        if readings:
            text, grouped, decimal = str(v).strip(), _num(readings[0]), _num(readings[1])
            self.add("error", row, col, v, "number_ambiguous",
                     {"label": label, "text": text, "grouped": grouped, "decimal": decimal})
            return None
        if out is None:
            self.add("error", row, col, v, "number_invalid", {"label": label})
            return None
        self.add("warning", row, col, v, "number_from_text", {"label": label, "number": _num(out)})
        return out

    def percent(self, v, row, col, label):
        had_sign = isinstance(v, str) and "%" in v
        out = self.number(v, row, col, label)
        if out is None:
            return None
        if not had_sign and 0 < out < 1:  # a cell formatted as percent holds 0.45 for 45%
            self.add("warning", row, col, v, "percent_fraction",
                     {"label": label, "number": f"{out:g}", "percent": f"{out * 100:g}"})
            out *= 100
        if not 0 <= out <= 100:
            self.add("error", row, col, v, "percent_range", {"label": label})
            return None
        return out

    def date(self, v, row, col, label):
        out = None
        if isinstance(v, dt.datetime):
            out = v.date()
        elif isinstance(v, dt.date):
            out = v
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            if 20000 < v < 60000:  # an Excel serial date left unformatted
                out = dt.date(1899, 12, 30) + dt.timedelta(days=int(v))
                self.add("warning", row, col, v, "date_serial", {"label": label, "date": str(out)})
        else:
            out = self._date_text(str(v).strip(), row, col, v, label)
        if out is None:
            self.add("error", row, col, v, "date_invalid", {"label": label})
            return None
        if not MIN_DATE <= out <= MAX_DATE:
            self.add("error", row, col, v, "date_range",
                     {"label": label, "date": str(out), "min": str(MIN_DATE), "max": str(MAX_DATE)})
            return None
        return out

    def _date_text(self, s, row, col, raw, label):
        for fmt, key in (("%Y-%m-%d", "date_from_text"), ("%d/%m/%Y", "date_from_dmy"),
                         ("%d.%m.%Y", "date_from_dmy_dots"), ("%Y/%m/%d", "date_from_text")):  # fmt: skip
            try:
                out = dt.datetime.strptime(s[:10] if fmt == "%Y-%m-%d" else s, fmt).date()
            except ValueError:
                continue
            self.add("warning", row, col, raw, key, {"label": label, "date": str(out)})
            return out
        try:
            p = Period.parse(s)
        except ValueError:
            return None
        self.add("warning", row, col, raw, "date_from_quarter", {"label": label, "period": str(p), "date": str(p.end)})
        return p.end

    def choice(self, v, row, col, choices, label):
        s = str(v).strip()
        if s in choices:
            return s
        aliases = choice_aliases(choices)
        if s in aliases:  # a label of the template in another language: read as is
            return aliases[s]
        wanted = squash(s)
        candidates = [(squash(c), c) for c in choices]
        candidates += [(_fold(squash(a)), c) for a, c in aliases.items()]
        wanted_folded = _fold(wanted)
        for n, (key, c) in enumerate(candidates):
            if key == (wanted if n < len(choices) else wanted_folded):
                self.add("warning", row, col, v, "choice_normalised",
                         {"label": label, "text": s, "choice": c, "choices": " / ".join(choices)})
                return c
        self.add("error", row, col, v, "choice_unknown", {"label": label, "text": s, "choices": ", ".join(choices)})
        return None


def choice_aliases(choices) -> dict[str, str]:
    """Labels of `choices` in other languages (spec.CHOICE_ALIASES) -> the canonical value."""
    out: dict[str, str] = {}
    for labels in spec.CHOICE_ALIASES.values():
        for label, canonical in labels.items():
            if canonical in choices and label not in choices:
                out.setdefault(label, canonical)
    return out


def _fold(text: str) -> str:
    """Accents dropped, for labels in other languages ("terminee" for "Terminée")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


SECTOR_ALIASES = {
    "generalsecretariat": "GS",
    "sg": "GS",
    "regionaloffices": "RO",
    "regionaloffice": "RO",
    "radiocommunication": "ITU-R",
    "br": "ITU-R",
    "tsb": "ITU-T",
    "bdt": "ITU-D",
}


def normalise_sector(text: str, sectors: tuple[str, ...]) -> str | None:
    wanted = squash(text)
    for code in sectors:
        if squash(code) == wanted:
            return code
    return SECTOR_ALIASES.get(wanted)


@dataclass
class _Layout:
    """Which cells of a sheet the validator read (every other filled cell is reported as unread)."""

    sheet: str  # the template's name for the sheet: issues name it so
    rows: list[list]
    header_row: int = 0  # a table's header row (0-based)
    read_columns: frozenset = frozenset()  # a table's columns that were read (0-based)
    report_cells: set | None = None  # the Report sheet: the (row, column) of each label and its value
    width: int = 0  # a table: the number of columns of its widest row
    field_rows: dict = dataclass_field(default_factory=dict)  # the Report sheet: field key -> row (1-based)

    def reads(self, i: int, j: int) -> bool:
        if self.report_cells is not None:
            return (i, j) in self.report_cells
        return i == self.header_row or (i > self.header_row and j in self.read_columns)


def _find_sheet(raw: RawWorkbook, name: str, issues: list[Issue]) -> tuple[str, list[list]] | None:
    """(the sheet's name in the file, its rows), or None when it is missing."""
    if name in raw.sheets:
        rows = raw.sheets[name]
        actual = name
    else:
        match = [n for n in raw.order if n.strip().casefold() == name.casefold()]
        if not match:
            visible = [n for n in raw.order if n != spec.KEY_SHEET]  # the hidden key sheet is the template's
            others = [n for n in visible if n not in spec.SHEET_ORDER]
            issues.append(Issue("error", name, None, None, "", "sheet_missing_others" if others else "sheet_missing",
                                {"name": name, "sheets": ", ".join(visible)}))
            return None
        actual = match[0]
        rows = raw.sheets[actual]
        issues.append(Issue("warning", actual, None, None, actual, "sheet_renamed", {"sheet": actual, "name": name}))
    if actual in raw.hidden:
        issues.append(Issue("warning", actual, None, None, "", "sheet_hidden", {"sheet": actual}))
    if raw.merged.get(actual):
        r0, c0, r1, c1 = raw.merged[actual][0]
        issues.append(Issue("error", actual, r0 + 1, get_column_letter(c0 + 1), "", "merged_cells",
                            {"count": len(raw.merged[actual]),
                             "first": f"{get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1 + 1)}{r1 + 1}"}))
    return actual, rows


def _empty(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _header(raw: RawWorkbook, ref: Reference, issues: list[Issue], layouts: dict) -> dict | None:
    found_sheet = _find_sheet(raw, spec.REPORT_SHEET, issues)
    if found_sheet is None:
        return None
    actual, rows = found_sheet
    cells = _Cells(spec.REPORT_SHEET, issues)
    found: dict[str, tuple[int, object]] = {}
    labels = {squash(f.label): f for f in spec.HEADER_FIELDS}
    for i, row in enumerate(rows):
        if row and not _empty(row[0]) and squash(row[0]) in labels:
            found[labels[squash(row[0])].key] = (i + 1, row[1] if len(row) > 1 else None)
    # column A the label, B the value, C the template's help text on the same row
    layouts[actual] = _Layout(spec.REPORT_SHEET, rows,
                              report_cells={(r - 1, j) for r, _ in found.values() for j in (0, 1, 2)},
                              field_rows={k: r for k, (r, _) in found.items()})
    header: dict = {}
    for field in spec.HEADER_FIELDS:
        if field.key not in found:
            issues.append(Issue("error", spec.REPORT_SHEET, None, "A", "", "header_label_missing",
                                {"label": field.label}))
            continue
        r, v = found[field.key]
        if _empty(v):
            if field.required:
                cells.add("error", r, "B", v, "header_empty", {"label": field.label})
            header[field.key] = None
            continue
        header[field.key] = _header_value(field, v, r, cells, ref)
    version = header.get("template_version")
    if "template_version" in found and version and version not in spec.COMPATIBLE_TEMPLATE_VERSIONS:
        r = found["template_version"][0]
        cells.add("error", r, "B", version, "template_version",
                  {"version": version, "current": spec.TEMPLATE_VERSION})
    return header


def _header_value(field: spec.HeaderField, v, r: int, cells: _Cells, ref: Reference):
    if field.kind == "theme":
        s = str(v).strip()
        code = s.split(" - ", 1)[0].strip()
        by_name = {squash(n): c for c, n in ref.theme_names.items()}
        code = code if code in ref.theme_names else by_name.get(squash(s)) or by_name.get(squash(code))
        if code is None:
            for c in ref.theme_names:
                if squash(c) == squash(s.split(" - ", 1)[0]):
                    code = c
        if code is None:
            cells.add("error", r, "B", v, "theme_unknown", {"text": s})
            return None
        if code not in ref.reportable_themes:
            row = next(t for t in ref["themes"] if t["code"] == code)
            succ = row["successor"]
            cells.add("error", r, "B", v, "theme_inactive_successor" if succ else "theme_inactive",
                      {"name": ref.theme_names[code], "state": str(row["state"]),
                              "valid_to": str(row["valid_to"]), "successor": str(succ or ""),
                              "successor_name": ref.theme_names[succ] if succ else ""})
            return None
        return code
    if field.kind == "period":
        try:
            p = Period.parse(v)
        except ValueError:
            cells.add("error", r, "B", v, "period_invalid")
            return None
        today = dt.date.today()
        if p.start > today:
            cells.add("error", r, "B", v, "period_future", {"period": str(p), "today": str(today)})
            return None
        if p.year < 2015:
            cells.add("error", r, "B", v, "period_early", {"period": str(p)})
            return None
        if str(p) != str(v).strip():
            cells.add("warning", r, "B", v, "period_normalised", {"period": str(p)})
        return str(p)
    if field.kind == "sector":
        code = normalise_sector(str(v), ref.sector_codes)
        if code is None:
            cells.add("error", r, "B", v, "header_sector_unknown",
                      {"text": str(v).strip(), "choices": ", ".join(ref.sector_codes)})
        elif code != str(v):
            cells.add("warning", r, "B", v, "header_sector_normalised", {"code": code})
        return code
    if field.kind == "enum":
        return cells.choice(v, r, "B", field.choices, field.label)
    if field.key == "template_version":
        return str(v).strip()
    return cells.text(v, r, "B", field.max_length, field.label)


def _locate_header(rows: list[list], sheet: spec.TableSheet) -> int | None:
    wanted = {squash(c.header) for c in sheet.columns}
    best, best_hits = None, 0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = sum(1 for v in row if not _empty(v) and squash(v) in wanted)
        if hits > best_hits:
            best, best_hits = i, hits
    return best if best_hits >= max(2, len(wanted) // 3) else None


def _table(raw: RawWorkbook, sheet: spec.TableSheet, ref: Reference, issues: list[Issue],
           layouts: dict) -> list[dict] | None:
    found_sheet = _find_sheet(raw, sheet.name, issues)
    if found_sheet is None:
        return None
    actual, rows = found_sheet
    h = _locate_header(rows, sheet)
    if h is None:
        issues.append(Issue("error", sheet.name, 1, "A", "", "header_row_missing",
                            {"headers": ", ".join(c.header for c in sheet.columns)}))
        return None
    if h != 0:
        issues.append(Issue("warning", sheet.name, h + 1, "A", "", "header_row_moved", {"row": h + 1}))
    positions: dict[str, int] = {}
    by_name = {squash(c.header): c for c in sheet.columns}
    for j, v in enumerate(rows[h]):
        if _empty(v):
            continue
        col = by_name.get(squash(v))
        if col is None:
            issues.append(Issue("warning", sheet.name, h + 1, get_column_letter(j + 1), _show(v), "column_extra",
                                {"header": str(v).strip()}))
        elif col.key not in positions:
            positions[col.key] = j
        else:  # the same header twice: the first is read; what the second holds is listed as unread
            first = get_column_letter(positions[col.key] + 1)
            issues.append(Issue("warning", sheet.name, h + 1, get_column_letter(j + 1), _show(v),
                                "column_duplicate", {"header": col.header, "first": first}))
    # A column marked optional may be absent from files of an earlier template: read as blank.
    missing = [c for c in sheet.columns if c.key not in positions and not c.optional]
    for c in missing:
        issues.append(Issue("error", sheet.name, h + 1, None, "", "column_missing", {"header": c.header}))
    if missing:
        return None
    read = set(positions.values())
    if isinstance(rows, ArrowRows) and h == 0 and read == set(range(len(rows.header))):
        layouts[actual] = _Layout(sheet.name, rows, header_row=0, read_columns=frozenset(read), width=len(read))
        return _columnar_table(sheet, rows, positions, ref, issues)
    data = rows[h + 1:]
    width_all = max(map(len, data), default=0)
    layouts[actual] = _Layout(sheet.name, rows, header_row=h, read_columns=frozenset(read),
                              width=max(width_all, *map(len, rows[:h + 1])))
    if any(j not in read for j in range(width_all)):  # a row holding only unread cells is no record
        read_sorted = sorted(read)

        def has_data(r):
            return _has_data([r[j] for j in read_sorted if j < len(r)])
    else:
        has_data = _has_data
    first_read = 0 in read
    kept = [(i, r) for i, r in enumerate(data, start=h + 2)
            if (first_read and r and type(r[0]) is str and r[0].strip()) or has_data(r)]
    if len(kept) > sheet.max_rows:
        issues.append(Issue("error", sheet.name, None, None, "", "too_many_rows",
                            {"rows": len(kept), "limit": sheet.max_rows}))
        return None
    cells = _Cells(sheet.name, issues)
    row_numbers = [i for i, _ in kept]
    width = max(positions.values()) + 1
    rows_only = [r if len(r) >= width else [*r, *([None] * (width - len(r)))] for _, r in kept]
    # transposed: every row has at least `width` cells, so zip yields at least `width` columns
    by_position = list(zip(*rows_only, strict=False)) if rows_only else [()] * width
    # Column by column, a fast path converts the values that cannot raise an issue (the vast
    # majority); the others are converted one cell at a time below, in row order, so the issues
    # come out exactly as a cell-by-cell pass would give them.
    columns, slow = [], []
    for n, c in enumerate(sheet.columns):
        if c.key not in positions:  # an optional column the file does not have
            columns.append([None] * len(kept))
            continue
        out, todo = _fast_column(c, by_position[positions[c.key]], ref)
        columns.append(out)
        slow.extend((k, n) for k in todo)
    for k, n in sorted(slow):
        c = sheet.columns[n]
        i = row_numbers[k]
        j = positions[c.key]
        v = rows_only[k][j]
        letter = get_column_letter(j + 1)
        if _empty(v):
            if c.required:
                cells.add("error", i, letter, v, "cell_required", {"label": c.header})
            columns[n][k] = None
        else:
            columns[n][k] = _convert(c, v, i, letter, cells, ref)
    keys = ["row", *(c.key for c in sheet.columns)]
    records = [dict(zip(keys, values, strict=False)) for values in zip(row_numbers, *columns, strict=True)]
    if sheet.key == "indicators":
        _unit_bounds(sheet, records, positions, cells)
    return records


# Python's whitespace (what str.strip() removes; test_etl_columnar checks it against str.isspace),
# as an RE2 class: a text cell is blank unless it holds another character.
_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
               "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_FILLED_TEXT = "[^" + "".join(f"\\x{{{ord(ch):x}}}" for ch in _WHITESPACE) + "]"
# Printable ASCII, once stripped: a text the cell-by-cell path keeps (stripped), silently.
_PLAIN_TEXT = r"^[\x20-\x7e]+$"
_ASCII_WHITESPACE = "".join(ch for ch in _WHITESPACE if ch.isascii())
_BLANK_STARTS = ("", *_WHITESPACE)  # (a tuple, not an Arrow array: nothing is allocated on import)
_ARROW_KIND = {"text": pa.string(), "enum": pa.string(), "sector": pa.string(), "number": pa.float64(),
               "percent": pa.float64(), "date": pa.date32()}


def _is_text(arr: pa.Array) -> bool:
    return pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)


def _filled_cells(arr: pa.Array) -> pa.Array:
    """Which cells of an ArrowRows column hold something (not empty, not only whitespace)."""
    if pa.types.is_null(arr.type):
        return pa.array([False] * len(arr), pa.bool_())
    if _is_text(arr):
        # only a text that is empty or starts with whitespace can be blank: those alone are searched
        maybe_blank = pc.is_in(pc.utf8_slice_codeunits(arr, 0, 1), value_set=pa.array(_BLANK_STARTS, arr.type))
        filled = pc.fill_null(pc.and_(arr.is_valid(), pc.invert(maybe_blank)), False)
        if pc.any(maybe_blank).as_py():
            found = pc.fill_null(pc.match_substring_regex(arr.filter(maybe_blank), _FILLED_TEXT), False)
            filled = pc.replace_with_mask(filled, pc.fill_null(maybe_blank, False), found)
        return filled
    return arr.is_valid()


def _control_bytes(arr: pa.Array) -> bool:
    """Whether any text of a string column holds a control character (a byte below 0x20, or 0x7f),
    looked for in the column's bytes at once."""
    offsets, data = arr.buffers()[1], arr.buffers()[2]
    if data is None or not len(arr):
        return False
    at = np.frombuffer(offsets, dtype=np.int32)[arr.offset:arr.offset + len(arr) + 1]
    text = np.frombuffer(data, dtype=np.uint8)[at[0]:at[-1]]
    return bool(np.any((text < 0x20) | (text == 0x7F)))


def _fast_arrow(c: spec.Column, arr: pa.Array, ref: Reference) -> tuple[pa.Array, pa.Array]:
    """_fast_column on an Arrow column: (the converted column, null where not converted; which cells
    go the cell-by-cell way). Converted here is only what _fast_column converts without a word."""
    kind, target = c.kind, _ARROW_KIND[c.kind]
    values = pa.nulls(len(arr), target)
    fast = None
    if kind == "text" and _is_text(arr):
        values = pc.ascii_trim(arr.cast(target), _ASCII_WHITESPACE)  # str.strip() where the text is ASCII
        length = pc.utf8_length(values)
        if _control_bytes(values):  # rare: the texts that hold one are told apart one by one
            printable = pc.match_substring_regex(values, _PLAIN_TEXT)
        else:
            printable = pc.greater(length, 0)
        fast = pc.and_(pc.and_(pc.string_is_ascii(arr), printable), pc.less_equal(length, c.max_length))
    elif kind in ("enum", "sector") and _is_text(arr):
        allowed = {v: v for v in (c.choices if kind == "enum" else ref.sector_codes)}
        if kind == "enum":
            allowed.update(choice_aliases(c.choices))
        index = pc.index_in(arr, value_set=pa.array(list(allowed), arr.type))
        fast, values = index.is_valid(), pa.array(list(allowed.values()), target).take(index)
    elif kind in ("number", "percent") and (pa.types.is_float64(arr.type) or pa.types.is_int64(arr.type)):
        values = arr.cast(target)
        fast = values.is_valid()
        if kind == "percent":
            fast = pc.and_(fast, pc.or_(pc.equal(values, 0), pc.and_(pc.greater_equal(values, 1),
                                                                     pc.less_equal(values, 100))))
    elif kind == "date" and pa.types.is_timestamp(arr.type):
        values = arr.cast(target)
        low, high = pa.scalar(MIN_DATE, target), pa.scalar(MAX_DATE, target)
        fast = pc.and_(pc.greater_equal(values, low), pc.less_equal(values, high))
    fast = pc.fill_null(fast, False) if fast is not None else pa.array([False] * len(arr), pa.bool_())
    slow = pc.invert(fast)
    if not c.required:  # an optional blank cell is simply None
        slow = pc.and_(slow, arr.is_valid())  # an empty cell is blank
        if _is_text(arr) and pc.any(slow).as_py():  # texts of whitespace only too: those few are looked at
            slow = pc.replace_with_mask(slow, slow, _filled_cells(arr.filter(slow)))
    return pc.if_else(fast, values, pa.nulls(len(arr), target)), slow


def _columnar_table(sheet: spec.TableSheet, rows: ArrowRows, positions: dict[str, int], ref: Reference,
                    issues: list[Issue]) -> list[dict] | Records | None:
    """_table's records for a sheet read into Arrow whose header is its first row and whose every
    column is read: the same records (Records for the activities) and the same issues, in the same
    order. Column by column at Arrow speed; the cells that could raise an issue go one at a time
    through the very same code as the other path (_convert), in row order."""
    by_position = [rows.column(j) for j in range(len(rows.header))]
    kept_mask = pa.array([False] * (len(rows) - 1), pa.bool_())
    for arr in by_position:
        kept_mask = pc.or_(kept_mask, _filled_cells(arr))
        if pc.all(kept_mask).as_py():  # every row holds something already (the usual first column)
            break
    kept = pc.indices_nonzero(kept_mask)
    every_row = len(kept) == len(rows) - 1
    if len(kept) > sheet.max_rows:
        issues.append(Issue("error", sheet.name, None, None, "", "too_many_rows",
                            {"rows": len(kept), "limit": sheet.max_rows}))
        return None
    row_numbers = pc.add(kept.cast(pa.int64()), 2)  # the header is row 1
    cells = _Cells(sheet.name, issues)
    columns, slow, found = [], [], {}
    for n, c in enumerate(sheet.columns):
        if c.key not in positions:  # an optional column the file does not have
            columns.append((pa.nulls(len(kept), _ARROW_KIND[c.kind]), None))
            continue
        arr = by_position[positions[c.key]]
        arr = arr if every_row else arr.take(kept)
        values, later = _fast_arrow(c, arr, ref)
        at = pc.indices_nonzero(later)
        columns.append((values, later if len(at) else None))
        if len(at):
            found[n] = dict(zip(at.to_pylist(), _cells(arr.take(at)), strict=True))
            slow.extend((k, n) for k in found[n])
    numbers = row_numbers.to_pylist() if slow else []
    done: dict[int, list] = {n: [] for n in found}
    for k, n in sorted(slow):
        c = sheet.columns[n]
        i, letter, v = numbers[k], get_column_letter(positions[c.key] + 1), found[n][k]
        if _empty(v):
            if c.required:
                cells.add("error", i, letter, v, "cell_required", {"label": c.header})
            done[n].append((k, None))
        else:
            done[n].append((k, _convert(c, v, i, letter, cells, ref)))
    arrays = []
    for n, (values, later) in enumerate(columns):
        if later is not None:
            patched = [v for _, v in sorted(done[n], key=itemgetter(0))]
            values = pc.replace_with_mask(values, later, pa.array(patched, values.type))
        arrays.append(values)
    table = pa.Table.from_arrays([row_numbers, *arrays], names=["row", *(c.key for c in sheet.columns)])
    if sheet.key == "activities":
        return Records(table)
    records = table.to_pylist()
    if sheet.key == "indicators":
        _unit_bounds(sheet, records, positions, cells)
    return records


def _unit_bounds(sheet: spec.TableSheet, records: list[dict], positions: dict[str, int], cells: _Cells) -> None:
    """Values of an indicator whose unit has a natural bound (spec.UNIT_BOUNDS): 0 to the bound."""
    labels = {c.key: c.header for c in sheet.columns}
    for rec in records:
        bound = spec.UNIT_BOUNDS.get(rec.get("unit"))
        if bound is None:
            continue
        for key in ("baseline", "target", "actual"):
            x = rec.get(key)
            if x is None or 0 <= x <= bound:
                continue
            unit, label = rec["unit"], labels[key]
            cells.add("error", rec["row"], get_column_letter(positions[key] + 1), x, "indicator_out_of_bounds",
                      {"label": label, "number": _num(x), "unit": unit, "max": bound})
            rec[key] = None


def _has_data(row: list) -> bool:
    for v in row:
        if v is None:
            continue
        if type(v) is not str or v.strip():
            return True
    return False


def _clean_column(c: spec.Column, values, ref: Reference) -> list | None:
    """The whole column at C speed (map, set, min/max), when every value in it is already clean.

    Returns None as soon as one value might need a message; the caller then goes cell by cell.
    """
    if not values:
        return []
    kind = c.kind
    if kind in ("enum", "sector"):
        lookup: dict = {v: v for v in (c.choices if kind == "enum" else ref.sector_codes)}
        if kind == "enum":
            lookup.update(choice_aliases(c.choices))
        if not c.required:
            lookup[""] = lookup[None] = None
        try:
            return list(map(lookup.__getitem__, values))
        except (KeyError, TypeError):
            return None
    types = set(map(type, values))
    if kind == "text":
        if types != {str}:
            return None
        stripped = list(map(str.strip, values))
        has_blank = "" in stripped
        if has_blank and c.required:
            return None
        joined = "".join(stripped)
        if not (joined.isascii() and joined.isprintable()) or max(map(len, stripped)) > c.max_length:
            return None
        return [v or None for v in stripped] if has_blank else stripped
    if kind in ("number", "percent"):
        if not types <= {float, int}:
            return None
        out = list(map(float, values))
        if kind == "percent":
            ordered = sorted(out)
            first_positive = bisect.bisect_right(ordered, 0.0)
            if ordered[0] < 0 or ordered[-1] > 100 or (
                first_positive < len(ordered) and ordered[first_positive] < 1
            ):
                return None
        return out
    if kind == "date":
        present = list(filter(None, values)) if not c.required else values
        if not present:
            return [None] * len(values)
        if set(map(type, present)) != {dt.date} or min(present) < MIN_DATE or max(present) > MAX_DATE:
            return None
        if len(present) == len(values):
            return list(values)
        if not set(map(type, values)) <= {dt.date, str, type(None)}:  # the falsy ones: "" or None
            return None
        return [v or None for v in values]
    return None


def _fast_column(c: spec.Column, values, ref: Reference) -> tuple[list, list[int]]:
    """Convert the values of one column that are already clean, without a function call per cell.

    Returns the converted column and the positions of the cells left for the cell-by-cell path
    (anything that could raise an error or a warning); their slot holds None meanwhile.
    """
    clean = _clean_column(c, values, ref)
    if clean is not None:
        return clean, []
    out: list = []
    slow: list[int] = []
    append, later = out.append, slow.append
    blank = c.required is False  # an optional blank cell is simply None
    kind = c.kind
    if kind == "text":
        limit = c.max_length
        for k, v in enumerate(values):
            if type(v) is str and (v.isascii() or unicodedata.is_normalized("NFC", v)):
                s = v.strip()
                if s:
                    if len(s) <= limit and s.isprintable():
                        append(s)
                        continue
                elif blank:
                    append(None)
                    continue
            elif v is None and blank:
                append(None)
                continue
            append(None)
            later(k)
    elif kind in ("enum", "sector"):
        allowed = {v: v for v in (c.choices if kind == "enum" else ref.sector_codes)}
        if kind == "enum":
            allowed.update(choice_aliases(c.choices))
        for k, v in enumerate(values):
            if type(v) is str and v in allowed:
                append(allowed[v])
            elif blank and (v is None or v == "" or (type(v) is str and not v.strip())):
                append(None)
            else:
                append(None)
                later(k)
    elif kind in ("number", "percent", "date"):
        number, percent = kind == "number", kind == "percent"
        for k, v in enumerate(values):
            t = type(v)
            if t is float or t is int:
                if number:
                    append(float(v))
                    continue
                if percent:
                    f = float(v)
                    if f == 0 or 1 <= f <= 100:
                        append(f)
                        continue
            elif t is dt.date or t is dt.datetime:
                if not number and not percent:
                    d = v.date() if t is dt.datetime else v
                    if MIN_DATE <= d <= MAX_DATE:
                        append(d)
                        continue
            elif blank and (v is None or (t is str and not v.strip())):
                append(None)
                continue
            append(None)
            later(k)
    else:
        out = [None] * len(values)
        slow = list(range(len(values)))
    return out, slow


def _convert(c: spec.Column, v, i: int, letter: str, cells: _Cells, ref: Reference):
    if c.kind == "number":
        return cells.number(v, i, letter, c.header)
    if c.kind == "percent":
        return cells.percent(v, i, letter, c.header)
    if c.kind == "date":
        return cells.date(v, i, letter, c.header)
    if c.kind == "enum":
        return cells.choice(v, i, letter, c.choices, c.header)
    if c.kind == "sector":
        code = normalise_sector(str(v), ref.sector_codes)
        if code is None:
            cells.add("error", i, letter, v, "sector_unknown",
                      {"label": c.header, "text": str(v).strip(), "choices": ", ".join(ref.sector_codes)})
        elif code != v:
            cells.add("warning", i, letter, v, "sector_normalised", {"label": c.header, "text": str(v).strip(), "code": code})
        return code
    return cells.text(v, i, letter, c.max_length, c.header)


def _cross_checks(report: spec.ReportData, issues: list[Issue]) -> None:
    col = {s.key: {c.key: get_column_letter(k + 1) for k, c in enumerate(s.columns)} for s in spec.TABLE_SHEETS}
    for sheet, id_key in (("activities", "activity_id"), ("indicators", "indicator_id")):
        seen: dict[str, int] = {}
        name = next(s.name for s in spec.TABLE_SHEETS if s.key == sheet)
        if _no_duplicate_ids(getattr(report, sheet), id_key):
            continue
        for rec in getattr(report, sheet):
            ident = rec.get(id_key)
            if ident is None:
                continue
            if ident.casefold() in seen:
                issues.append(Issue("error", name, rec["row"], col[sheet][id_key], ident, "duplicate_id",
                                    {"id": ident, "row": seen[ident.casefold()]}))
            else:
                seen[ident.casefold()] = rec["row"]
    for a in report.activities if _activity_messages_possible(report.activities) else ():
        if a.get("start_date") and a.get("end_date") and a["end_date"] < a["start_date"]:
            issues.append(Issue("error", "Activities", a["row"], col["activities"]["end_date"],
                                _show(a["end_date"]), "end_before_start", {"start": str(a["start_date"])}))
        if a.get("status") == "Completed" and a.get("percent_complete") not in (None, 100.0):
            issues.append(Issue("warning", "Activities", a["row"], col["activities"]["percent_complete"],
                                _show(a["percent_complete"]), "completed_below_100"))
    for ind in report.indicators:
        if ind.get("baseline_date") and ind.get("target_date") and ind["target_date"] <= ind["baseline_date"]:
            issues.append(Issue("error", "Indicators", ind["row"], col["indicators"]["target_date"],
                                _show(ind["target_date"]), "target_before_baseline",
                                {"baseline": str(ind["baseline_date"])}))


def _no_duplicate_ids(records, id_key: str) -> bool:
    """Whether no two IDs are the same, case aside (at C speed; at Arrow speed for Records of ASCII IDs)."""
    if isinstance(records, Records):
        ids = records.table.column(id_key).drop_null()
        if pc.all(pc.string_is_ascii(ids)).as_py() is not False:  # lower case is casefold for ASCII
            ids = ids.filter(pc.not_equal(ids, ""))  # as filter(None, ...) below
            return pc.count_distinct(pc.utf8_lower(ids)).as_py() == len(ids)
    folded = list(map(str.casefold, filter(None, map(itemgetter(id_key), records))))
    return len(set(folded)) == len(folded)


def _activity_messages_possible(acts) -> bool:
    """Whether any activity ends before it starts, or is Completed below 100% (at C speed)."""
    if not acts:
        return False
    if isinstance(acts, Records):
        t = acts.table
        backwards = pc.any(pc.less(t.column("end_date"), t.column("start_date"))).as_py()
        completed = pc.fill_null(pc.equal(t.column("status"), "Completed"), False)
        below = pc.fill_null(pc.not_equal(t.column("percent_complete"), 100.0), False)
        return bool(backwards) or pc.any(pc.and_(completed, below)).as_py() is True
    low, high = dt.date.min, dt.date.max
    starts = [d or low for d in map(itemgetter("start_date"), acts)]
    ends = [d or high for d in map(itemgetter("end_date"), acts)]
    if any(map(operator.lt, ends, starts)):
        return True
    completed = compress(map(itemgetter("percent_complete"), acts),
                         map(operator.eq, map(itemgetter("status"), acts), repeat("Completed")))
    return not set(completed) <= {None, 100.0}


def _cell_ref(cell: str) -> tuple[int, int]:
    """"M12" -> (11, 12): 0-based row and column."""
    letters = re.match(r"[A-Z]+", cell)[0]
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(cell[len(letters):]) - 1, col - 1


def _value_at(rows: list[list], i: int, j: int):
    return rows[i][j] if i < len(rows) and j < len(rows[i]) else None


def _formula_issues(raw: RawWorkbook, layouts: dict, issues: list[Issue]) -> None:
    """Formulas in the cells that are read: a saved value is used with a warning; a formula with
    no saved value is an error (openpyxl and other tools write formulas without computing them).
    Formulas elsewhere are reported with the other unread cells."""
    read_sheets = {spec.REPORT_SHEET.casefold(), *(s.name.casefold() for s in spec.TABLE_SHEETS)}
    for sheet, cells in raw.formulas.items():
        if sheet.strip().casefold() not in read_sheets:
            continue
        layout = layouts.get(sheet)
        rows = raw.sheets.get(sheet) or []
        for cell, cached in cells:
            i, j = _cell_ref(cell)
            if layout is not None and not layout.reads(i, j):
                continue
            col = get_column_letter(j + 1)
            if cached and not _empty(_value_at(rows, i, j)):
                issues.append(Issue("warning", sheet, i + 1, col, "", "formula_cached"))
            else:
                issues.append(Issue("error", sheet, i + 1, col, "", "formula_not_computed"))


# Cells the loader does not read, by where they are: (key for one cell, key for several); the
# texts are the catalogue's validate.<key>.*.
UNREAD = {
    "column": ("cell_unread_column", "cells_unread_column"),
    "above": ("cell_above_header", "cells_above_header"),
    "report": ("cell_unread_report", "cells_unread_report"),
    "template": ("cell_unread_template", "cells_unread_template"),
}
_LISTED = 5  # cells quoted in a grouped message; the issue keeps them all for the annotated copy


def _quote(v) -> str:
    text = _show(v)
    return text if len(text) <= 30 else text[:27] + "..."


def _listing(found: list[tuple[int, int, object]]) -> str:
    shown = ", ".join(f"{get_column_letter(j + 1)}{i + 1} {_quote(v)!r}" for i, j, v in found[:_LISTED])
    return shown + (", …" if len(found) > _LISTED else "")


def _report_unread(issues: list[Issue], sheet: str, kind: str, found: list[tuple[int, int, object]]) -> None:
    """One warning for a group of unread cells (one column, or the rows above a header)."""
    one, many = UNREAD[kind]
    i, j, v = found[0]
    refs = tuple(f"{get_column_letter(c + 1)}{r + 1}" for r, c, _ in found)
    if len(found) == 1:
        key, params = one, {"text": _quote(v), "sheet": sheet, "cell": refs[0]}
    else:
        key = many
        params = {"count": len(found), "column": get_column_letter(j + 1), "sheet": sheet, "first": refs[0],
                  "last": refs[-1], "cells": _listing(found)}
    issues.append(Issue("warning", sheet, i + 1, get_column_letter(j + 1), _show(v), key, params, refs))


def _filled(rows: list[list], formulas: set, region) -> list[tuple[int, int, object]]:
    """(row, column, value) of every filled cell in `region` (a predicate on 0-based row, column),
    in row order; a formula without a saved value counts as filled ("=…")."""
    found = [(i, j, v) for i, row in enumerate(rows) for j, v in enumerate(row)
             if not _empty(v) and region(i, j)]
    blank_formulas = [(i, j, "=…") for i, j in formulas if region(i, j) and _empty(_value_at(rows, i, j))]
    return sorted(found + blank_formulas, key=itemgetter(0, 1)) if blank_formulas else found


def _by_column(found: list[tuple[int, int, object]]) -> list[list[tuple[int, int, object]]]:
    groups: dict[int, list] = {}
    for cell in found:
        groups.setdefault(cell[1], []).append(cell)
    return [groups[j] for j in sorted(groups)]


def _is_problems_sheet(name: str, rows: list[list]) -> bool:
    """The Problems sheet of an annotated copy (etl.annotate) uploaded again after the fixes."""
    return (name.startswith("Problems") and len(rows) > 1
            and [str(v) for v in rows[1][:3]] == ["Severity", "Sheet", "Cell"])


def _unread_cells(raw: RawWorkbook, layouts: dict, issues: list[Issue]) -> None:
    """Every filled cell the loader does not read is reported, grouped by column (issue 12)."""
    formulas = {sheet: {_cell_ref(c) for c, _ in cells} for sheet, cells in raw.formulas.items()}
    read_names = {spec.REPORT_SHEET.casefold(), *(s.name.casefold() for s in spec.TABLE_SHEETS)}
    read_folded = {n.strip().casefold() for n in layouts}
    for name in raw.order:
        rows = raw.sheets.get(name) or []
        folded = name.strip().casefold()
        f = formulas.get(name, set())
        layout = layouts.get(name)
        if folded == spec.KEY_SHEET.casefold() or _is_problems_sheet(name, rows):
            continue
        if layout is not None and layout.report_cells is not None:
            done = layout.report_cells
            for group in _by_column(_filled(rows, f, lambda i, j, done=done: (i, j) not in done)):
                _report_unread(issues, layout.sheet, "report", group)
        elif layout is not None:
            h, read = layout.header_row, layout.read_columns
            above = _filled(rows[:h], f, lambda i, j, h=h: i < h)
            if above:
                _report_unread(issues, layout.sheet, "above", above)
            unread = [j for j in range(layout.width) if j not in read]
            if unread or f:
                data = [(i, j, row[j]) for j in unread for i, row in enumerate(rows[h + 1:], start=h + 1)
                        if j < len(row) and not _empty(row[j])]
                data += [(i, j, "=…") for i, j in f
                         if i > h and j not in read and _empty(_value_at(rows, i, j))]
                for group in _by_column(sorted(data, key=itemgetter(0, 1))):
                    _report_unread(issues, layout.sheet, "column", group)
        elif folded in read_names:
            # a template sheet that could not be read (its errors say why), unless another sheet
            # of the same name was read: then this one is an extra sheet
            if folded in read_folded:
                _sheet_unread(issues, name, _filled(rows, f, lambda i, j: True))
        elif folded == spec.INSTRUCTIONS_SHEET.casefold():
            # the template writes its instructions in columns A and B (in the template's language)
            for group in _by_column(_filled(rows, f, lambda i, j: j > 1)):
                _report_unread(issues, name, "template", group)
        elif folded == spec.LISTS_SHEET.casefold():
            # the template writes one list per column: its name in row 1 ("list_..."), its items
            # below without a gap; anything else was typed there
            ends = {}
            for j, head in enumerate(rows[0] if rows else []):
                if isinstance(head, str) and head.startswith("list_"):
                    i = 1
                    while i < len(rows) and j < len(rows[i]) and not _empty(rows[i][j]):
                        i += 1
                    ends[j] = i
            for group in _by_column(_filled(rows, f, lambda i, j, ends=ends: j not in ends or i >= ends[j])):
                _report_unread(issues, name, "template", group)
        else:
            _sheet_unread(issues, name, _filled(rows, f, lambda i, j: True))


def _sheet_unread(issues: list[Issue], name: str, found: list[tuple[int, int, object]]) -> None:
    if not found:
        return
    params = {"sheet": name, "count": len(found), "cells": _listing(found)}
    i, j, v = found[0]
    refs = tuple(f"{get_column_letter(c + 1)}{r + 1}" for r, c, _ in found)
    issues.append(Issue("warning", name, i + 1, get_column_letter(j + 1), _show(v), "sheet_unread", params, refs))


def _key_check(raw: RawWorkbook, header: dict, layouts: dict, ref: Reference, issues: list[Issue]) -> None:
    """The hidden key sheet says what the file was made for; the visible Theme and Reporting sector
    must still say the same (a changed period is fine: last quarter's file is reused)."""
    name = next((n for n in raw.order if n.strip().casefold() == spec.KEY_SHEET.casefold()), None)
    if name is None:  # an older template, or a file rebuilt by hand: nothing to compare with
        return
    key = {str(r[0]).strip(): str(r[1]).strip() for r in raw.sheets.get(name, [])
           if len(r) > 1 and not _empty(r[0]) and not _empty(r[1])}
    rows = next((x.field_rows for x in layouts.values() if x.report_cells is not None), {})
    made = {"key_theme": key.get("theme", ""), "key_theme_name": ref.theme_names.get(key.get("theme", ""), ""),
            "key_sector": key.get("sector", ""), "key_period": key.get("period", "")}
    for field, issue_key in (("theme", "key_theme_mismatch"), ("sector", "key_sector_mismatch")):
        if not key.get(field) or not header.get(field) or key[field] == header[field]:
            continue
        if field == "theme" and header["theme"] in _successors(ref, key["theme"]):
            continue  # made for a theme since renamed or merged: filed under its successor
        params = {**made, "theme": str(header.get("theme") or ""), "sector": str(header.get("sector") or ""),
                  "period": str(header.get("period") or made["key_period"]), "value": header[field]}
        issues.append(Issue("error", spec.REPORT_SHEET, rows.get(field), "B", header[field], issue_key, params))


def _successors(ref: Reference, theme: str) -> set[str]:
    """The themes that took over `theme` (renamed or merged), one after the other."""
    by_code = {t["code"]: t for t in ref["themes"]}
    out: set[str] = set()
    while (succ := (by_code.get(theme) or {}).get("successor")) and succ not in out:
        out.add(succ)
        theme = succ
    return out


def _owner_check(header: dict, layouts: dict, ref: Reference, issues: list[Issue]) -> None:
    """A report is accepted only from a (theme, Sector) with a focal point assignment valid in its
    period (issue 11 item 5): data/reference/focal_points.csv."""
    from etl.reference import ASSIGNMENTS_MAINTAINER

    theme, sector, period = header.get("theme"), header.get("sector"), header.get("period")
    if not (theme and sector and period) or ref.assignment(theme, sector, period) is not None:
        return
    rows = next((x.field_rows for x in layouts.values() if x.report_cells is not None), {})
    others = ", ".join(dict.fromkeys(ref.participants(theme, period)))
    params = {"theme": theme, "theme_name": ref.theme_names.get(theme, theme), "sector": sector,
              "period": period, "sectors": others, "maintainer": ASSIGNMENTS_MAINTAINER}
    if others:
        issues.append(Issue("error", spec.REPORT_SHEET, rows.get("sector"), "B", sector, "no_assignment", params))
    else:
        issues.append(Issue("error", spec.REPORT_SHEET, rows.get("theme"), "B", theme, "no_assignment_none", params))


def _empty_report(layouts: dict, issues: list[Issue]) -> None:
    """A report with no activity and no indicator is refused: the theme's status would be computed
    from nothing."""
    h = next((x.header_row for x in layouts.values() if x.sheet == spec.ACTIVITIES.name), 0)
    issues.append(Issue("error", spec.ACTIVITIES.name, h + 2, "A", "", "report_empty"))


def validate(raw: RawWorkbook, ref: Reference) -> Validation:
    issues: list[Issue] = []
    layouts: dict[str, _Layout] = {}  # sheet name in the file -> what was read of it
    header = _header(raw, ref, issues, layouts)
    tables = {s.key: _table(raw, s, ref, issues, layouts) for s in spec.TABLE_SHEETS}
    if header is not None:
        _key_check(raw, header, layouts, ref, issues)
        _owner_check(header, layouts, ref, issues)
    if tables["activities"] == [] and tables["indicators"] == []:
        _empty_report(layouts, issues)
    formulas: list[Issue] = []
    _formula_issues(raw, layouts, formulas)
    issues[:0] = formulas
    _unread_cells(raw, layouts, issues)
    if header is None or any(v is None for v in tables.values()):
        return Validation(None, issues)
    report = spec.ReportData(header=header, **tables)
    _cross_checks(report, issues)
    if any(i.severity == "error" for i in issues):
        return Validation(None, issues)
    return Validation(report, issues)
