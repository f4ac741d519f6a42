"""The Council report draft's Word file, opened with python-docx: A4 with 2.5 cm margins, each
figure followed by a Word-numbered caption (a SEQ field) and kept on its page, no picture wider
than the text, table columns wide enough for their longest word at the table's font size, a
repeated header row, and the text in the chosen language. `check_docx` is shared with
tests/test_pack.py, which runs it on a real pack. The end-to-end test converts a real pack's
.docx and .pptx with LibreOffice and renders every page (tests/artifacts/report_pages/)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from PIL import Image, ImageFont

from isc import export, report_draft

ROOT = Path(__file__).resolve().parent.parent
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def _png(w: int = 1890, h: int = 1172) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), "white").save(buf, "PNG", dpi=(300, 300))
    return buf.getvalue()


def _word_pt(word: str, size: float, bold: bool) -> float:
    """Measured independently of the module: PIL at the table's size, DejaVu Sans (wider than Calibri)."""
    font = ImageFont.truetype(str(DEJAVU / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), 200)
    return font.getlength(word) * size / 200


def check_docx(data: bytes) -> dict:
    """Every layout rule of the report draft; returns what was found for further checks."""
    from docx import Document
    from docx.shared import Cm

    doc = Document(io.BytesIO(data))
    sec = doc.sections[0]
    assert abs(sec.page_width.cm - 21.0) < 0.01 and abs(sec.page_height.cm - 29.7) < 0.01  # A4
    for side in (sec.left_margin, sec.right_margin, sec.top_margin, sec.bottom_margin):
        assert abs(side.cm - 2.5) < 0.01
    text_width = sec.page_width - sec.left_margin - sec.right_margin
    assert all(s.width <= text_width for s in doc.inline_shapes)
    assert abs(text_width - Cm(16)) < Cm(0.01)
    body = list(doc.element.body.iterchildren())
    paragraphs = {p._p: p for p in doc.paragraphs}
    figures = 0
    for i, el in enumerate(body):
        if el.tag != W + "p" or not el.findall(f".//{W}drawing"):
            continue
        figures += 1
        pic = paragraphs[el]
        assert pic.paragraph_format.keep_with_next, "a picture is kept with its caption"
        cap = paragraphs[body[i + 1]]
        assert cap.style.name == "Caption", "each figure is followed by its caption"
        instr = " ".join(x.text for x in body[i + 1].iter(W + "instrText"))
        assert "SEQ " in instr and str(figures) in cap.text.split(".")[0], (instr, cap.text)
    for table in doc.tables:
        head = table.rows[0]._tr
        assert head.find(f"{W}trPr/{W}tblHeader") is not None, "the header row repeats"
        widths = [c.width for c in table.columns]
        assert sum(widths) <= text_width + Cm(0.02)
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                for run in cell.paragraphs[0].runs:
                    size = run.font.size.pt
                    for word in run.text.replace("\u200b", " ").split():
                        need = _word_pt(word, size, bool(run.font.bold)) + 2 * report_draft.CELL_MARGIN_PT
                        assert width.pt >= need, f"'{word}' ({need:.1f} pt) in a {width.pt:.1f} pt column"
    captions = [p for p in doc.paragraphs if p.style.name == "Caption"]
    return {"doc": doc, "figures": figures, "captions": [p.text for p in captions],
            "text": "\n".join(p.text for p in doc.paragraphs)}


def _items(n: int) -> list[export.ExportItem]:
    return [export.ExportItem(i, f"Chart {i}", f"Caption {i}.", go.Figure(), pd.DataFrame()) for i in range(1, n + 1)]


