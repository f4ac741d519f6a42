"""The template workbook: structure, dropdowns, hidden lists, version stamp; opens in LibreOffice.

Issue 12: the hidden key sheet, protection without a password, data validation with input
messages, a print layout one page wide, and the template in French."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from etl import spec
from etl.load import check
from etl.reader import read_workbook
from etl.template import (
    BLANK_ROWS,
    CHOICE_LISTS,
    build_template,
    choice_labels,
    template_bytes,
    write_template,
)
from isc import i18n
from tests import workbooks as W


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.xlsx"
    return write_template(path, W.REF, W.THEME, W.PERIOD, W.SECTOR)


@pytest.fixture(scope="module")
def french(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "modele.xlsx"
    return write_template(path, W.REF, W.THEME, W.PERIOD, W.SECTOR, W.report(), lang="fr")


def validations(ws, types: tuple[str, ...] | None = None) -> dict[str, tuple[str, str]]:
    """First cell of each validated range -> (type, formula1); only `types` when given."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        if types and dv.type not in types:
            continue
        for rng in dv.sqref.ranges:
            out[rng.coord] = (dv.type, dv.formula1)
    return out


def validation_of(ws, cell: str):
    """The data validation covering `cell` (one per cell in a template)."""
    found = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) == 1, (ws.title, cell, found)
    return found[0]


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
        "_key",
    ]
    assert [*spec.SHEET_ORDER, spec.KEY_SHEET] == wb.sheetnames
    assert wb["Lists"].sheet_state == "hidden"
    assert wb[spec.KEY_SHEET].sheet_state == "veryHidden"
    assert all(wb[n].sheet_state == "visible" for n in spec.SHEET_ORDER if n != "Lists")
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
    assert validations(wb["Report"], ("list",)) == {
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
    assert validations(wb["Indicators"], ("list",)) == {
        f"C2:C{last}": ("list", "=list_unit"),
        f"J2:J{last}": ("list", "=list_combine"),
    }
    assert validations(wb["Risks"], ("list",)) == {
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
    assert wb.sheetnames == [*spec.SHEET_ORDER, spec.KEY_SHEET]
    assert wb["Lists"].sheet_state == "hidden"
    assert wb["Report"]["B1"].value == spec.TEMPLATE_VERSION
    act = validations(wb["Activities"])
    assert any(t == "list" for t, _ in act.values())
    # the key sheet survives with its values: LibreOffice saves "veryHidden" as plain "hidden"
    # (it has no very hidden state) and keeps its protection
    key = wb[spec.KEY_SHEET]
    assert key.sheet_state in ("hidden", "veryHidden")
    assert key.protection.sheet
    assert [(key.cell(r, 1).value, key.cell(r, 2).value) for r in range(1, 5)] == [
        ("template_version", spec.TEMPLATE_VERSION), ("theme", W.THEME), ("period", W.PERIOD), ("sector", W.SECTOR)]
    raw = read_workbook(converted.read_bytes())
    assert raw.sheets[spec.KEY_SHEET][0] == ["template_version", spec.TEMPLATE_VERSION]
    # protection, its allowances, the unlocked input cells and the print layout survive too
    report, acts = wb["Report"], wb["Activities"]
    assert report.protection.sheet and acts.protection.sheet
    assert [report[f"B{r}"].protection.locked for r in range(1, 8)] == [True] * 4 + [False] * 3
    assert acts["A1"].protection.locked and not acts["A2"].protection.locked
    assert not (acts.protection.insertRows or acts.protection.deleteRows or acts.protection.sort)
    assert acts.page_setup.orientation == "landscape" and acts.print_title_rows == "$1:$1"
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


# --- issue 12: a template that knows what it is for -------------------------------------------


def test_key_sheet_very_hidden_and_protected_with_what_the_file_was_made_for(blank):
    ws = load_workbook(blank)[spec.KEY_SHEET]
    assert ws.sheet_state == "veryHidden"
    assert ws.protection.sheet and ws.protection.password is None
    pairs = [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(1, 6)]
    assert [k for k, _ in pairs] == list(spec.KEY_FIELDS)
    values = dict(pairs)
    assert (values["template_version"], values["theme"], values["period"], values["sector"]) == (
        spec.TEMPLATE_VERSION, "CLIM", "2025-Q3", "ITU-T")
    made = dt.datetime.fromisoformat(values["made_at"])
    assert made.tzinfo is not None and abs(dt.datetime.now(dt.UTC) - made) < dt.timedelta(hours=1)
    assert ws.max_row == 5 and ws.max_column == 2  # nothing else in A1:B5's sheet
    # the reader (python-calamine) sees it, as a hidden sheet
    raw = read_workbook(blank.read_bytes())
    assert spec.KEY_SHEET in raw.hidden
    assert raw.sheets[spec.KEY_SHEET][1] == ["theme", "CLIM"]


def test_made_at_can_be_given():
    at = dt.datetime(2025, 10, 1, 9, 30, tzinfo=dt.UTC)
    ws = build_template(W.REF, W.THEME, W.PERIOD, W.SECTOR, made_at=at)[spec.KEY_SHEET]
    assert ws["B5"].value == "2025-10-01T09:30:00+00:00"


# --- protection -----------------------------------------------------------------------------------


def test_every_sheet_protected_without_a_password(blank):
    wb = load_workbook(blank)
    for ws in wb:
        p = ws.protection
        assert p.sheet, ws.title
        assert p.password is None and p.hashValue is None, ws.title
        assert p.formatColumns is False and p.formatRows is False  # columns and rows can be resized


def test_report_key_cells_locked_and_inputs_unlocked(blank):
    ws = load_workbook(blank)["Report"]
    rows = W.HEADER_ROWS
    for key in ("template_version", "theme", "period", "sector"):
        cell = ws[f"B{rows[key]}"]
        assert cell.protection.locked, key
        assert cell.value and not cell.protection.hidden, key  # locked, still shown
    for key in ("self_status", "summary", "prepared_by"):
        assert not ws[f"B{rows[key]}"].protection.locked, key
    for r in range(1, len(spec.HEADER_FIELDS) + 1):
        assert ws.cell(r, 1).protection.locked  # labels
        assert ws.cell(r, 3).protection.locked and ws.cell(r, 3).value  # what to enter


def test_table_headers_locked_and_rows_unlocked_with_row_work_allowed():
    wb = build_template(W.REF, W.THEME, W.PERIOD, W.SECTOR, W.report())
    for sheet in spec.TABLE_SHEETS:
        ws = wb[sheet.name]
        n = len(sheet.columns)
        assert all(ws.cell(1, c).protection.locked for c in range(1, n + 1)), sheet.name
        # filled cells, and every column's default style (new rows, any number of them)
        for r in range(2, ws.max_row + 1):
            assert not any(ws.cell(r, c).protection.locked for c in range(1, n + 1)), (sheet.name, r)
        for c in range(1, n + 1):
            assert not ws.column_dimensions[get_column_letter(c)].protection.locked
        # the columns right of the table too, so whole rows can be deleted
        rest = ws.column_dimensions[get_column_letter(n + 1)]
        assert (rest.min, rest.max, rest.protection.locked) == (n + 1, 16384, False)
        p = ws.protection
        assert not (p.insertRows or p.deleteRows or p.sort or p.autoFilter), sheet.name  # allowed
        assert p.insertColumns and p.deleteColumns  # not allowed: the headers stay as they are
        assert ws.auto_filter.ref == f"A1:{get_column_letter(n)}{ws.max_row + BLANK_ROWS}"


# --- data validation -------------------------------------------------------------------------------


def test_dates_and_numbers_are_validated_with_an_input_message(blank):
    wb = load_workbook(blank)
    last = 1 + BLANK_ROWS
    lo, hi = str(int(to_excel(dt.date(2000, 1, 1)))), str(int(to_excel(dt.date(2040, 12, 31))))
    seen = set()
    for sheet in spec.TABLE_SHEETS:
        ws = wb[sheet.name]
        for i, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(i)
            dv = validation_of(ws, f"{letter}2")
            assert str(dv.sqref) == f"{letter}2:{letter}{last}"
            # every column says what it expects, briefly
            assert dv.showInputMessage and dv.prompt and len(dv.prompt) <= 255, column.header
            assert dv.promptTitle == column.header[:32]
            assert dv.showErrorMessage and dv.error
            seen.add(column.kind)
            if column.kind == "date":
                assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("date", "between", lo, hi)
                assert dv.prompt.startswith("A date, e.g. 2025-09-30")
                assert ws.column_dimensions[letter].number_format == "yyyy-mm-dd"
            elif column.kind == "number":
                assert (dv.type, dv.operator) == ("decimal", "between")
                assert float(dv.formula1) < 0 < 1e9 < float(dv.formula2)
            elif column.kind == "percent":
                assert (dv.type, dv.formula1, dv.formula2) == ("decimal", "0", "100")
            elif column.kind == "text":
                assert (dv.type, dv.operator, dv.formula1) == ("textLength", "lessThanOrEqual",
                                                                str(column.max_length))
            else:
                assert dv.type == "list"
            if column.required:
                assert dv.prompt.endswith("Required."), column.header
    assert {"date", "number", "percent", "text", "enum", "sector"} <= seen
    # the Report's inputs too
    report = wb["Report"]
    assert validation_of(report, "B5").prompt
    assert validation_of(report, "B7").type == "textLength"


# --- print layout -----------------------------------------------------------------------------------


def test_every_sheet_prints_landscape_a4_one_page_wide(blank):
    wb = load_workbook(blank)
    for name in spec.SHEET_ORDER:
        if name == spec.LISTS_SHEET:
            continue
        ws = wb[name]
        setup = ws.page_setup
        assert (setup.orientation, int(setup.paperSize)) == ("landscape", 9), name  # 9: A4
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert 0.3 <= ws.page_margins.left <= 0.8 and 0.3 <= ws.page_margins.top <= 1, name
    for sheet in spec.TABLE_SHEETS:
        assert wb[sheet.name].print_title_rows == "$1:$1"
        assert wb[sheet.name].print_options.gridLines
    # the instructions: wrapped, spanning the width, every row as tall as its text
    ins = wb[spec.INSTRUCTIONS_SHEET]
    assert ins.column_dimensions["A"].width + ins.column_dimensions["B"].width >= 120
    for row in ins.iter_rows():
        for cell in row:
            if cell.value:
                assert cell.alignment.wrap_text, cell.coordinate
                assert ins.row_dimensions[cell.row].height, cell.coordinate
    assert "A4:B4" in {str(r) for r in ins.merged_cells.ranges}


PDFINFO = shutil.which("pdfinfo")


def _soffice(tmp_path, fmt: str, src: Path, out: Path) -> None:
    r = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
         "--norestore", "--convert-to", fmt, "--outdir", str(out), str(src)],
        capture_output=True, text=True, timeout=180,
    )
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(SOFFICE is None or PDFINFO is None, reason="needs LibreOffice (soffice) and pdfinfo (poppler-utils)")
def test_a_filled_french_template_prints_on_a_handful_of_pages(tmp_path):
    """16 pages before issue 12 (instruction lines running off the page, every sheet cut in
    pieces); now the instructions take two pages and every other sheet one."""
    src = write_template(tmp_path / "rapport.xlsx", W.REF, W.THEME, W.PERIOD, W.SECTOR, W.report(), lang="fr")
    _soffice(tmp_path, "pdf", src, tmp_path)
    info = subprocess.run([PDFINFO, str(tmp_path / "rapport.pdf")], capture_output=True, text=True, check=True)
    pages = int(next(line.split()[1] for line in info.stdout.splitlines() if line.startswith("Pages:")))
    assert pages <= 8, pages


