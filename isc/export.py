"""Print-quality exports: figures for Council documents, data tables, Word/PowerPoint packs.

The exported figure is the on-screen figure (same chart function) re-laid out at a fixed size:
16 cm wide at 300 dpi (1890 px), with a numbered title, a caption and a source line naming the
data version, so it looks the same whatever the browser window was. Static images come from
kaleido driving Debian's chromium; its persistent server is started once per process.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import threading
import warnings
import zipfile
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

WIDTH_CM = 16.0
DPI = 300
SCALE = 2  # layout pixels x SCALE = image pixels
WIDTH_PX = round(WIDTH_CM / 2.54 * DPI)  # 1890
HEIGHT_PX = round(WIDTH_PX * 0.62)  # 1172
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_server_lock = threading.Lock()
_server_started = False


@dataclass
class ExportItem:
    """One numbered figure (with its data) for an export."""

    number: int
    title: str
    caption: str
    figure: go.Figure
    data: pd.DataFrame


def source_line(as_of: dt.datetime | None, version: int) -> str:
    when = as_of.strftime("%Y-%m-%d") if as_of else "n/a"
    return f"Source: ISC monitoring dashboard, data as of {when} (data version {version})."


def ensure_server() -> None:
    """Start kaleido's persistent chromium once per process (0.2 s per image instead of 2.5 s)."""
    global _server_started
    with _server_lock:
        if not _server_started:
            import kaleido

            kaleido.start_sync_server(silence_warnings=True)
            _server_started = True


def print_figure(fig: go.Figure, item: ExportItem, source: str) -> go.Figure:
    """A copy of `fig` laid out for print: numbered title, caption and source under the plot."""
    out = go.Figure(copy.deepcopy(fig.to_dict()))
    layout_w, layout_h = WIDTH_PX // SCALE, HEIGHT_PX // SCALE
    out.update_layout(
        width=layout_w,
        height=layout_h,
        autosize=False,
        title={
            "text": f"Figure {item.number}. {item.title}",
            "x": 0.01,
            "xanchor": "left",
            "font": {"size": 15},
        },
        font={"size": 11},
        margin={"l": 70, "r": 30, "t": 60, "b": 110},
        paper_bgcolor="white",
    )
    # Drop on-screen annotations that sit below the plot (e.g. the screen "as of" line).
    keep = [a for a in (out.layout.annotations or []) if not (a.yref == "paper" and (a.y or 0) < 0)]
    out.layout.annotations = keep
    out.add_annotation(
        text=_wrap(item.caption, 120) + "<br><i>" + source + "</i>",
        xref="paper",
        yref="paper",
        x=0,
        y=-0.2,
        xanchor="left",
        yanchor="top",
        showarrow=False,
        align="left",
        font={"size": 10, "color": "#333333"},
    )
    return out


def _wrap(text: str, width: int) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    if line:
        lines.append(line)
    return "<br>".join(lines)


def image(fig: go.Figure, fmt: str) -> bytes:
    """PNG (300 dpi metadata, 1890 px wide), SVG or PDF of a print-laid-out figure."""
    ensure_server()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "kopts ignored when using a server"
        data = fig.to_image(format=fmt, width=WIDTH_PX // SCALE, height=HEIGHT_PX // SCALE, scale=SCALE)
    if fmt == "png":
        from PIL import Image

        buf = io.BytesIO()
        Image.open(io.BytesIO(data)).save(buf, format="PNG", dpi=(DPI, DPI))
        data = buf.getvalue()
    return data


def safe_value(value):
    """Neutralise text a spreadsheet would run as a formula (prefix it with a quote)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.columns = [safe_value(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: safe_value(_plain(v)))
        else:
            out[col] = out[col].map(_plain) if out[col].dtype == object else out[col]
    return out


def _plain(v):
    if isinstance(v, (list, tuple)) or (hasattr(v, "tolist") and not isinstance(v, str)):
        try:
            return ", ".join(str(x) for x in list(v))
        except TypeError:
            return v
    return v


def table_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (Excel opens it right); quotes fields holding CR/LF."""
    frame = safe_frame(df)
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False, name=None):
        writer.writerow(["" if (isinstance(v, float) and v != v) or v is None else v for v in row])
    return buf.getvalue().encode("utf-8-sig")


def table_xlsx(df: pd.DataFrame, sheet: str = "Data", note: str = "") -> bytes:
    """An .xlsx of the table; text is written as text (never as a formula)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    frame = safe_frame(df)
    ws.append([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        ws.append([None if (isinstance(v, float) and v != v) else v for v in row])
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a string cell, even if it looks like a formula
    if note:
        ws.append([])
        ws.append([note])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render(items: list[ExportItem], source: str, formats=("png", "svg"), progress=None) -> dict:
    """Render every figure once: {number: {format: bytes}}, shared by the docx, pptx and zip."""
    out = {}
    for n, item in enumerate(items, start=1):
        fig = print_figure(item.figure, item, source)
        out[item.number] = {fmt: image(fig, fmt) for fmt in formats}
        if progress:
            progress(n, len(items))
    return out


def figures_zip(items: list[ExportItem], images: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in items:
            stem = f"figure_{item.number:02d}"
            for fmt, data in images[item.number].items():
                zf.writestr(f"{stem}.{fmt}", data)
            zf.writestr(f"{stem}.csv", table_csv(item.data))
    return buf.getvalue()


def council_docx(
    items: list[ExportItem],
    images: dict,
    title: str,
    summary: list[str],
    source: str,
    tables: list[tuple[str, pd.DataFrame]] = (),
) -> bytes:
    """A Word document: summary, numbered figures (16 cm, 300 dpi) with captions, numbered tables."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(title, level=1)
    doc.add_paragraph(source)
    doc.add_heading("Summary", level=2)
    for line in summary:
        doc.add_paragraph(line, style="List Bullet")
    doc.add_heading("Figures", level=2)
    for item in items:
        doc.add_picture(io.BytesIO(images[item.number]["png"]), width=Cm(WIDTH_CM))
        cap = doc.add_paragraph(f"Figure {item.number}. {item.title}. {item.caption}", style="Caption")
        cap.add_run(f" {source}")
    for t, (name, frame) in enumerate(tables, start=1):
        doc.add_paragraph(f"Table {t}. {name}", style="Caption")
        frame = safe_frame(frame.head(40))
        table = doc.add_table(rows=1, cols=len(frame.columns))
        table.style = "Light Grid Accent 1"
        for cell, col in zip(table.rows[0].cells, frame.columns, strict=True):
            cell.text = str(col)
        for row in frame.itertuples(index=False, name=None):
            cells = table.add_row().cells
            for cell, v in zip(cells, row, strict=True):
                cell.text = "" if v is None or (isinstance(v, float) and v != v) else str(v)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def council_pptx(items: list[ExportItem], images: dict, title: str, source: str) -> bytes:
    """One chart per slide (16:9), for the meeting."""
    from pptx import Presentation
    from pptx.util import Cm, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Cm(33.867), Cm(19.05)
    cover = prs.slides.add_slide(prs.slide_layouts[0])
    cover.shapes.title.text = title
    cover.placeholders[1].text = source
    for item in items:
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        slide.shapes.title.text = f"Figure {item.number}. {item.title}"
        slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(28)
        slide.shapes.add_picture(io.BytesIO(images[item.number]["png"]), Cm(3.5), Cm(3.6), height=Cm(15))
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
