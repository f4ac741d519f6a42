"""Word and PowerPoint files for Council documents: the report draft and the slides.

The report draft follows the Secretary-General's yearly report to Council on Resolution 191
(seed 002: C25 report): front matter (Summary, Action required by the Council, Relevant link(s)
with the Strategic Plan, Financial implications, References), then numbered sections on the
coordination within the secretariat (ISC-TF: the themes that reported and their status,
reporting completeness), among the membership (ISCG), the overlaps identified and the areas of
mutual interest, and an annex per theme. What the data can say is written in; the rest is a
placeholder in [square brackets], highlighted, for the secretariat to complete.

The Word file is made to be pasted into the Council template: A4 with 2.5 cm margins, the
document's own styles only (Title, Heading 1/2, Normal, List Bullet, Caption, Table Grid), figure
and table captions numbered by Word's own SEQ fields (so a figure inserted later renumbers the
rest), each picture kept on the page of its caption, and tables whose columns are wide enough
for their longest word at the table's font size, with a repeated header row, at the text width.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from isc import export
from isc.i18n import DEFAULT, translate

PAGE_W_CM, PAGE_H_CM, MARGIN_CM = 21.0, 29.7, 2.5
TEXT_W_CM = PAGE_W_CM - 2 * MARGIN_CM  # 16 cm: the figures' width
FONT = "Calibri"
TABLE_PT = (9.0, 8.0, 7.0)  # the table font size, smaller only when a table would not fit
CELL_MARGIN_PT = 5.4  # Word's default left and right cell margin (0.19 cm)
ZWSP = "\u200b"  # lets a line break after "/" (theme names like "Membership/Partnership/...")
_FONTS = Path("/usr/share/fonts/truetype/dejavu")


@cache
def _font(bold: bool):
    """A wide sans-serif (DejaVu Sans) to measure words: wider than Calibri, Carlito and Arial,
    so a column wide enough for it is wide enough in Word and in LibreOffice."""
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(_FONTS / name), 100)
    except OSError:
        return None


def text_width_pt(text: str, size_pt: float, bold: bool = False) -> float:
    """Width of `text` in points at `size_pt` (an upper bound for the document font)."""
    f = _font(bold)
    if f is None:  # no font file: 0.62 em per character is above DejaVu's average
        return len(text) * size_pt * 0.62
    return f.getlength(text) * size_pt / 100


def words(text: str) -> list[str]:
    """The unbreakable pieces of a cell: split at spaces and after "/" (where ZWSP is put)."""
    return [w for w in text.replace("/", "/" + ZWSP).replace(ZWSP, " ").split() if w]


def column_widths(header: list[str], rows: list[list[str]], avail_pt: float, size_pt: float) -> list[float] | None:
    """Column widths (points) summing to `avail_pt`, each at least its longest word plus the cell
    margins; the rest shared out towards each column's longest cell. None if it cannot fit."""
    pad = 2 * CELL_MARGIN_PT + 2
    need, want = [], []
    for i, head in enumerate(header):
        cells = [(head, True)] + [(r[i], False) for r in rows]
        need.append(max(text_width_pt(w, size_pt, b) for c, b in cells for w in words(c) or [""]) + pad)
        want.append(max(need[-1], min(0.45 * avail_pt, max(text_width_pt(c, size_pt, b) for c, b in cells) + pad)))
    if sum(need) > avail_pt:
        return None
    extra = avail_pt - sum(need)
    gaps = [w - n for w, n in zip(want, need, strict=True)]
    if sum(gaps) >= extra:
        return [n + g * extra / sum(gaps) if sum(gaps) else n for n, g in zip(need, gaps, strict=True)]
    rest = extra - sum(gaps)
    return [w + rest * w / sum(want) for w in want]


# --- Word primitives ------------------------------------------------------------------------


def new_document(lang: str = DEFAULT):
    """An A4 document (2.5 cm margins) whose styles carry the formatting."""
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(PAGE_W_CM), Cm(PAGE_H_CM)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(MARGIN_CM))
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(6)
    for name, size in (("Title", 16), ("Heading 1", 13), ("Heading 2", 12)):
        st = styles[name]
        st.font.name, st.font.size, st.font.bold = FONT, Pt(size), True
        st.font.color.rgb = RGBColor(0, 0, 0)
    cap = styles["Caption"]
    cap.font.name, cap.font.size, cap.font.italic, cap.font.bold = FONT, Pt(10), False, False
    cap.font.color.rgb = RGBColor(0, 0, 0)
    cap.paragraph_format.space_after = Pt(12)
    if "Placeholder" not in [s.name for s in styles]:
        ph = styles.add_style("Placeholder", WD_STYLE_TYPE.CHARACTER)
        ph.base_style = None
        ph.font.color.rgb = RGBColor(0x80, 0, 0)
    doc.core_properties.language = lang
    lang_tag = {"en": "en-GB", "fr": "fr-FR"}.get(lang, lang)
    for st in (normal, cap):
        rpr = st.element.get_or_add_rPr()
        el = rpr.find(qn("w:lang"))
        if el is None:
            el = rpr.makeelement(qn("w:lang"), {})
            rpr.append(el)
        el.set(qn("w:val"), lang_tag)
    return doc