# --- the template in French --------------------------------------------------------------------------


def test_every_choice_has_one_french_label_and_the_aliases_are_consistent():
    aliases = spec.CHOICE_ALIASES["fr"]
    labels = choice_labels("fr")
    canonical = {v for choices in CHOICE_LISTS.values() for v in choices}
    assert set(aliases.values()) <= canonical
    assert canonical <= set(labels)  # every value of every list has a French label
    for name, choices in CHOICE_LISTS.items():
        offered = [labels[c] for c in choices]
        assert len(set(offered)) == len(offered), name  # no two values look alike in one list
    # a label that is also an English value means that same value
    for label, value in aliases.items():
        if label in canonical:
            assert value == label, label
    assert labels["number"] == "nombre" and labels["CHF"] == "CHF" and labels["%"] == "%"
    assert choice_labels("en") == {}


def test_french_template_offers_french_dropdowns_with_canonical_structure(french):
    wb = load_workbook(french)
    aliases = spec.CHOICE_ALIASES["fr"]
    lists = wb["Lists"]
    columns = {lists.cell(1, c).value: [lists.cell(r, c).value for r in range(2, lists.max_row + 1)
                                         if lists.cell(r, c).value] for c in range(1, lists.max_column + 1)}
    for name, choices in CHOICE_LISTS.items():
        offered = columns[name]
        assert all(label in aliases for label in offered), (name, offered)
        assert [aliases[label] for label in offered] == list(choices), name
    assert columns["list_status"][0] == "En bonne voie"
    assert columns["list_sector"] == list(W.REF.sector_codes)
    assert "CLIM - Changements climatiques et durabilité environnementale" in columns["list_theme"]
    # sheet names, column headers and Report labels stay the canonical English ones
    assert wb.sheetnames == [*spec.SHEET_ORDER, spec.KEY_SHEET]
    for sheet in spec.TABLE_SHEETS:
        assert [c.value for c in wb[sheet.name][1]] == [c.header for c in sheet.columns]
    assert [wb["Report"].cell(r, 1).value for r in range(1, 8)] == [f.label for f in spec.HEADER_FIELDS]
    # ... with the French next to them: the Report's third column, headers' notes, input messages
    assert wb["Report"]["C5"].value.startswith("Statut auto-évalué : ")
    acts = wb["Activities"]
    assert acts["A1"].comment.text.startswith("Identifiant de l'activité\n")
    dv = validation_of(acts, "K2")
    assert (dv.promptTitle, dv.prompt) == ("Date de début", "Une date, p. ex. 2025-09-30.")
    assert validation_of(acts, "A2").prompt.endswith("Obligatoire.")
    assert validation_of(acts, "J2").error == "Choisissez une valeur dans la liste."
    # pre-filled values in French, free text untouched
    assert wb["Report"]["B5"].value == "En bonne voie"
    assert (acts["J2"].value, acts["E2"].value, acts["G2"].value) == ("En cours", "Partenaire", "Conjoint")
    assert wb["Indicators"]["C2"].value == "événements"
    assert (wb["Risks"]["A2"].value, wb["Risks"]["C2"].value) == ("Risque", "Élevé")
    assert acts["B2"].value == "Joint activity 1"
    # the instructions in French
    ins = wb["Instructions"]
    assert ins["A1"].value.startswith("Rapport thématique de l'ISC")
    assert "Version du modèle 1.1" in ins["A2"].value
    texts = " ".join(str(c.value) for row in ins.iter_rows() for c in row if c.value)
    assert "Téléversez" in texts and "Upload the file" not in texts


