"""Exports open and contain what was asked: sizes (PNG 16 cm at 300 dpi, PDF page 16 cm wide),
the figure alone or captioned, Word captions, 16:9 slides, readable and safe data files."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile

import pandas as pd
import plotly.graph_objects as go
import pytest
from openpyxl import load_workbook
from PIL import Image

from isc import export
from tests.test_report_draft import check_docx

INJECTION = ['=HYPERLINK("http://x","a")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


def _items(n: int) -> list[export.ExportItem]:
    return [
        export.ExportItem(
            i,
            f"Chart {i}",
            f"Caption of chart {i}.",
            go.Figure(go.Bar(x=["ITU-R", "ITU-T"], y=[i, 2 * i])),
            pd.DataFrame({"sector": ["ITU-R", "ITU-T"], "value": [i, 2 * i]}),
        )
        for i in range(1, n + 1)
    ]


@pytest.fixture(scope="module")
def rendered():
    items = _items(3)
    source = export.source_line(None, 7)
    return items, source, export.render(items, source, formats=("png", "svg"), captioned=("svg",))


def test_images_asked_from_many_threads_at_once_each_get_their_own(rendered):
    """Sessions share one renderer: concurrent requests (PNG, SVG, PDF mixed) are not swapped,
    and a PNG is the same bytes whether asked alone, in a batch or from another thread."""
    from concurrent.futures import ThreadPoolExecutor

    items, source, images = rendered
    figs = [export.print_figure(item.figure, item, source, alone=True) for item in items]
    asks = [(n, fmt) for _ in range(2) for n in range(3) for fmt in ("png", "svg", "pdf")]
    with ThreadPoolExecutor(6) as pool:
        got = list(pool.map(lambda a: export.image(figs[a[0]], a[1]), asks))
    for (n, fmt), data in zip(asks, got, strict=True):
        if fmt == "png":
            assert data == images[n + 1]["png"]
        elif fmt == "svg":
            assert f">Chart {n + 1}<".encode() not in data  # alone: no title
            text = "".join(ET.fromstring(data).itertext())  # the tick labels tell the figures apart
            assert text == "".join(ET.fromstring(images[n + 1]["svg"]).itertext())
        else:
            assert data.startswith(b"%PDF")


def test_png_is_16_cm_at_300_dpi(rendered):
    items, _, images = rendered
    im = Image.open(io.BytesIO(images[1]["png"]))
    assert im.size == (export.WIDTH_PX, export.HEIGHT_PX) == (1890, 1172)
    assert round(im.info["dpi"][0]) == 300
    assert im.size[0] / im.info["dpi"][0] * 2.54 == pytest.approx(16.0, abs=0.01)


def test_svg_parses_and_carries_title_caption_and_source(rendered):
    _, _, images = rendered
    root = ET.fromstring(images[2]["captioned.svg"])
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    assert "Figure 2. Chart 2" in text
    assert "Caption of chart 2." in text
    assert "data version 7" in text


def test_figure_alone_has_no_title_caption_or_source(rendered):
    _, _, images = rendered
    text = "".join(ET.fromstring(images[2]["svg"]).itertext())
    assert "Figure 2" not in text and "Caption of chart 2" not in text and "data version" not in text
    assert "ITU-R" in text  # the plot is there


def test_pdf_page_is_16_cm_wide(rendered, tmp_path):
    items, source, _ = rendered
    pdf = export.image(export.print_figure(items[0].figure, items[0], source), "pdf")
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert float(box[1]) / 72 * 2.54 == pytest.approx(16.0, abs=0.005)
    if shutil.which("pdfinfo"):
        (tmp_path / "f.pdf").write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(tmp_path / "f.pdf")], capture_output=True, text=True, check=True)
        size = next(line for line in info.stdout.splitlines() if line.startswith("Page size"))
        width_pt = float(size.split(":")[1].split("x")[0])
        assert width_pt / 72 * 2.54 == pytest.approx(16.0, abs=0.005), size
        assert re.search(r"^Pages:\s+1$", info.stdout, re.M) and "Syntax Error" not in info.stderr


def test_french_figure_has_french_label_source_and_decimal_comma():
    item = export.ExportItem(1, "Avancement", "Part 45.5% des thèmes.", go.Figure(go.Bar(x=[1.5], y=["a"])),
                             pd.DataFrame())
    source = export.source_line(None, 3, "fr")
    assert source.startswith("Source : ") and "version des données 3" in source
    fig = export.print_figure(item.figure, item, source, lang="fr")
    assert fig.layout.separators == ",\u202f"
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "45,5\u202f%" in texts and "version des données 3" in texts
    assert fig.layout.title.text == "Figure 1. Avancement"


def test_print_figure_has_fixed_size_whatever_the_screen_figure(rendered):
    items, source, _ = rendered
    fig = go.Figure(go.Bar(x=[1], y=[1]), layout={"width": 333, "height": 222})
    out = export.print_figure(fig, items[0], source)
    assert (out.layout.width, out.layout.height) == (945, 586)


def test_docx_has_one_picture_and_caption_per_figure(rendered):
    from docx import Document

    items, source, images = rendered
    data = export.council_docx(
        items, images, "ISC report", ["2 themes on track"], source, [("Themes by status", items[0].data)]
    )
    check_docx(data)  # A4, SEQ captions kept with their pictures, table widths
    doc = Document(io.BytesIO(data))
    assert len(doc.inline_shapes) == 3
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert [c.split(".")[0] for c in captions] == ["Figure 1", "Figure 2", "Figure 3", "Table 1"]
    assert all("data version 7" in c for c in captions[:3])
    assert len(doc.tables) == 1 and doc.tables[0].rows[1].cells[0].text == "ITU-R"


def test_pptx_has_one_chart_per_slide(rendered):
    from pptx import Presentation

    items, source, images = rendered
    prs = Presentation(io.BytesIO(export.council_pptx(items, images, "ISC-TF", source, "subtitle")))
    assert prs.slide_width / prs.slide_height == pytest.approx(16 / 9, abs=0.01)
    cover = list(prs.slides)[0]
    assert cover.shapes.title.text == "ISC-TF" and cover.shapes.title.width > 0.8 * prs.slide_width
    slides = list(prs.slides)[1:]  # after the cover
    assert len(slides) == 3
    for n, slide in enumerate(slides, start=1):
        pictures = [s for s in slide.shapes if s.shape_type == 13]
        assert len(pictures) == 1
        assert pictures[0].left >= 0 and pictures[0].left + pictures[0].width <= prs.slide_width
        assert slide.shapes.title.text.startswith(f"Figure {n}.")
        texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame and s != slide.shapes.title]
        assert source in texts  # the source line is the footer, once
        assert slide.notes_slide.notes_text_frame.text == f"Caption of chart {n}."


def test_zip_holds_png_svg_and_csv_per_figure(rendered):
    items, _, images = rendered
    names = set(zipfile.ZipFile(io.BytesIO(export.figures_zip(items, images))).namelist())
    assert names == {f"figure_0{i}{ext}" for i in (1, 2, 3) for ext in (".png", ".svg", "_captioned.svg", ".csv")}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_data_files_have_headings_status_words_codes_and_plain_dates(lang):
    df = pd.DataFrame({
        "track": ["strategic"], "track_name": ["Strategic leadership"], "computed_status": ["on_track"],
        "due_date": pd.to_datetime(["2026-10-15"]), "uploaded_at": pd.to_datetime(["2026-10-02 14:05:09"]),
        "mutual_interest": [True], "themes": [3],
    })  # fmt: skip
    out = export.readable(df, lang)
    rows = list(csv.reader(io.StringIO(export.table_csv(out).decode("utf-8-sig"), newline="")))
    if lang == "en":
        assert rows[0] == ["track (code)", "track", "computed status", "computed status (code)", "due date",
                           "uploaded at", "mutual interest", "themes"]
        assert rows[1] == ["strategic", "Strategic leadership", "On track", "on_track", "2026-10-15",
                           "2026-10-02 14:05", "yes", "3"]
    else:
        assert rows[0][2:4] == ["statut calculé", "statut calculé (code)"] and rows[0][4] == "échéance"
        assert rows[1][2:4] == ["En bonne voie", "on_track"] and rows[1][6] == "oui"
    ws = load_workbook(io.BytesIO(export.table_xlsx(out))).active
    assert ws["E2"].is_date and ws["E2"].value.hour == 0 and ws["C2"].value in ("On track", "En bonne voie")


@pytest.mark.parametrize("payload", INJECTION)
def test_formula_injection_is_neutralised_in_csv_and_xlsx(payload):
    df = pd.DataFrame({"theme_name": [payload, "Accessibility"], "value": [-3, 4]})
    rows = list(csv.reader(io.StringIO(export.table_csv(df).decode("utf-8-sig"), newline="")))
    assert rows[1][0] == "'" + payload
    assert rows[1][1] == "-3"  # numbers stay numbers
    assert rows[2][0] == "Accessibility"
    ws = load_workbook(io.BytesIO(export.table_xlsx(df))).active
    assert ws["A2"].value == "'" + payload
    assert ws["A2"].data_type == "s"
    assert ws["B2"].value == -3


def test_column_names_are_neutralised_too():
    df = pd.DataFrame({"=cmd": [1]})
    assert export.table_csv(df).decode("utf-8-sig").splitlines()[0] == "'=cmd"


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
    reason="LibreOffice and poppler-utils are installed by .ci/run",
)
def test_docx_converts_to_pdf_and_renders(rendered, tmp_path):
    items, source, images = rendered
    docx = tmp_path / "pack.docx"
    docx.write_bytes(export.council_docx(items, images, "ISC report", ["summary"], source))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "pack.pdf"
    assert pdf.stat().st_size > 10_000
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    page = next(tmp_path.glob("page*.png"))
    im = Image.open(page).convert("L")
    # The page is not blank: the chart puts plenty of non-white pixels on it.
    dark = sum(1 for v in im.get_flattened_data() if v < 200)
    assert dark > 2_000
