"""Print-quality exports: figures for Council documents, data tables, Word/PowerPoint packs.

The exported figure is the on-screen figure (same chart function) re-laid out at a fixed size:
16 cm wide at 300 dpi (1890 px), so it looks the same whatever the browser window was. It comes
in two variants: *alone* (no title, caption or source inside the image: for Word, where the
caption is Word's own numbered caption, and for slides, whose title and footer carry them) and
*captioned* (numbered title, caption and the source line naming the data version under the plot:
for e-mail). PNG carries 300 dpi, PDF pages are exactly 16 cm wide. Static images come from
kaleido driving Debian's chromium, started once per process and shared by every thread
(`image` for one figure, `Rendering` for a batch drawn while the caller builds the rest).

Every text an export adds (figure label, source line, column headings, status words) comes from
the message catalogues in the export's language; numbers are written the language's way
(`number`: decimal comma and narrow no-break space thousands in French).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import csv
import datetime as dt
import functools
import io
import logging
import re
import struct
import sys
import threading
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from isc.i18n import DEFAULT, translate

WIDTH_CM = 16.0
DPI = 300
SCALE = 2  # layout pixels x SCALE = image pixels
WIDTH_PX = round(WIDTH_CM / 2.54 * DPI)  # 1890
HEIGHT_PX = round(WIDTH_PX * 0.62)  # 1172
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Print font sizes in layout pixels: 945 px span 16 cm, so 1 px is 0.48 pt; body text at 16 px
# is 7.7 pt on paper, the title 9.6 pt, the caption 6.7 pt (Word repeats it at full size).
FONT_PX, TITLE_PX, SMALL_PX = 16, 20, 14
# Images come from one Chromium that kaleido drives from an asyncio loop in a thread of this
# module (not kaleido's sync server: it answers through one shared queue, so callers took turns,
# one image at a time). Any thread submits a figure and gets a future of its own: the pack's two
# dozen images, or several sessions' downloads, are drawn as a batch over TABS tabs.
TABS = 2
RELOAD_EVERY = 50  # images a tab draws between two reloads (see _kaleido_class)
IMAGE_TIMEOUT_S = 120.0
_renderer_lock = threading.Lock()
_renderer: _Renderer | None = None
_render_format: contextvars.ContextVar[str] = contextvars.ContextVar("isc_render_format", default="")
_log = logging.getLogger(__name__)


@dataclass
class ExportItem:
    """One numbered figure (with its data) for an export."""

    number: int
    title: str
    caption: str
    figure: go.Figure
    data: pd.DataFrame


def source_line(as_of: dt.datetime | None, version: int, lang: str = DEFAULT) -> str:
    when = as_of.strftime("%Y-%m-%d") if as_of else "n/a"
    return translate(lang, "export.source", when=when, version=version)


# Languages that write 1 234,5 (decimal comma, narrow no-break space between thousands) and 45 %.
_COMMA_LANGS = {"fr"}
NNBSP = "\u202f"  # narrow no-break space: the French thousands separator and the space before %


def number(value, lang: str = DEFAULT, decimals: int | None = None) -> str:
    """A number written the language's way: 1,234.5 in English, 1 234,5 in French."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if decimals is None:
        decimals = 0 if float(value) == int(float(value)) else 1
    text = f"{float(value):,.{decimals}f}"
    if lang in _COMMA_LANGS:
        text = text.replace(",", NNBSP).replace(".", ",")
    return text


def percent(value, lang: str = DEFAULT, decimals: int = 0) -> str:
    """45% in English, 45 % in French."""
    return number(value, lang, decimals) + (NNBSP + "%" if lang in _COMMA_LANGS else "%")


_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
_PERCENT = re.compile(r"(?<=\d)%")


def localise_numbers(text: str, lang: str = DEFAULT) -> str:
    """Sentences made elsewhere (chart summaries) with their decimals and percentages in the
    language's form. Whole numbers are left alone: they are counts and years."""
    if lang not in _COMMA_LANGS or not text:
        return text
    return _PERCENT.sub(NNBSP + "%", _DECIMAL_POINT.sub(",", text))