def test_a_filled_french_template_round_trips_through_the_validator():
    data = template_bytes(W.REF, W.THEME, W.PERIOD, W.SECTOR, W.report(n_activities=4), lang="fr")
    v = check(data, W.REF)
    assert v.ok and v.issues == [], [str(i) for i in v.issues]
    # the canonical values are stored, whatever language the file was in
    assert v.report.header["self_status"] == "On track"
    assert [a["status"] for a in v.report.activities] == ["In progress"] * 4
    assert v.report.activities[0]["role_ITU-R"] == "Partner"
    assert v.report.indicators[0]["unit"] == "events"
    assert (v.report.risks[0]["kind"], v.report.risks[0]["severity"]) == ("Risk", "High")
    # and a person picking every French value of a list in a blank French template
    wb = build_template(W.REF, W.THEME, W.PERIOD, W.SECTOR, lang="fr")
    labels = choice_labels("fr")
    wb["Report"]["B5"] = labels["At risk"]
    ws = wb["Indicators"]
    for r, (unit, combine) in enumerate(zip(spec.UNITS, [*spec.COMBINE_CHOICES] * 2, strict=False), start=2):
        values = [f"I-{r}", f"Indicateur {r}", labels[unit], 0, dt.date(2025, 1, 1), 10, dt.date(2026, 12, 31),
                  5, "", labels[combine]]
        for c, value in enumerate(values, start=1):
            ws.cell(r, c, value)
    buf = io.BytesIO()
    wb.save(buf)
    v = check(buf.getvalue(), W.REF)
    assert v.ok, [str(i) for i in v.errors]
    assert [i["unit"] for i in v.report.indicators] == list(spec.UNITS)
    assert [i["combine"] for i in v.report.indicators] == [*spec.COMBINE_CHOICES] * 2
    assert v.report.header["self_status"] == "At risk"