def placeholder(paragraph, text: str):
    """A run the secretariat must complete: [in brackets], highlighted."""
    from docx.enum.text import WD_COLOR_INDEX

    run = paragraph.add_run(f"[{text}]", style="Placeholder")
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    return run


def _field(paragraph, instruction: str, result: str) -> None:
    """A complex field (fldChar begin / instrText / separate / result / end) with its result."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def fld(kind: str):
        r = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        r._r.append(el)

    fld("begin")
    r = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    r._r.append(instr)
    fld("separate")
    paragraph.add_run(result)
    fld("end")


def caption(doc, kind: str, number: int, text: str, lang: str = DEFAULT):
    """A numbered caption in the Caption style: "<Figure> <SEQ field>. text". The SEQ name is the
    label in the document's language (Word's own "Figure", "Tableau"...), so Insert Caption goes
    on with the same numbering."""
    label = translate(lang, f"report.label.{kind}")
    p = doc.add_paragraph(style="Caption")
    p.paragraph_format.keep_together = True  # a caption never splits across pages
    p.add_run(f"{label} ")
    _field(p, f"SEQ {label} \\* ARABIC", str(number))
    p.add_run(f". {text}")
    return p


def add_figure(doc, png: bytes, number: int, text: str, lang: str = DEFAULT) -> None:
    """The picture at the text width, kept on the page of the caption that follows it."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    doc.add_picture(io.BytesIO(png), width=Cm(TEXT_W_CM))
    pic = doc.paragraphs[-1]
    pic.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pic.paragraph_format.keep_with_next = True
    pic.paragraph_format.space_after = 0
    caption(doc, "figure", number, text, lang)


def _cell_text(v, lang: str) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return translate(lang, "export.yes" if v else "export.no")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return export.number(v, lang)
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d")
    return str(v)


