"""Exports open and contain what was asked: sizes, pictures, captions, slides, safe cells."""

from __future__ import annotations

import csv
import io
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
    return items, source, export.render(items, source)


def test_png_is_16_cm_at_300_dpi(rendered):
    items, _, images = rendered
    im = Image.open(io.BytesIO(images[1]["png"]))
    assert im.size == (export.WIDTH_PX, export.HEIGHT_PX) == (1890, 1172)
    assert round(im.info["dpi"][0]) == 300
    assert im.size[0] / im.info["dpi"][0] * 2.54 == pytest.approx(16.0, abs=0.01)


def test_svg_parses_and_carries_title_caption_and_source(rendered):
    _, _, images = rendered
    root = ET.fromstring(images[2]["svg"])
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    assert "Figure 2. Chart 2" in text
    assert "Caption of chart 2." in text
    assert "data version 7" in text


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
    doc = Document(io.BytesIO(data))
    assert len(doc.inline_shapes) == 3
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert [c.split(".")[0] for c in captions] == ["Figure 1", "Figure 2", "Figure 3", "Table 1"]
    assert all("data version 7" in c for c in captions[:3])
    assert len(doc.tables) == 1 and doc.tables[0].rows[1].cells[0].text == "ITU-R"


def test_pptx_has_one_chart_per_slide(rendered):
    from pptx import Presentation

    items, source, images = rendered
    prs = Presentation(io.BytesIO(export.council_pptx(items, images, "ISC-TF", source)))
    slides = list(prs.slides)[1:]  # after the cover
    assert len(slides) == 3
    for n, slide in enumerate(slides, start=1):
        pictures = [s for s in slide.shapes if s.shape_type == 13]
        assert len(pictures) == 1
        assert slide.shapes.title.text.startswith(f"Figure {n}.")


def test_zip_holds_png_svg_and_csv_per_figure(rendered):
    items, _, images = rendered
    names = set(zipfile.ZipFile(io.BytesIO(export.figures_zip(items, images))).namelist())
    assert names == {f"figure_0{i}.{ext}" for i in (1, 2, 3) for ext in ("png", "svg", "csv")}


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
