"""The Council pack (isc.pack) and the Export page, on real files: a copy of the demo database,
real kaleido/chromium images, .docx/.pptx/.zip read back with python-docx, python-pptx, zipfile
and openpyxl. One pack is rendered per module and shared by the tests.

The pack's database has one theme renamed to a formula-injection string, and after the pack is
built a new report is loaded (a new data version), so the tests can check that the exported
tables are neutralised and that the pack's version still rebuilds with the same numbers."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from etl.load import load_bytes
from isc import export, pack
from isc.db import connection, queries
from isc.filters import Filters
from tests import workbooks as W
from tests.conftest import DEMO_LAST_PERIOD
from tests.test_pages import open_page
from tests.test_report_draft import check_docx

P = str(DEMO_LAST_PERIOD)
INJECTION = '=HYPERLINK("http://x","a")'
THEMES = ("CLIM", "RES")
CHARTS = ("status_counts", "theme_sector", "status_history", "indicators")
N_FIGURES = 2 + 2 * len(THEMES)  # two general charts, two per-theme charts for each theme


@pytest.fixture(scope="module")
def built(demo_master: Path, tmp_path_factory) -> dict:
    """A pack for THEMES built at the current version, then a new upload on top of it."""
    folder = tmp_path_factory.mktemp("pack")
    db = folder / "isc.duckdb"
    shutil.copy2(demo_master, db)
    if (demo_master.parent / "uploads").exists():
        shutil.copytree(demo_master.parent / "uploads", folder / "uploads")
    with connection.write(db) as con:
        con.execute("UPDATE theme SET name = ? WHERE code = 'CLIM'", [INJECTION])
    version = queries.data_version(db)
    steps: list[tuple[float, str]] = []
    result = pack.build_pack(
        db=db, period=P, themes=THEMES, charts=CHARTS, progress=lambda f, m: steps.append((f, m))
    )
    # A new report for CLIM in the same period (ITU-D had not reported): a new data version.
    wb = W.workbook(W.report(n_activities=2, n_indicators=1), theme="CLIM", period=P, sector="ITU-D")
    out = load_bytes(W.to_bytes(wb), "late_report.xlsx", db=db)
    assert out.outcome == "loaded"
    assert queries.data_version(db) == version + 1
    return {"db": db, "pack": result, "version": version, "steps": steps}


def _zip(result: pack.Pack) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(result.files["zip"]))


def test_docx_is_the_council_report_draft_with_numbered_captions_and_tables(built):
    found = check_docx(built["pack"].files["docx"])  # A4, margins, SEQ captions, keep-with-next, widths
    doc = found["doc"]
    assert len(doc.inline_shapes) == N_FIGURES == found["figures"]
    figures = [c for c in found["captions"] if c.startswith("Figure ")]
    assert [c.split(".")[0] for c in figures] == [f"Figure {n}" for n in range(1, N_FIGURES + 1)]
    source = f"data as of {queries.as_of(built['db'], built['version']):%Y-%m-%d} (data version {built['version']})"
    assert all(source in c for c in figures)
    tables = [c for c in found["captions"] if c.startswith("Table ")]
    assert [c.split(".")[0] for c in tables] == ["Table 1", "Table 2"] and len(doc.tables) == 2
    # The Council document's front matter and sections; what the data says is filled in.
    text = found["text"]
    for heading in ("Report by the Secretary-General", "Summary", "Action required by the Council",
                    "Relevant link(s) with the Strategic Plan", "Financial implications", "References",
                    "1 Background", "2 Coordination within the secretariat", "3 Coordination among the membership",
                    "4 Overlapping functions and activities", "Annex"):  # fmt: skip
        assert heading in text, heading
    ts = queries.theme_status(Filters(P), db=built["db"], version=built["version"])
    ts = ts[ts["theme"].isin(THEMES)]
    n_in = int((ts["sectors_reported"] > 0).sum())
    assert f"In {P}, {n_in} of the {len(THEMES)} themes monitored reported to the ISC-TF" in text
    assert "pairs of activities reported by different Sectors were reviewed" in text
    assert "reports due were received" in text
    assert text.count("[") >= 5  # placeholders for what the data cannot say
    themes_table = doc.tables[0]
    assert [c.text for c in themes_table.rows[0].cells][:3] == ["Theme", "Track", "Computed status"]
    assert len(themes_table.rows) == 1 + len(THEMES)
    assert all(abs(s.width.cm - 16.0) < 0.01 for s in doc.inline_shapes)


def test_pptx_has_one_picture_per_chart_slide(built):
    from pptx import Presentation

    prs = Presentation(io.BytesIO(built["pack"].files["pptx"]))
    assert prs.slide_width / prs.slide_height == pytest.approx(16 / 9, abs=0.01)
    slides = list(prs.slides)[1:]  # after the cover
    assert len(slides) == N_FIGURES
    for n, slide in enumerate(slides, start=1):
        assert len([s for s in slide.shapes if s.shape_type == 13]) == 1
        assert slide.shapes.title.text.startswith(f"Figure {n}.")


def test_zip_has_png_svg_and_data_per_figure_and_a_manifest(built):
    zf = _zip(built["pack"])
    names = set(zf.namelist())
    stems = [f"figure_{n:02d}" for n in range(1, N_FIGURES + 1)]
    assert names == {f"{s}.{ext}" for s in stems for ext in ("png", "svg", "csv", "xlsx")} | {"manifest.json"}
    im = Image.open(io.BytesIO(zf.read("figure_01.png")))
    assert im.size == (1890, 1172) and round(im.info["dpi"][0]) == 300
    assert b"<svg" in zf.read("figure_01.svg")[:500]
    m = json.loads(zf.read("manifest.json"))
    assert m["version"] == built["version"]
    assert m["as_of"] == queries.as_of(built["db"], built["version"]).isoformat()
    assert m["period"] == P
    assert m["selection"]["themes"] == list(THEMES) and m["selection"]["tracks"] == []
    assert [c["number"] for c in m["charts"]] == list(range(1, N_FIGURES + 1))
    assert [(c["key"], c["theme"]) for c in m["charts"]] == [
        ("status_counts", None), ("theme_sector", None),
        ("status_history", "CLIM"), ("status_history", "RES"), ("indicators", "CLIM"), ("indicators", "RES"),
    ]  # fmt: skip
    assert f"(data version {built['version']})" in m["source"]


def test_progress_is_reported_up_to_done(built):
    fractions = [f for f, _ in built["steps"]]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert sum("Rendered figure" in m for _, m in built["steps"]) == N_FIGURES


def test_formula_injection_in_a_theme_name_is_neutralised(built):
    zf = _zip(built["pack"])
    n = next(c["number"] for c in pack.read_manifest(built["pack"].files["zip"])["charts"] if c["key"] == "theme_sector")
    rows = list(csv.DictReader(io.StringIO(zf.read(f"figure_{n:02d}.csv").decode("utf-8-sig"), newline="")))
    names = {r["theme name"] for r in rows}
    assert "'" + INJECTION in names and INJECTION not in names
    ws = load_workbook(io.BytesIO(zf.read(f"figure_{n:02d}.xlsx"))).active
    col = [c.value for c in ws[1]].index("theme name")
    cells = [row[col] for row in ws.iter_rows(min_row=2) if row[col].value]
    hit = [c for c in cells if INJECTION in str(c.value)]
    assert hit and all(c.value == "'" + INJECTION and c.data_type == "s" for c in hit)


def test_same_version_rebuilds_the_same_numbers_after_a_new_upload(built):
    db, result = built["db"], built["pack"]
    zf = _zip(result)
    args = pack.rebuild_args(pack.read_manifest(result.files["zip"]))
    assert args["version"] == built["version"] < queries.data_version(db)
    again, records, _, _ = pack.build_items(db, **args)
    assert [r["title"] for r in records] == [i.title for i in result.items]
    for item in again:
        assert export.table_csv(export.readable(item.data)) == zf.read(f"figure_{item.number:02d}.csv"), item.title
        assert item.caption == result.items[item.number - 1].caption
    # ...while the latest version has moved on: the late ITU-D report of CLIM shows there.
    latest, _, _, _ = pack.build_items(db, **{**args, "version": None})
    heat = next(i for i in latest if i.title == "Status by theme and sector").data
    cell = heat[(heat["theme"] == "CLIM") & (heat["sector"] == "ITU-D")]["computed_status"].item()
    assert cell != "not_reported"
    old = next(i for i in again if i.title == "Status by theme and sector").data
    assert old[(old["theme"] == "CLIM") & (old["sector"] == "ITU-D")]["computed_status"].item() == "not_reported"


def test_a_track_and_a_theme_outside_it_are_combined(built):
    db, v = built["db"], built["version"]
    items, _, ctx, _ = pack.build_items(db, v, P, themes=("CLIM",), tracks=("strategic",),
                                        charts=("status_counts", "track_progress"))  # fmt: skip
    ts = queries.theme_status(Filters(P), db=db, version=v)
    chosen = ts[(ts["track"] == "strategic") | (ts["theme"] == "CLIM")]
    counts = items[0].data.set_index("status")["themes"]
    assert counts.sum() == len(chosen)
    assert counts.to_dict() == {s: int((chosen["computed_status"] == s).sum()) for s in counts.index}
    assert set(items[1].data["track"]) == set(chosen["track"])


def test_unknown_version_chart_or_theme_is_refused(built):
    with pytest.raises(ValueError, match="does not exist"):
        pack.build_items(built["db"], 10**6, P)
    with pytest.raises(ValueError, match="unknown chart"):
        pack.build_items(built["db"], None, P, charts=("nope",))
    with pytest.raises(ValueError, match="unknown theme"):
        pack.build_items(built["db"], None, P, themes=("NOPE",))


def test_per_theme_charts_without_themes_are_skipped_with_a_note(built):
    items, _, _, notes = pack.build_items(built["db"], None, P, charts=("status_counts", "indicators"))
    assert [i.title for i in items] == ["Themes by status"]
    assert notes and "per theme" in notes[0]


def test_french_pack_is_french_throughout(built):
    from docx import Document
    from pptx import Presentation

    result = pack.build_pack(db=built["db"], version=built["version"], period=P, themes=THEMES,
                             charts=("status_counts", "theme_sector"), lang="fr")  # fmt: skip
    found = check_docx(result.files["docx"])
    text = found["text"]
    for word in ("Rapport du Secrétaire général", "Résumé", "Suite à donner par le Conseil", "Références",
                 "Incidences financières", "Plan stratégique", "1 Contexte"):  # fmt: skip
        assert word in text, word
    for english in ("Summary", "Action required", "Background", "Source:", "themes monitored"):
        assert english not in text, english
    assert all("Source : " in c and "version des données" in c for c in found["captions"])
    assert [c.split(".")[0] for c in found["captions"] if c.startswith("Tableau")] == ["Tableau 1", "Tableau 2"]
    assert Document(io.BytesIO(result.files["docx"])).tables[0].rows[0].cells[0].text == "Thème"
    slides = list(Presentation(io.BytesIO(result.files["pptx"])).slides)
    assert slides[1].shapes.title.text == "Figure 1. Thèmes par statut"
    assert result.items[0].caption.startswith("Nombre de thèmes par statut calculé.")
    zf = _zip(result)
    header = zf.read("figure_02.csv").decode("utf-8-sig").splitlines()[0]
    assert "statut calculé" in header and "computed_status" not in header
    svg_text = "".join(__import__("xml.etree.ElementTree", fromlist=["x"]).fromstring(zf.read("figure_01.svg")).itertext())
    assert "Thèmes (nombre)" in svg_text  # the axis title
    assert pack.read_manifest(result.files["zip"])["lang"] == "fr"


def test_all_languages_pack_holds_every_language_from_one_data_version(built):
    result = pack.build_pack(db=built["db"], version=built["version"], period=P[:4], charts=("status_counts",),
                             lang="all", captioned=True)  # fmt: skip
    assert set(result.files) == {"zip"}
    zf = _zip(result)
    names = set(zf.namelist())
    stem = f"isc_council_pack_{P[:4]}_v{built['version']}"
    for code in ("en", "fr"):
        assert {f"{code}/{stem}_{code}.docx", f"{code}/{stem}_{code}.pptx", f"{code}/figure_01.png",
                f"{code}/figure_01_captioned.png", f"{code}/figure_01.csv"} <= names  # fmt: skip
    m = pack.read_manifest(result.files["zip"])
    assert m["lang"] == "all" and m["languages"] == ["en", "fr"] and m["version"] == built["version"]
    assert m["period"] == P[:4] and P in m["quarters"] and m["status_period"] == P
    fr = check_docx(zf.read(f"fr/{stem}_fr.docx"))
    en = check_docx(zf.read(f"en/{stem}_en.docx"))
    assert "Résumé" in fr["text"] and "Summary" in en["text"]
    assert pack.rebuild_args(m)["lang"] == "all" and pack.rebuild_args(m)["period"] == P[:4]


def test_export_page_builds_a_small_pack_and_offers_three_downloads(demo_db):
    at = open_page("export")
    assert at.header[0].value.startswith("Export")
    assert not at.get("download_button")
    at.multiselect(key="export_charts").set_value(["status_counts"])
    at.button(key="export_build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    downloads = {b.proto.id.split("-")[-1] for b in at.get("download_button")}
    assert {"export_download_docx", "export_download_pptx", "export_download_zip"} <= downloads
    assert any(s.value.startswith("1 figure,") and "data version" in s.value for s in at.success)


def test_every_chart_has_an_export_menu_with_five_formats_numbered_in_page_order(demo_db):
    at = open_page("overview")
    keys = [b.proto.id.split("-")[-1] for b in at.get("download_button")]
    for chart in ("overview_tracks", "overview_heatmap"):
        assert {f"export_{ext}_{chart}" for ext in ("png", "svg", "pdf", "xlsx", "csv")} <= set(keys)
        assert {f"export_{ext}_alone_{chart}" for ext in ("png", "svg", "pdf")} <= set(keys)
    notes = [c.value for c in at.caption if c.value.startswith("Figure ") and c.value[7:8].isdigit()]
    assert [n.split(".")[0] for n in notes] == ["Figure 1", "Figure 2"]
    assert all("(data version " in n for n in notes)
