"""Build good and deliberately broken theme-report workbooks for the tests.

Every workbook starts from the real template writer (etl.template.build_template) with a
pre-filled ReportData, so a "good" file is exactly what a focal point would upload; the tests
then break one thing at a time with openpyxl and save the result as real .xlsx bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook

from etl import spec
from etl.reference import Reference
from etl.template import build_template

REF = Reference.load()
THEME, PERIOD, SECTOR = "CLIM", "2025-Q3", "ITU-T"

# Column letters of the template, by sheet and key (A, B, ... in declared order).
COLUMNS = {s.name: {c.key: chr(ord("A") + i) for i, c in enumerate(s.columns)} for s in spec.TABLE_SHEETS}
# Row of each header field on the Report sheet.
HEADER_ROWS = {f.key: i for i, f in enumerate(spec.HEADER_FIELDS, start=1)}


def activity(i: int, **over) -> dict:
    rec = {
        "activity_id": f"A-{i:02d}",
        "title": f"Joint activity {i}",
        "description": "Illustrative test activity",
        "lead_sector": "ITU-T",
        "role_ITU-D": "Joint",
        "role_ITU-R": "Partner",
        "status": "In progress",
        "start_date": dt.date(2025, 1, 1),
        "end_date": dt.date(2026, 6, 30),
        "percent_complete": 40,
        "result": "",
    }
    rec.update(over)
    return rec


def indicator(i: int, **over) -> dict:
    rec = {
        "indicator_id": f"I-{i}",
        "name": f"Joint events {i}",
        "unit": "events",
        "baseline": 0,
        "baseline_date": dt.date(2025, 1, 1),
        "target": 10,
        "target_date": dt.date(2026, 12, 31),
        "actual": 4,
        "comment": "",
    }
    rec.update(over)
    return rec


def report(n_activities: int = 3, n_indicators: int = 2, summary: str = "Test report") -> spec.ReportData:
    return spec.ReportData(
        {"self_status": "On track", "summary": summary, "prepared_by": "Test focal point"},
        [activity(i) for i in range(1, n_activities + 1)],
        [indicator(i) for i in range(1, n_indicators + 1)],
        [
            {
                "title": "Joint publication",
                "description": "Published",
                "date": dt.date(2025, 9, 1),
                "link": "https://example.org/pub",
            }
        ],
        [
            {
                "kind": "Risk",
                "description": "Budget cut",
                "severity": "High",
                "mitigation": "Re-plan",
                "owner": "TSB",
                "due_date": dt.date(2025, 12, 31),
            }
        ],
    )


def workbook(
    prefill: spec.ReportData | None = None, theme: str = THEME, period: str = PERIOD, sector: str = SECTOR
) -> Workbook:
    """The template for (theme, period, sector), filled with `prefill` (default: report())."""
    return build_template(REF, theme, period, sector, prefill if prefill is not None else report(),
                          made_at=MADE_AT)


MADE_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # the key sheet's "made at": one for every test file


def to_bytes(wb: Workbook) -> bytes:
    """The workbook's bytes, the same for the same content: openpyxl stamps the zip entries and
    docProps with the current time, so two builds a second apart would be two different files."""
    wb.properties.created = dt.datetime(2026, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            fixed.compress_type = info.compress_type
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl sets "modified" to now on save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", data)
            dst.writestr(fixed, data)
    return out.getvalue()


def save(wb: Workbook, path: Path) -> Path:
    path = Path(path)
    path.write_bytes(to_bytes(wb))
    return path


def good_bytes(**kw) -> bytes:
    return to_bytes(workbook(**kw))


def cell(table: str, key: str, row: int) -> str:
    """Address of a table column's cell, e.g. cell("Activities", "title", 2) == "B2"."""
    return f"{COLUMNS[table][key]}{row}"


def set_header(wb: Workbook, key: str, value) -> None:
    wb[spec.REPORT_SHEET][f"B{HEADER_ROWS[key]}"] = value


def set_cell(wb: Workbook, table: str, key: str, row: int, value) -> None:
    wb[table][cell(table, key, row)] = value
