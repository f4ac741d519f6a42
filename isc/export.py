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
import re
import struct
import threading
import warnings
import zipfile
import zlib
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

WIDTH_CM = 16.0
DPI = 300
SCALE = 2  # layout pixels x SCALE = image pixels
WIDTH_PX = round(WIDTH_CM / 2.54 * DPI)  # 1890
HEIGHT_PX = round(WIDTH_PX * 0.62)  # 1172
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Print font sizes in layout pixels: 945 px span 16 cm, so 1 px is 0.48 pt; body text at 16 px
# is 7.7 pt on paper, the title 9.6 pt, the caption 6.7 pt (Word repeats it at full size).
FONT_PX, TITLE_PX, SMALL_PX = 16, 20, 14
_server_lock = threading.Lock()
# kaleido's sync server matches requests and answers through shared queues: two threads (two
# sessions, or deferred downloads) calling it at once could swap images. One image at a time.
_image_lock = threading.Lock()
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
    # Keep the screen title's second line (e.g. the status key of a heatmap): it explains the marks.
    screen_title = out.layout.title.text or ""
    subtitle = screen_title[screen_title.find("<br>") :] if "<br>" in screen_title else ""
    subtitle = re.sub(r"^<br>|</?sup>", "", subtitle).strip()
    out.update_layout(
        width=layout_w,
        height=layout_h,
        autosize=False,
        title={
            "text": f"Figure {item.number}. {item.title}",
            "subtitle": {"text": subtitle, "font": {"size": SMALL_PX}},
            "x": 0.01,
            "xanchor": "left",
            "font": {"size": TITLE_PX},
        },
        font={"size": FONT_PX},
        paper_bgcolor="white",
    )
    # Drop on-screen annotations that sit below the plot (e.g. the screen "as of" line), and
    # bring the others (panel titles) down to print size so neighbouring panels do not collide.
    keep = [a for a in (out.layout.annotations or []) if not (a.yref == "paper" and (a.y or 0) < 0)]
    for a in keep:
        a.font.size = min(a.font.size or FONT_PX, FONT_PX)
        if a.xanchor in (None, "auto"):  # "auto" left-aligns a panel title placed left of 1/3
            a.xanchor = "center"
    out.layout.annotations = keep
    # Top: title (+ its key line), then the legend in its own band, then the plot. Bottom: axis
    # labels, then the caption and source pinned to the bottom edge, however many lines they take.
    entries = [t.name or "" for t in out.data if t.showlegend is not False]
    legend = out.layout.showlegend is not False and len(entries) > 1
    top = 40 + (30 if subtitle else 0)
    if any(ax.side == "top" for ax in out.select_xaxes()):
        top += 55  # tick labels and axis title above the plot
    if legend:
        out.update_layout(
            legend={"yref": "container", "y": 1 - top / layout_h, "yanchor": "top", "x": 0.01,
                    "xanchor": "left", "font": {"size": SMALL_PX}, "orientation": "h"}
        )
        # One row holds about 900 px of entries (about 7.5 px per character plus the symbol).
        rows = max(1, -(-sum(round(7.5 * len(e)) + 50 for e in entries) // 900))
        top += 10 + 24 * rows
    caption = _wrap(item.caption, 115) + "<br><i>" + source + "</i>"
    bottom = 78 + 18 * (caption.count("<br>") + 1)
    if any(ax.tickangle not in (None, 0) for ax in out.select_xaxes()):
        bottom += 40  # slanted tick labels (quarters) need the height of their diagonal
    out.update_xaxes(title_font_size=FONT_PX, tickfont_size=SMALL_PX)
    out.update_yaxes(title_font_size=FONT_PX, tickfont_size=SMALL_PX)
    left, right = _left_margin(out), 30
    out.update_layout(
        title={"yref": "container", "y": 1 - 8 / layout_h, "yanchor": "top"},
        margin={"l": left, "r": right, "t": top, "b": bottom},
    )
    plot_h = layout_h - top - bottom
    out.add_annotation(
        text=caption,
        xref="paper",
        yref="paper",
        x=-(left - 12) / (layout_w - left - right),  # from the image's left edge, not the plot's
        y=-(bottom - 6) / plot_h,
        xanchor="left",
        yanchor="bottom",
        showarrow=False,
        align="left",
        font={"size": SMALL_PX, "color": "#333333"},
    )
    return out


def _left_margin(fig: go.Figure) -> int:
    """Room for the y tick labels, reserved up front so the caption can start at the image edge.

    Plotly's automargin would widen the margin itself, but then the caption (placed relative to
    the plot) would move right and run off the image when the labels are long theme names."""
    longest = 0
    for trace in fig.data:
        ys = getattr(trace, "y", None)
        if ys is not None and len(ys) and all(isinstance(v, str) for v in ys):
            longest = max(longest, *(len(v) for v in ys))
    return max(70, min(420, round(24 + SMALL_PX * 0.52 * longest)))


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
        with _image_lock:
            data = fig.to_image(format=fmt, width=WIDTH_PX // SCALE, height=HEIGHT_PX // SCALE, scale=SCALE)
    if fmt == "png":
        data = png_with_dpi(data, DPI)
    return data


def png_with_dpi(data: bytes, dpi: int) -> bytes:
    """The PNG with a pHYs chunk saying `dpi`, so Word places it at 16 cm.

    Written into the chunk list directly: decoding and re-encoding a 1890 px image with Pillow
    took 0.15-0.3 s, about as long as rendering it."""
    sig, pos, chunks = data[:8], 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        end = pos + 12 + length
        if data[pos + 4 : pos + 8] != b"pHYs":
            chunks.append(data[pos:end])
        pos = end
    ppm = round(dpi / 0.0254)  # pixels per metre
    body = b"pHYs" + struct.pack(">IIB", ppm, ppm, 1)
    phys = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body))
    return sig + chunks[0] + phys + b"".join(chunks[1:])  # right after IHDR


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