def test_english_texts_of_the_catalogue_mirror_the_spec():
    """The English template uses the spec's own help; the catalogue's English entries must say
    the same so that translators translate what is shown (a changed help in spec.py fails here
    until en.json and fr.json follow)."""
    en, fr = i18n.catalogue("en"), i18n.catalogue("fr")
    for sheet in spec.TABLE_SHEETS:
        assert en[f"template.sheet.{sheet.key}.help"] == sheet.help
        for c in sheet.columns:
            key = f"template.col.{sheet.key}.{c.key}"
            assert en[f"{key}.label"] == c.header and fr[f"{key}.label"], key
            if c.help:
                assert en[f"{key}.help"] == c.help and fr[f"{key}.help"], key
    for f in spec.HEADER_FIELDS:
        assert en[f"template.field.{f.key}.label"] == f.label
        if f.help and f"template.field.{f.key}.help" in en:
            assert en[f"template.field.{f.key}.help"] == f.help
    template_keys = {k for k in en if k.startswith("template.")}
    assert template_keys == {k for k in fr if k.startswith("template.")}


def test_unknown_language_falls_back_to_english():
    wb = build_template(W.REF, W.THEME, W.PERIOD, W.SECTOR, lang="xx")
    assert wb["Instructions"]["A1"].value.startswith("ISC theme report")
    assert validation_of(wb["Activities"], "J2").error == "Pick a value from the list."


def test_cli_writes_a_french_template_prefilled_from_the_database(tmp_path, monkeypatch):
    from etl import cli
    from isc.db import uploads

    asked = []

    def prefill(theme, period, sector, db=None):
        asked.append((theme, period, sector, db))
        return W.report()

    monkeypatch.setattr(uploads, "prefill_report", prefill)
    out = tmp_path / "modele.xlsx"
    argv = ["template", "--theme", "CLIM", "--period", "2025-Q3", "--sector", "ITU-T", "--out", str(out)]
    assert cli.main([*argv, "--lang", "fr", "--db", str(tmp_path / "x.duckdb")]) == 0
    assert asked == [("CLIM", "2025-Q3", "ITU-T", str(tmp_path / "x.duckdb"))]
    wb = load_workbook(out)
    assert wb["Activities"]["J2"].value == "En cours"
    assert wb["Instructions"]["A1"].value.startswith("Rapport thématique")
    assert cli.main([*argv, "--lang", "xx"]) == 2
