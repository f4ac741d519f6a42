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
from tests import workbooks as W
from tests.conftest import DEMO_LAST_PERIOD
from tests.test_pages import _navigation_not_pages_dir, open_page  # noqa: F401 - autouse fixture

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


def test_docx_has_a_numbered_captioned_picture_per_figure_and_a_summary(built):
    from docx import Document

    doc = Document(io.BytesIO(built["pack"].files["docx"]))
    assert len(doc.inline_shapes) == N_FIGURES
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    figures = [c for c in captions if c.startswith("Figure ")]
    assert [c.split(".")[0] for c in figures] == [f"Figure {n}" for n in range(1, N_FIGURES + 1)]
    source = f"data as of {queries.as_of(built['db'], built['version']):%Y-%m-%d} (data version {built['version']})"
    assert all(source in c for c in figures)
    tables = [c for c in captions if c.startswith("Table ")]
    assert [c.split(".")[0] for c in tables] == ["Table 1", "Table 2", "Table 3"] and len(doc.tables) == 3
    # The generated summary counts the selected themes by status and by track.
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"Period {P}: {len(THEMES)} themes" in text
    ts = queries.theme_status(P, db=built["db"], version=built["version"])
    ts = ts[ts["theme"].isin(THEMES)]
    for track, n in ts.groupby("track_name")["theme"].count().items():
        assert f"{track}: {n} themes" in text
    # Pictures are 16 cm wide.
    assert all(abs(s.width.cm - 16.0) < 0.01 for s in doc.inline_shapes)


def test_pptx_has_one_picture_per_chart_slide(built):
    from pptx import Presentation

    slides = list(Presentation(io.BytesIO(built["pack"].files["pptx"])).slides)[1:]  # after the cover
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
    names = {r["theme_name"] for r in rows}
    assert "'" + INJECTION in names and INJECTION not in names
    ws = load_workbook(io.BytesIO(zf.read(f"figure_{n:02d}.xlsx"))).active
    col = [c.value for c in ws[1]].index("theme_name")
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
        assert export.table_csv(item.data) == zf.read(f"figure_{item.number:02d}.csv"), item.title
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
    ts = queries.theme_status(P, db=db, version=v)
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
    notes = [c.value for c in at.caption if c.value.startswith("Figure ")]
    assert [n.split(".")[0] for n in notes] == ["Figure 1", "Figure 2"]
    assert all("(data version " in n for n in notes)