def figure_label(number: int, title: str, lang: str = DEFAULT) -> str:
    """"Figure 3. Progress per track" in the language."""
    return translate(lang, "export.figure_label", number=number, title=title)


def ensure_server() -> None:
    """Start the renderer (kaleido's Chromium, about 3 s) once per process, so that the first
    image a user asks for does not pay for it."""
    renderer()


@functools.cache
def _kaleido_class() -> type:
    import kaleido

    class _Kaleido(kaleido.Kaleido):
        """kaleido (pinned, 1.5.0) reloads a tab after every image, plotly.js parsed again, and
        answers only once the reload is done: 0.15-0.25 s, as long as the image itself.
        Plotly.toImage draws a PNG or SVG in a detached copy of the figure and purges it, leaving
        the page as it was; so here a tab is reloaded only after a PDF (which writes into the
        page), an error, or RELOAD_EVERY images, and in the background: the image is answered at
        once. (Should kaleido rename these private hooks, it simply reloads every time again.)"""

        async def _render_task(self, fig_arg, **kwargs):  # noqa: ANN001, ANN202 - kaleido's
            _render_format.set(str((fig_arg.get("opts") or {}).get("format") or ""))
            return await super()._render_task(fig_arg, **kwargs)

        async def _return_kaleido_tab(self, tab) -> None:  # noqa: ANN001 - kaleido's
            uses = getattr(tab, "isc_uses", 0) + 1
            failed = sys.exc_info()[1] is not None  # kaleido calls this from a `finally`
            if uses < RELOAD_EVERY and not failed and _render_format.get() in ("png", "svg"):
                tab.isc_uses = uses
                await self.tabs_ready.put(tab)
                return
            tab.isc_uses = 0
            task = asyncio.get_running_loop().create_task(self._isc_reload(tab))
            self._main_render_coroutines.add(task)  # awaited (or cancelled) when kaleido closes
            task.add_done_callback(self._main_render_coroutines.discard)

        async def _isc_reload(self, tab) -> None:  # noqa: ANN001
            try:
                await tab.reload()
            except Exception:  # a tab that cannot reload fails its next image, it does not hang it
                _log.exception("the image renderer could not reload a tab")
            await self.tabs_ready.put(tab)

    return _Kaleido


class _Renderer:
    """kaleido's Chromium and the asyncio loop driving it, in a daemon thread of their own."""

    def __init__(self, tabs: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="isc-image-renderer", daemon=True)
        self.thread.start()
        try:
            self.kaleido = asyncio.run_coroutine_threadsafe(self._open(tabs), self.loop).result(IMAGE_TIMEOUT_S)
        except BaseException:
            self.loop.call_soon_threadsafe(self.loop.stop)
            raise
        atexit.register(self.close)

    @staticmethod
    async def _open(tabs: int):  # noqa: ANN205 - a kaleido.Kaleido
        k = _kaleido_class()(n=tabs, mathjax=False)  # no MathJax: the charts use no LaTeX, and no CDN fetch
        await k.open()
        return k

    def alive(self) -> bool:
        return self.thread.is_alive() and not self.loop.is_closed()

    def submit(self, fig: go.Figure, formats: tuple[str, ...]) -> Future:
        """{format: image bytes}, each asked of kaleido as plotly's `fig.to_image` asks it, all
        drawn at once (the figure serialised once for all)."""
        spec, w, h = fig.to_dict(), WIDTH_PX // SCALE, HEIGHT_PX // SCALE

        async def draw() -> dict[str, bytes]:
            jobs = [self.kaleido.calc_fig(spec, opts={"format": fmt, "width": w, "height": h,
                                                      "scale": PDF_SCALE if fmt == "pdf" else SCALE})
                    for fmt in formats]  # fmt: skip
            return dict(zip(formats, await asyncio.gather(*jobs), strict=True))

        return asyncio.run_coroutine_threadsafe(draw(), self.loop)

    def close(self) -> None:
        if not self.alive():
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.kaleido.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def renderer() -> _Renderer:
    """The process's renderer, started on first use (and again if it has stopped)."""
    global _renderer
    with _renderer_lock:
        if _renderer is None or not _renderer.alive():
            _renderer = _Renderer(TABS)
        return _renderer


