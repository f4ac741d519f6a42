"""The template workbook: structure, dropdowns, hidden lists, version stamp; opens in LibreOffice."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from etl import spec
from etl.load import check
from etl.template import BLANK_ROWS, template_bytes, write_template
from tests import workbooks as W


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.xlsx"
    return write_template(path, W.REF, W.THEME, W.PERIOD, W.SECTOR)


def validations(ws) -> dict[str, tuple[str, str]]:
    """First cell of each validated range -> (type, formula1)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[rng.coord] = (dv.type, dv.formula1)
    return out


def test_sheets_in_order_and_lists_hidden(blank):
    wb = load_workbook(blank)
    assert wb.sheetnames == [
        "Instructions",
        "Report",
        "Activities",
        "Indicators",
        "Results",
        "Risks",
        "Lists",
    ]
    assert list(spec.SHEET_ORDER) == wb.sheetnames
    assert wb["Lists"].sheet_state == "hidden"
    assert all(wb[n].sheet_state == "visible" for n in wb.sheetnames if n != "Lists")
    assert wb.active.title == "Report"


def test_version_stamp_and_header(blank):
    ws = load_workbook(blank)["Report"]
    labels = [ws.cell(r, 1).value for r in range(1, len(spec.HEADER_FIELDS) + 1)]
    assert labels == [f.label for f in spec.HEADER_FIELDS]
    assert (ws["A1"].value, ws["B1"].value) == ("Template version", spec.TEMPLATE_VERSION)
    assert ws["B2"].value == "CLIM - Climate Change & Environmental Sustainability"
    assert (ws["B3"].value, ws["B4"].value) == ("2025-Q3", "ITU-T")
    assert f"Template version {spec.TEMPLATE_VERSION}" in load_workbook(blank)["Instructions"]["A2"].value


def test_table_headers(blank):
    wb = load_workbook(blank)
    for sheet in spec.TABLE_SHEETS:
        ws = wb[sheet.name]
        assert [c.value for c in ws[1]] == [c.header for c in sheet.columns]
        assert ws.freeze_panes == "A2"


def test_dropdowns_on_every_enumerated_field(blank):
    wb = load_workbook(blank)
    last = 1 + BLANK_ROWS
    assert validations(wb["Report"]) == {
        "B2": ("list", "=list_theme"),
        "B4": ("list", "=list_sector"),
        "B5": ("list", "=list_status"),
    }
    act = validations(wb["Activities"])
    assert act[f"D2:D{last}"] == ("list", "=list_sector")
    for col in "EFGHI":  # the five sector role columns
        assert act[f"{col}2:{col}{last}"] == ("list", "=list_role")
    assert act[f"J2:J{last}"] == ("list", "=list_activity_status")
    assert act[f"M2:M{last}"] == ("decimal", "0")
    assert validations(wb["Indicators"]) == {f"C2:C{last}": ("list", "=list_unit")}
    assert validations(wb["Risks"]) == {
        f"A2:A{last}": ("list", "=list_risk_kind"),
        f"C2:C{last}": ("list", "=list_severity"),
    }
    # every enumerated column of the spec has one
    for sheet in spec.TABLE_SHEETS:
        have = {rng.split(":")[0][0] for rng in validations(wb[sheet.name])}
        enum_cols = {chr(ord("A") + i) for i, c in enumerate(sheet.columns) if c.kind in ("enum", "sector")}
        assert enum_cols <= have, sheet.name


def test_named_lists_point_at_the_hidden_sheet(blank):
    wb = load_workbook(blank)
    lists = wb["Lists"]
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    assert names["list_sector"] == "'Lists'!$B$2:$B$6"
    assert [lists.cell(r, 2).value for r in range(2, 7)] == list(W.REF.sector_codes)
    theme_col = [c.value for c in lists["A"][1:] if c.value]
    assert len(theme_col) == len(W.REF.reportable_themes) == 17
    assert "CLIM - Climate Change & Environmental Sustainability" in theme_col
    assert not any(t.startswith("ENV - ") for t in theme_col)  # history is not offered


def test_prefilled_template_round_trips_through_the_validator():
    data = template_bytes(W.REF, W.THEME, W.PERIOD, W.SECTOR, W.report(n_activities=5))
    v = check(data, W.REF)
    assert v.ok and v.issues == []
    assert [a["activity_id"] for a in v.report.activities] == [f"A-{i:02d}" for i in range(1, 6)]
    assert v.report.header["self_status"] == "On track"
    assert v.report.risks[0]["severity"] == "High"
    ws = load_workbook(io.BytesIO(data))["Activities"]
    assert ws["K2"].number_format == "yyyy-mm-dd"


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed; "
    "apt-get install -y libreoffice-calc-nogui to run this test",
)
def test_template_opens_cleanly_in_libreoffice(tmp_path):
    (tmp_path / "in").mkdir()
    src = write_template(tmp_path / "in" / "report.xlsx", W.REF, W.THEME, W.PERIOD, W.SECTOR, W.report())
    out = tmp_path / "out"
    profile = (tmp_path / "lo-profile").as_uri()
    # round trip: LibreOffice opens the template and saves it as .xlsx again
    r = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert r.returncode == 0, r.stderr
    converted = out / "report.xlsx"
    assert converted.exists(), r.stdout + r.stderr
    wb = load_workbook(converted)
    assert wb.sheetnames == list(spec.SHEET_ORDER)
    assert wb["Lists"].sheet_state == "hidden"
    assert wb["Report"]["B1"].value == spec.TEMPLATE_VERSION
    act = validations(wb["Activities"])
    assert any(t == "list" for t, _ in act.values())
    # and what LibreOffice saved is still a valid report with the same content
    v = check(converted.read_bytes(), W.REF)
    assert v.ok, [str(i) for i in v.errors]
    assert [a["title"] for a in v.report.activities] == [
        "Joint activity 1",
        "Joint activity 2",
        "Joint activity 3",
    ]
    # the Activities sheet as CSV: the header row as written
    r = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,3",
            "--outdir",
            str(tmp_path / "csv"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert r.returncode == 0, r.stderr
    csvs = sorted((tmp_path / "csv").glob("*.csv"))
    assert csvs, r.stdout + r.stderr
    rows = list(csv.reader(csvs[0].open(encoding="utf-8")))
    assert rows[0] == [c.header for c in spec.ACTIVITIES.columns]
    assert rows[1][0] == "A-01"