def add_table(doc, frame: pd.DataFrame, number: int, title: str, lang: str = DEFAULT) -> None:
    """A numbered table: caption above (kept with the table), header row repeated on every page,
    columns sized so that no word breaks, the whole at the text width."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    cap = caption(doc, "table", number, title, lang)
    cap.paragraph_format.keep_with_next = True
    header = [str(c) for c in frame.columns]
    rows = [[_cell_text(v, lang) for v in row] for row in frame.itertuples(index=False, name=None)]
    avail = TEXT_W_CM / 2.54 * 72
    for size in TABLE_PT:
        widths = column_widths(header, rows, avail, size)
        if widths:
            break
    else:  # too many columns even at 7 pt: share the width equally
        size, widths = TABLE_PT[-1], [avail / len(header)] * len(header)
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for col, w in zip(table.columns, widths, strict=True):
        col.width = Pt(w)
    head_row = table.rows[0]
    tr_pr = head_row._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)

    def fill(cell, text: str, w: float, bold: bool = False, right: bool = False) -> None:
        cell.width = Pt(w)
        p = cell.paragraphs[0]
        p.paragraph_format.space_after = Pt(0)
        if right:
            from docx.enum.text import WD_ALIGN_PARAGRAPH

            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = p.add_run(text.replace("/", "/" + ZWSP))
        run.font.size, run.font.bold = Pt(size), bold

    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns]
    for cell, text, w in zip(head_row.cells, header, widths, strict=True):
        fill(cell, text, w, bold=True)
    for row in rows:
        for cell, text, w, num in zip(table.add_row().cells, row, widths, numeric, strict=True):
            fill(cell, text, w, right=num)
    doc.add_paragraph()


# --- the Council report ---------------------------------------------------------------------


@dataclass
class Facts:
    """What the data says for the report: filled into its sentences and tables."""

    period_text: str  # "2026-Q3" or "2026"
    status_period: str  # the quarter whose status is shown (a year's last quarter)
    themes_reported: list[tuple[str, str]]  # (name, status words) of themes with a report in
    status_counts: dict[str, int]  # computed status -> themes
    n_themes: int
    completeness: dict  # expected, received, on_time, late, missing
    overlaps: dict  # reviewed, duplicate, complementary, not related
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # "themes", "completeness"


# Which section each catalogue chart goes into.
SECTION_OF = {
    "status_counts": "isctf", "track_progress": "isctf", "theme_sector": "isctf", "track_trend": "isctf",
    "sector_status": "isctf", "sector_participation": "overlaps", "sector_matrix": "overlaps",
    "resolution_coverage": "mutual", "status_history": "annex", "indicators": "annex",
}  # fmt: skip


def _list(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return translate(lang, "report.list_sep").join(items[:-1]) + translate(lang, "report.and_last") + items[-1]


def summary_sentences(f: Facts, lang: str = DEFAULT) -> list[str]:
    """The sentences the data fills: status of the themes, completeness, overlaps."""
    from isc.charts import STATUS_ORDER, status_label

    n = export.number
    parts = ", ".join(f"{n(c, lang)} {status_label(s, lang).lower()}"
                      for s in STATUS_ORDER if (c := f.status_counts.get(s, 0)))  # fmt: skip
    c = f.completeness
    share = export.percent(100 * c["received"] / c["expected"], lang) if c["expected"] else "–"
    on_time = export.percent(100 * c["on_time"] / c["expected"], lang) if c["expected"] else "–"
    o = f.overlaps
    return [
        translate(lang, "report.summary.status", period=f.status_period, n=n(len(f.themes_reported), lang),
                  total=n(f.n_themes, lang), parts=parts or "–"),
        translate(lang, "report.summary.completeness", period=f.period_text, received=n(c["received"], lang),
                  expected=n(c["expected"], lang), share=share, on_time=on_time, late=n(c["late"], lang),
                  missing=n(c["missing"], lang)),
        translate(lang, "report.summary.overlaps", period=f.period_text, reviewed=n(o["reviewed"], lang),
                  duplicate=n(o["duplicate"], lang), complementary=n(o["complementary"], lang),
                  unrelated=n(o["not related"], lang)),
    ]


def report_docx(
    items: list[export.ExportItem],
    keys: list[str],
    images: dict,
    facts: Facts,
    source: str,
    draft_note: str,
    lang: str = DEFAULT,
) -> bytes:
    """The Council report draft. `keys[i]` is the catalogue key of `items[i]` (its section)."""
    from docx.shared import Pt

    tr = lambda key, **v: translate(lang, key, **v)  # noqa: E731
    doc = new_document(lang)
    p = doc.add_paragraph()
    placeholder(p, tr("report.ph.document"))
    doc.add_paragraph(tr("report.by_sg"), style="Title")
    doc.add_heading(tr("report.title"), level=1)
    doc.add_paragraph(tr("report.subtitle"))
    note = doc.add_paragraph()
    note.add_run(draft_note).italic = True
    note.add_run(" " + tr("report.placeholder_note")).italic = True

    # Front matter, as in the Council document.
    doc.add_heading(tr("report.summary"), level=2)
    doc.add_paragraph(tr("report.summary.purpose", period=facts.period_text))
    for line in summary_sentences(facts, lang):
        doc.add_paragraph(line)
    for key, ph in (("report.action", "report.ph.action"), ("report.links", "report.ph.links"),
                    ("report.financial", "report.ph.financial")):  # fmt: skip
        doc.add_heading(tr(key), level=2)
        placeholder(doc.add_paragraph(), tr(ph))
    doc.add_heading(tr("report.references"), level=2)
    doc.add_paragraph(tr("report.references.text"))
    rule = doc.add_paragraph("_" * 20)
    rule.paragraph_format.space_after = Pt(12)

    figures = {k: [] for k in ("isctf", "overlaps", "mutual", "annex")}
    for item, key in zip(items, keys, strict=True):
        figures[SECTION_OF.get(key, "annex")].append(item)
    counter = {"figure": 0, "table": 0}

    def put_figures(section: str) -> None:
        for item in figures[section]:
            counter["figure"] += 1
            text = f"{item.title}. {export.localise_numbers(item.caption, lang)} {source}"
            add_figure(doc, images[item.number]["png"], counter["figure"], text, lang)

    def put_table(name: str, title: str) -> None:
        frame = facts.tables.get(name)
        if frame is not None and not frame.empty:
            counter["table"] += 1
            add_table(doc, frame, counter["table"], f"{title} {source}", lang)

    # 1 Background
    doc.add_heading(tr("report.s1"), level=1)
    doc.add_paragraph(tr("report.s1.text"))
    placeholder(doc.add_paragraph(), tr("report.ph.background"))
    # 2 ISC-TF: the themes that reported and their status, completeness
    doc.add_heading(tr("report.s2"), level=1)
    placeholder(doc.add_paragraph(), tr("report.ph.meetings"))
    reported = [f"{name} ({status})" for name, status in facts.themes_reported]
    if reported:
        doc.add_paragraph(tr("report.s2.themes", period=facts.status_period, themes=_list(reported, lang)))
    else:
        doc.add_paragraph(tr("report.s2.no_themes", period=facts.status_period))
    put_table("themes", tr("report.table.themes", period=facts.status_period))
    put_figures("isctf")
    doc.add_heading(tr("report.s2.completeness"), level=2)
    doc.add_paragraph(summary_sentences(facts, lang)[1])
    put_table("completeness", tr("report.table.completeness", period=facts.period_text))
    placeholder(doc.add_paragraph(), tr("report.ph.results"))
    # 3 ISCG
    doc.add_heading(tr("report.s3"), level=1)
    placeholder(doc.add_paragraph(), tr("report.ph.iscg"))
    # 4 Overlaps
    doc.add_heading(tr("report.s4"), level=1)
    doc.add_paragraph(summary_sentences(facts, lang)[2])
    put_figures("overlaps")
    placeholder(doc.add_paragraph(), tr("report.ph.solutions"))
    # 5 Areas of mutual interest
    if figures["mutual"]:
        doc.add_heading(tr("report.s5"), level=1)
        put_figures("mutual")
    if figures["annex"]:
        doc.add_heading(tr("report.annex"), level=1)
        put_figures("annex")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def simple_docx(
    items: list[export.ExportItem],
    images: dict,
    title: str,
    summary: list[str],
    source: str,
    tables: list[tuple[str, pd.DataFrame]] = (),
    lang: str = DEFAULT,
) -> bytes:
    """A plain figures document (title, summary, figures, tables) with the same page and captions."""
    doc = new_document(lang)
    doc.add_heading(title, level=1)
    doc.add_paragraph(source)
    doc.add_heading(translate(lang, "report.summary"), level=2)
    for line in summary:
        doc.add_paragraph(line, style="List Bullet")
    for n, item in enumerate(items, start=1):
        add_figure(doc, images[item.number]["png"], n, f"{item.title}. {item.caption} {source}", lang)
    for n, (name, frame) in enumerate(tables, start=1):
        add_table(doc, export.safe_frame(frame.head(40)), n, name, lang)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- slides -----------------------------------------------------------------------------------


def slides(items: list[export.ExportItem], images: dict, title: str, subtitle: str, source: str,
           lang: str = DEFAULT) -> bytes:  # fmt: skip
    """16:9 slides: a title slide across the width, then one chart per slide with its title once
    (the picture has none), the caption in the speaker notes and the source line in the footer."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Cm, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Cm(33.867), Cm(19.05)
    W, H = prs.slide_width, prs.slide_height
    blue = RGBColor(0x1D, 0x5C, 0x9B)

    def footer(slide, text: str) -> None:
        box = slide.shapes.add_textbox(Cm(1.5), H - Cm(1.4), W - Cm(3), Cm(0.9))
        p = box.text_frame.paragraphs[0]
        p.text = text
        p.font.size, p.font.color.rgb = Pt(11), RGBColor(0x44, 0x44, 0x44)

    cover = prs.slides.add_slide(prs.slide_layouts[0])
    band = cover.shapes.add_shape(1, 0, 0, W, Cm(1.2))  # MSO_SHAPE.RECTANGLE
    band.fill.solid()
    band.fill.fore_color.rgb = blue
    band.line.fill.background()
    t = cover.shapes.title
    t.left, t.top, t.width, t.height = Cm(2), Cm(5), W - Cm(4), Cm(5)
    t.text = title
    for p in t.text_frame.paragraphs:
        p.alignment, p.font.size, p.font.bold, p.font.color.rgb = PP_ALIGN.LEFT, Pt(36), True, blue
    sub = cover.placeholders[1]
    sub.left, sub.top, sub.width, sub.height = Cm(2), Cm(10.5), W - Cm(4), Cm(4)
    sub.text = subtitle
    for p in sub.text_frame.paragraphs:
        p.alignment, p.font.size = PP_ALIGN.LEFT, Pt(20)
    footer(cover, source)

    top, bottom = Cm(3.2), H - Cm(1.6)
    for item in items:
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        t = slide.shapes.title
        t.left, t.top, t.width, t.height = Cm(1.5), Cm(0.6), W - Cm(3), Cm(2.4)
        t.text = export.figure_label(item.number, item.title, lang)
        for p in t.text_frame.paragraphs:
            p.alignment, p.font.size, p.font.bold, p.font.color.rgb = PP_ALIGN.LEFT, Pt(26), True, blue
        h = bottom - top
        w = int(h * export.WIDTH_PX / export.HEIGHT_PX)
        slide.shapes.add_picture(io.BytesIO(images[item.number]["png"]), (W - w) // 2, top, width=w, height=h)
        footer(slide, source)
        slide.notes_slide.notes_text_frame.text = export.localise_numbers(item.caption, lang)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