def print_figure(
    fig: go.Figure, item: ExportItem, source: str, alone: bool = False, lang: str = DEFAULT
) -> go.Figure:
    """A copy of `fig` laid out for print, 16 cm wide.

    Captioned (default): numbered title, caption and source under the plot, for e-mail. `alone`:
    the plot and its key only (no title, caption or source), for Word and slides, which carry
    their own numbered caption, title and source line.

    Laid out on the figure's dict and validated once, in the final go.Figure: plotly checks every
    property it is given, and an update_layout on the figure cost twice the figure itself (a
    Council pack lays out 12 of them)."""
    out = fig.to_dict()  # a deep copy
    data, lay = out["data"], out.setdefault("layout", {})
    layout_w, layout_h = WIDTH_PX // SCALE, HEIGHT_PX // SCALE
    # Keep the screen title's second line (e.g. the status key of a heatmap): it explains the marks.
    screen_title = (lay.get("title") or {}).get("text") or ""
    subtitle = screen_title[screen_title.find("<br>") :] if "<br>" in screen_title else ""
    subtitle = re.sub(r"^<br>|</?sup>", "", subtitle).strip()
    if alone:  # the key, if any, is the only text above the plot
        title = {"text": subtitle, "font": {"size": SMALL_PX, "color": "#333333"}, "x": 0.01, "xanchor": "left"}
    else:
        title = {
            "text": figure_label(item.number, item.title, lang),
            "subtitle": {"text": subtitle, "font": {"size": SMALL_PX}},
            "x": 0.01,
            "xanchor": "left",
            "font": {"size": TITLE_PX},
        }
    layout = {
        "width": layout_w,
        "height": layout_h,
        "autosize": False,
        "title": title | {"yref": "container", "y": 1 - 8 / layout_h, "yanchor": "top"},
        "font": {"size": FONT_PX},
        "paper_bgcolor": "white",
        "separators": ",\u202f" if lang in _COMMA_LANGS else ".,",
    }
    # Drop on-screen annotations that sit below the plot (e.g. the screen "as of" line), and
    # bring the others (panel titles) down to print size so neighbouring panels do not collide.
    keep = [a for a in lay.get("annotations", []) if not (a.get("yref") == "paper" and (a.get("y") or 0) < 0)]
    for a in keep:
        a.setdefault("font", {})["size"] = min(a["font"].get("size") or FONT_PX, FONT_PX)
        if a.get("xanchor") in (None, "auto"):  # "auto" left-aligns a panel title placed left of 1/3
            a["xanchor"] = "center"
    lay["annotations"] = keep
    # Top: title (+ its key line), then the legend in its own band, then the plot. Bottom: axis
    # labels, then the caption and source pinned to the bottom edge, however many lines they take.
    entries = [t.get("name") or "" for t in data if t.get("showlegend") is not False]
    legend = lay.get("showlegend") is not False and len(entries) > 1
    top = (34 if subtitle else 14) if alone else 40 + (30 if subtitle else 0)
    xaxes = [n for n in lay if re.fullmatch(r"xaxis\d*", n)] or ["xaxis"]
    yaxes = [n for n in lay if re.fullmatch(r"yaxis\d*", n)] or ["yaxis"]
    if any((lay.get(n) or {}).get("side") == "top" for n in xaxes):
        top += 55  # tick labels and axis title above the plot
    if legend:
        layout["legend"] = {"yref": "container", "y": 1 - top / layout_h, "yanchor": "top", "x": 0.01,
                            "xanchor": "left", "font": {"size": SMALL_PX}, "orientation": "h"}  # fmt: skip
        # One row holds about 900 px of entries (about 7.5 px per character plus the symbol).
        rows = max(1, -(-sum(round(7.5 * len(e)) + 50 for e in entries) // 900))
        top += 10 + 24 * rows
    caption = _wrap(localise_numbers(item.caption, lang), 115) + "<br><i>" + source + "</i>"
    bottom = 70 if alone else 78 + 18 * (caption.count("<br>") + 1)
    if any((lay.get(n) or {}).get("tickangle") not in (None, 0) for n in xaxes):
        bottom += 40  # slanted tick labels (quarters) need the height of their diagonal
    for name in [*xaxes, *yaxes]:
        layout[name] = {"title": {"font": {"size": FONT_PX}}, "tickfont": {"size": SMALL_PX}}
    left, right = _left_margin(data), 30
    layout["margin"] = {"l": left, "r": right, "t": top, "b": bottom}
    _merge(lay, layout)
    if not alone:
        plot_h = layout_h - top - bottom
        lay["annotations"].append(
            {
                "text": caption,
                "xref": "paper",
                "yref": "paper",
                "x": -(left - 12) / (layout_w - left - right),  # from the image's left edge, not the plot's
                "y": -(bottom - 6) / plot_h,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "align": "left",
                "font": {"size": SMALL_PX, "color": "#333333"},
            }
        )
    return go.Figure(out)


def _merge(into: dict, update: dict) -> None:
    """Merge `update` into `into` as plotly's update_layout does: dicts merge key by key, any
    other value replaces."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _left_margin(data: list[dict]) -> int:
    """Room for the y tick labels, reserved up front so the caption can start at the image edge.

    Plotly's automargin would widen the margin itself, but then the caption (placed relative to
    the plot) would move right and run off the image when the labels are long theme names."""
    longest = 0
    for trace in data:
        ys = trace.get("y")
        if ys is not None and len(ys) and all(isinstance(v, str) for v in ys):
            longest = max(longest, *(len(v) for v in ys))
    return max(70, min(420, round(24 + SMALL_PX * 0.52 * longest)))


def _wrap(text: str, width: int) -> str:
    words, lines, line = [w for w in text.split(" ") if w], [], ""  # not at no-break spaces
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    if line:
        lines.append(line)
    return "<br>".join(lines)


# Chromium prints a PDF page of (layout px x scale) / 96 inches: this scale makes it 16 cm wide.
PDF_SCALE = WIDTH_CM / 2.54 * 96 / (WIDTH_PX // SCALE)


def image(fig: go.Figure, fmt: str) -> bytes:
    """PNG (300 dpi metadata, 1890 px wide), SVG or PDF (a page exactly 16 cm wide)."""
    return _finish(submit_images(fig, (fmt,)))[fmt]


def submit_images(fig: go.Figure, formats: tuple[str, ...]) -> Future:
    """Start drawing `fig` in each format; `_finish` waits for them. Safe from any thread."""
    return renderer().submit(fig, formats)


def _finish(job: Future) -> dict[str, bytes]:
    try:
        images = job.result(IMAGE_TIMEOUT_S)
    except TimeoutError:
        job.cancel()
        raise
    return {fmt: _fit(data, fmt) for fmt, data in images.items()}


def _fit(data: bytes, fmt: str) -> bytes:
    """PNG with its dpi, PDF with its page size."""
    if fmt == "png":
        data = png_with_dpi(data, DPI)
    elif fmt == "pdf":
        w, h = WIDTH_PX // SCALE, HEIGHT_PX // SCALE
        data = pdf_page_size(data, WIDTH_CM, WIDTH_CM * h / w)
    return data


class Rendering:
    """The images of numbered figures on their way. `add` sends a figure's images to the renderer
    at once; `result` waits for them, in order. Between the two the caller builds whatever does
    not need them (queries, tables, facts), while Chromium draws."""

    def __init__(self, source: str, formats: tuple[str, ...] = ("png", "svg"), lang: str = DEFAULT,
                 alone: bool = True, captioned: tuple[str, ...] = ()) -> None:  # fmt: skip
        self.source, self.formats, self.lang, self.alone, self.captioned = source, formats, lang, alone, captioned
        self._jobs: dict[int, tuple[Future, Future | None]] = {}

    def add(self, item: ExportItem) -> None:
        fig = print_figure(item.figure, item, self.source, alone=self.alone, lang=self.lang)
        full = print_figure(item.figure, item, self.source, lang=self.lang) if self.captioned else None
        self._jobs[item.number] = (submit_images(fig, self.formats),
                                   submit_images(full, self.captioned) if full else None)  # fmt: skip

    def result(self, progress: Callable[[int, int], None] | None = None) -> dict:
        """{number: {format: bytes}}; `progress(n, total)` after each figure, on the caller's thread."""
        out = {}
        try:
            for n, (number, (alone, captioned)) in enumerate(self._jobs.items(), start=1):
                out[number] = _finish(alone)
                if captioned:
                    out[number] |= {f"captioned.{fmt}": data for fmt, data in _finish(captioned).items()}
                if progress:
                    progress(n, len(self._jobs))
        except BaseException:
            self.cancel()
            raise
        return out

    def cancel(self) -> None:
        for jobs in self._jobs.values():
            for job in jobs:
                if job:
                    job.cancel()


_MEDIABOX = re.compile(rb"/MediaBox\s*\[[^\]]*\]")


def pdf_page_size(data: bytes, width_cm: float, height_cm: float) -> bytes:
    """The PDF with its page box set to exactly width x height (Chromium rounds the page up by a
    fraction of a point). The box is rewritten in place at the same length, so the file's byte
    offsets (its xref table) stay valid; only white margin is trimmed."""

    def box(m: re.Match) -> bytes:
        new = f"/MediaBox [0 0 {width_cm / 2.54 * 72:.4f} {height_cm / 2.54 * 72:.4f}]".encode()
        old = m.group(0)
        return new[:-1] + b" " * max(0, len(old) - len(new)) + b"]" if len(new) <= len(old) else old

    return _MEDIABOX.sub(box, data)


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
    if isinstance(v, (list, tuple)) or (hasattr(v, "tolist") and hasattr(v, "__len__") and not isinstance(v, str)):
        try:
            return ", ".join(str(x) for x in list(v))
        except TypeError:
            return v
    return v


# Columns holding a code that people read as words: (catalogue key prefix, codes).
def _vocabularies() -> list[tuple[str, set[str]]]:
    from isc import charts, completeness
    from isc import status as rule

    return [
        ("status.", set(rule.ALL)),
        ("completeness.", set(completeness.ORDER)),
        ("coverage.", set(charts.COVERAGE_ORDER)),
        ("chart.role.", set(charts.ROLE_ORDER)),
    ]


def heading(column: str, lang: str = DEFAULT) -> str:
    """A column's heading in the language: catalogue key col.<column>, else the name in words."""
    text = translate(lang, f"col.{column}")
    return column.replace("_", " ") if text == f"col.{column}" else text


def readable(df: pd.DataFrame, lang: str = DEFAULT) -> pd.DataFrame:
    """A table for people: headings in the language, statuses (and other codes) in words with the
    code kept in its own column beside them, dates without a time, yes/no for true/false.

    A status table's English `label` column is dropped (the words column replaces it)."""
    out: dict[str, pd.Series] = {}
    vocab = _vocabularies()
    converted = False
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            times = s.dropna()
            midnight = times.empty or bool((times == times.dt.normalize()).all())
            out[col] = s.dt.date if midnight else s.dt.strftime("%Y-%m-%d %H:%M")
            out[col] = out[col].astype(object).where(s.notna(), None)
            continue
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.map({True: translate(lang, "export.yes"), False: translate(lang, "export.no")})
            continue
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            values = {v for v in s.dropna().unique() if isinstance(v, str)}
            hit = next((pre for pre, codes in vocab if values and values <= codes), None)
            if hit:
                out[col] = s.map(lambda v, pre=hit: translate(lang, pre + v.replace(" ", "_")) if isinstance(v, str) else v)
                out[f"{col}\0code"] = s
                converted = True
                continue
        out[col] = s
    if converted and "label" in out and "status" in df.columns:
        del out["label"]
    frame = pd.DataFrame(out)
    names, seen = [], {}
    for col in frame.columns:
        base, _, code = col.partition("\0")
        text = heading(base, lang)
        if code:
            text = translate(lang, "export.code_column", column=text)
        names.append(text)
        seen[text] = seen.get(text, 0) + 1
    # A code and a name column with the same heading ("track" and "track_name"): the code one says so.
    for i, col in enumerate(frame.columns):
        if seen[names[i]] > 1 and not col.endswith("_name") and "\0" not in col:
            names[i] = translate(lang, "export.code_column", column=names[i])
    for i, col in enumerate(frame.columns):  # any heading still shared: say which column it is
        if names.count(names[i]) > 1 and "\0" not in col:
            names[i] = f"{names[i]} ({col.replace('_', ' ')})"
    frame.columns = names
    return frame


def table_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (Excel opens it right); quotes fields holding CR/LF."""
    return _csv_bytes(safe_frame(df))


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False, name=None):
        writer.writerow(["" if (isinstance(v, float) and v != v) or v is None else v for v in row])
    return buf.getvalue().encode("utf-8-sig")


def table_xlsx(df: pd.DataFrame, sheet: str = "Data", note: str = "") -> bytes:
    """An .xlsx of the table; text is written as text (never as a formula)."""
    return _xlsx_bytes(safe_frame(df), sheet, note)


def _xlsx_bytes(frame: pd.DataFrame, sheet: str, note: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
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


def render(
    items: list[ExportItem],
    source: str,
    formats=("png", "svg"),
    progress=None,
    lang: str = DEFAULT,
    alone: bool = True,
    captioned: tuple[str, ...] = (),
) -> dict:
    """Render every figure once: {number: {format: bytes}}, shared by the docx, pptx and zip.

    `formats` are of the figure alone (`alone=True`, for Word and slides) or captioned; each
    format in `captioned` adds "captioned.<format>", the figure with caption and source (e-mail).
    All images are sent to the renderer first and drawn as one batch."""
    batch = Rendering(source, tuple(formats), lang, alone, tuple(captioned))
    for item in items:
        batch.add(item)
    return batch.result(progress)


def figures_zip(items: list[ExportItem], images: dict, lang: str = DEFAULT, folder: str = "") -> bytes:
    """figure_NN.png/.svg (alone), figure_NN_captioned.png (with caption) and figure_NN.csv."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        add_figures(zf, items, images, lang, folder)
    return buf.getvalue()


def figure_tables(items: list[ExportItem], lang: str = DEFAULT, source: str = "") -> dict[int, dict[str, bytes]]:
    """Each figure's data as files, {number: {"csv": bytes[, "xlsx": bytes]}}: the Excel table
    (titled, with the source line under it) only with a source. Needs no image, so a pack makes
    them while its images are drawn."""
    out = {}
    for item in items:
        table = safe_frame(readable(item.data, lang))  # made safe once for both files
        out[item.number] = {"csv": _csv_bytes(table)}
        if source:
            label = translate(lang, "report.label.figure")
            out[item.number]["xlsx"] = _xlsx_bytes(table, f"{label} {item.number}", source)
    return out


def add_figures(zf: zipfile.ZipFile, items: list[ExportItem], images: dict, lang: str = DEFAULT,
                folder: str = "", source: str = "", tables: dict | None = None) -> None:  # fmt: skip
    """Write each figure's images (stored: PNG is already compressed), CSV and, with a source
    line, its Excel table into an open zip (`tables`: figure_tables' output, made beforehand)."""
    tables = tables if tables is not None else figure_tables(items, lang, source)
    for item in items:
        stem = f"{folder}figure_{item.number:02d}"
        for fmt, data in images[item.number].items():
            name = f"{stem}_captioned.{fmt.split('.')[1]}" if fmt.startswith("captioned.") else f"{stem}.{fmt}"
            zf.writestr(name, data, compress_type=zipfile.ZIP_STORED if fmt.endswith("png") else zipfile.ZIP_DEFLATED)
        for ext, data in tables[item.number].items():
            zf.writestr(f"{stem}.{ext}", data)


def council_docx(
    items: list[ExportItem],
    images: dict,
    title: str,
    summary: list[str],
    source: str,
    tables: list[tuple[str, pd.DataFrame]] = (),
    lang: str = DEFAULT,
) -> bytes:
    """A plain Word document (A4): summary, the figures alone with Word's numbered captions, tables.
    The Council report draft is isc.report_draft.report_docx."""
    from isc import report_draft

    return report_draft.simple_docx(items, images, title, summary, source, tables, lang)


def council_pptx(items: list[ExportItem], images: dict, title: str, source: str, subtitle: str = "",
                 lang: str = DEFAULT) -> bytes:  # fmt: skip
    """One chart per slide (16:9), for the meeting."""
    from isc import report_draft

    return report_draft.slides(items, images, title, subtitle, source, lang)