def _facts(lang: str = "en") -> report_draft.Facts:
    themes = pd.DataFrame({
        "Theme": ["Membership/Partnership/Resource Mobilization", "Digital Resilience (including cybersecurity)"],
        "Track": ["Programmatic coordination", "Strategic leadership"],
        "Computed status": ["Off track", "On track"],
        "Sectors reported": ["2 of 4", "4 of 4"],
    })  # fmt: skip
    return report_draft.Facts(
        period_text="2026", status_period="2026-Q3",
        themes_reported=[("Accessibility", "on track"), ("Gender", "at risk")],
        status_counts={"on_track": 1, "at_risk": 1}, n_themes=3,
        completeness={"expected": 12, "received": 9, "on_time": 7, "late": 2, "missing": 3, "not_due": 0},
        overlaps={"reviewed": 4, "duplicate": 1, "complementary": 2, "not related": 1},
        tables={"themes": themes, "completeness": pd.DataFrame({"Sector": ["ITU-R"], "Completeness (%)": [83.3]})},
    )  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_report_draft_layout_and_structure(lang):
    items = _items(3)
    images = {i.number: {"png": _png()} for i in items}
    keys = ["status_counts", "sector_matrix", "indicators"]
    data = report_draft.report_docx(items, keys, images, _facts(lang), "Source: test.", "Draft.", lang)
    found = check_docx(data)
    assert found["figures"] == 3
    assert [c.split(".")[0] for c in found["captions"] if c.startswith("Figure")] == ["Figure 1", "Figure 2",
                                                                                       "Figure 3"]
    table_word = "Table" if lang == "en" else "Tableau"
    assert [c.split(".")[0] for c in found["captions"] if c.startswith(table_word)] == [f"{table_word} 1",
                                                                                          f"{table_word} 2"]
    text = found["text"]
    heads = {"en": ["Summary", "Action required by the Council", "Relevant link(s) with the Strategic Plan",
                    "Financial implications", "References", "1 Background", "4 Overlapping functions"],
             "fr": ["Résumé", "Suite à donner par le Conseil", "Lien(s) pertinent(s) avec le Plan stratégique",
                    "Incidences financières", "Références", "1 Contexte", "4 Chevauchements"]}[lang]  # fmt: skip
    for h in heads:
        assert h in text, h
    # Filled from the data; the rest marked as placeholders.
    assert ("9 of the 12 reports due" if lang == "en" else "9 des 12 rapports dus") in text
    assert ("75%" if lang == "en" else "75\u202f%") in text
    assert "Accessibility" in text and "[" in text
    doc = found["doc"]
    assert doc.core_properties.language == lang
    if lang == "fr":
        assert "Summary" not in text and "Action required" not in text


def test_table_columns_fit_the_longest_word_and_the_page():
    header = ["Theme", "Status"]
    rows = [["Membership/Partnership/Resource Mobilization", "Completed"], ["leadership", "On track"]]
    widths = report_draft.column_widths(header, rows, 16 / 2.54 * 72, 9)
    assert widths and abs(sum(widths) - 16 / 2.54 * 72) < 0.01
    assert widths[1] >= _word_pt("Completed", 9, False) + 2 * report_draft.CELL_MARGIN_PT
    assert "Membership/" in report_draft.words(rows[0][0])  # a line may break after the slash
    assert report_draft.column_widths(["x"] * 30, [["Internationalisation"] * 30], 453, 9) is None


def test_numbers_follow_the_language():
    assert export.number(1234.5, "en") == "1,234.5"
    assert export.number(1234.5, "fr") == "1\u202f234,5"
    assert export.percent(62.5, "fr", 1) == "62,5\u202f%"
    assert export.localise_numbers("share 45.5% in 2026", "fr") == "share 45,5\u202f% in 2026"
    assert export.localise_numbers("share 45.5% in 2026", "en") == "share 45.5% in 2026"


def _convert(path: Path, out: Path) -> Path | None:
    profile = out / "lo_profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out), str(path)], capture_output=True, timeout=300)  # fmt: skip
    pdf = out / (path.stem + ".pdf")
    return pdf if pdf.exists() else None


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                    reason="LibreOffice and poppler-utils are installed by .ci/run")  # fmt: skip
def test_french_year_pack_converts_with_libreoffice_and_renders(demo_master, tmp_path):
    """The French report draft and slides for a year, through LibreOffice, every page rendered."""
    from isc import pack

    db = tmp_path / "isc.duckdb"
    shutil.copy2(demo_master, db)
    result = pack.build_pack(db=db, period=str(pack.queries.periods(db=db)[-1])[:4], lang="fr",
                             charts=("status_counts", "track_progress", "theme_sector", "track_trend"))
    shots = ROOT / "tests" / "artifacts" / "report_pages"
    shots.mkdir(parents=True, exist_ok=True)
    for ext in ("docx", "pptx"):
        src = tmp_path / f"draft_fr.{ext}"
        src.write_bytes(result.files[ext])
        pdf = _convert(src, tmp_path)
        if pdf is None and ext == "pptx":
            pytest.skip("LibreOffice Impress (libreoffice-impress-nogui) is not installed")
        assert pdf is not None, f"LibreOffice could not convert the {ext}"
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        size = next(line for line in info.splitlines() if line.startswith("Page size"))
        w, h = (float(v) for v in size.split(":")[1].split("pts")[0].split(" x "))
        if ext == "docx":
            assert abs(w - 595.3) < 1 and abs(h - 841.9) < 1, size  # A4
        else:
            assert abs(w / h - 16 / 9) < 0.01, size
        for old in shots.glob(f"fr_{ext}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(shots / f"fr_{ext}")], check=True, timeout=120)
        pages = sorted(shots.glob(f"fr_{ext}-*.png"))
        assert len(pages) >= (3 if ext == "docx" else 5)
        for page in pages:
            im = Image.open(page).convert("L")
            assert sum(1 for v in im.getdata() if v < 200) > 500, f"{page.name} is blank"
