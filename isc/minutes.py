"""The minutes of a meeting: a Word document (A4, the document's own styles) and its PDF.

`gather` reads what the meeting recorded (title, body, date, attendance, who ended it), the
figures as they were shown (the theme statuses at the meeting's frozen data version, with "n of m
Sectors reported"), the notes, decisions and actions per theme, and the actions taken up from
earlier meetings. `docx_bytes` writes it in the interface language (catalogue keys minutes.*),
with the styles Title, Heading 1, Heading 2, Caption, List Bullet and a table style, so that the
secretariat can restyle it with its own template. `pdf_bytes` converts that .docx with
LibreOffice (`soffice --headless --convert-to pdf`, the tool the tests already use to open the
exported files); it returns None when LibreOffice is not installed.

A theme is "discussed" when the meeting recorded a note, a decision or an action for it; the
minutes list those in agenda order, and every theme's status in a closing table.
No Streamlit here: the Meeting page only calls these functions.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from isc import i18n
from isc import meeting as meeting_rules
from isc.charts import status_label
from isc.db import coordination, queries
from isc.filters import Filters

Db = str | os.PathLike | None
TABLE_STYLE = "Light Grid Accent 1"
PAGE_W_CM, PAGE_H_CM, MARGIN_CM = 21.0, 29.7, 2.5


@dataclass
class ThemeMinutes:
    theme: str
    name: str
    track: str
    status: str  # computed, at the frozen data version
    self_status: str
    previous_status: str | None
    reported: int
    expected: int
    notes: str = ""
    decided: str = ""
    actions: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class Minutes:
    meeting_id: int
    lang: str
    title: str
    body: str
    period: str
    starts_at: dt.datetime
    frozen_version: int
    as_of: dt.datetime | None
    ended_at: dt.datetime | None
    ended_by: str | None
    attendance: list[str]
    themes: list[ThemeMinutes]  # discussed, in agenda order
    agenda: pd.DataFrame  # every theme: theme, theme_name, track_name, computed_status, n of m
    earlier_actions: pd.DataFrame  # taken up from earlier meetings of the same body

    def t(self, key: str, **values) -> str:
        return i18n.translate(self.lang, key, **values)


def _names(lang: str, db: Db) -> dict[str, dict[str, str]]:
    """{tbl: {code: name}} in the language (empty for English: the query's names are English)."""
    if lang == i18n.DEFAULT:
        return {}
    try:
        df = queries.localised_names(lang, db)
    except Exception:  # noqa: BLE001 - a database from before localised names: English
        return {}
    out: dict[str, dict[str, str]] = {}
    for r in df[df["field"] == "name"].itertuples(index=False):
        out.setdefault(r.tbl, {})[r.code] = r.text
    return out


def gather(meeting_id: int, lang: str = i18n.DEFAULT, db: Db = None) -> Minutes:
    """Everything the minutes say, read from the database at the meeting's frozen data version."""
    lang = i18n.supported(lang)
    m = coordination.meeting(meeting_id, db)
    if m is None:
        raise ValueError(f"no meeting {meeting_id}")
    version = int(m["frozen_version"])
    current = queries.theme_status(Filters(m["period"]), db, version=version)
    prev = coordination.previous_meeting(meeting_id, db)
    previous = (
        queries.theme_status(Filters(prev["period"]), db, version=int(prev["frozen_version"])) if prev else None
    )
    agenda = meeting_rules.agenda(current, previous)
    names = _names(lang, db)
    track_codes = dict(zip(current["theme"], current.get("track", current["track_name"]), strict=True))
    agenda["theme_name"] = [names.get("theme", {}).get(c, n) for c, n in zip(agenda["theme"], agenda["theme_name"],
                                                                               strict=True)]
    agenda["track_name"] = [
        names.get("track", {}).get(track_codes.get(c), n)
        for c, n in zip(agenda["theme"], agenda["track_name"], strict=True)
    ]
    notes = coordination.notes(meeting_id, db).set_index("theme")
    acts = coordination.actions(meeting_id, db=db)
    themes = []
    for r in agenda.itertuples(index=False):
        note = notes.loc[r.theme] if r.theme in notes.index else None
        text = (note["notes"] if note is not None and isinstance(note["notes"], str) else "").strip()
        decided = (note["decided"] if note is not None and isinstance(note["decided"], str) else "").strip()
        mine = acts[acts["theme"] == r.theme]
        if not (text or decided or len(mine)):
            continue
        themes.append(
            ThemeMinutes(
                theme=r.theme,
                name=r.theme_name,
                track=r.track_name,
                status=r.computed_status,
                self_status=r.self_status,
                previous_status=r.previous_status if isinstance(r.previous_status, str) else None,
                reported=int(r.sectors_reported),
                expected=int(r.sectors_expected),
                notes=text,
                decided=decided,
                actions=mine.reset_index(drop=True),
            )
        )
    ended = m.get("ended_at")
    return Minutes(
        meeting_id=int(meeting_id),
        lang=lang,
        title=str(m["title"]),
        body=str(m["body"]),
        period=str(m["period"]),
        starts_at=pd.Timestamp(m["starts_at"]).to_pydatetime(),
        frozen_version=version,
        as_of=queries.as_of(db, version=version),
        ended_at=None if ended is None or pd.isna(ended) else pd.Timestamp(ended).to_pydatetime(),
        ended_by=m.get("ended_by") if isinstance(m.get("ended_by"), str) else None,
        attendance=coordination.attendance_list(m.get("attendance") if isinstance(m.get("attendance"), str) else ""),
        themes=themes,
        agenda=agenda,
        earlier_actions=coordination.carried_actions(meeting_id, db=db),
    )


def _date(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def _status_word(status: str, mn: Minutes) -> str:
    return mn.t(f"meeting.action_{status}") if status in coordination.ACTION_STATUSES else status


def _table(doc, header: list[str], rows: list[list[str]], widths_cm: list[float] | None = None):
    from docx.shared import Cm

    table = doc.add_table(rows=1, cols=len(header))
    table.style = TABLE_STYLE
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    # Bold header row only (the style's first-column emphasis off); the header repeats on
    # each page; widths set on the grid (LibreOffice) and on every cell (Word).
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    look = table._tbl.tblPr.find(qn("w:tblLook"))
    if look is None:
        look = OxmlElement("w:tblLook")
        table._tbl.tblPr.append(look)
    for attr, value in (("w:firstRow", "1"), ("w:firstColumn", "0"), ("w:lastRow", "0"), ("w:lastColumn", "0"),
                        ("w:noHBand", "0"), ("w:noVBand", "1"), ("w:val", "0420")):  # fmt: skip
        look.set(qn(attr), value)
    header_pr = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_pr.append(repeat)
    widths_cm = widths_cm or [(PAGE_W_CM - 2 * MARGIN_CM) / len(header)] * len(header)
    table.autofit = False
    for column, w in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(w)
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(w)
    return table


def _caption(doc, text: str):
    """A caption kept on the page of the table it introduces."""
    p = doc.add_paragraph(text, style="Caption")
    p.paragraph_format.keep_with_next = True
    return p


def docx_bytes(mn: Minutes) -> bytes:
    """The minutes as a Word document (A4, 2.5 cm margins) in the minutes' language."""
    from docx import Document
    from docx.shared import Cm

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(PAGE_W_CM), Cm(PAGE_H_CM)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))
    doc.core_properties.title = mn.title
    doc.core_properties.language = mn.lang
    doc.core_properties.subject = mn.t("minutes.subject", body=mn.body)
    t = mn.t
    doc.add_paragraph(mn.title, style="Title")
    doc.add_paragraph(
        t("minutes.meta", body=mn.body, date=f"{mn.starts_at:%Y-%m-%d %H:%M}", period=mn.period)
    )
    doc.add_paragraph(
        t("minutes.frozen", version=mn.frozen_version, when=f"{mn.as_of:%Y-%m-%d %H:%M}" if mn.as_of else "n/a")
    )
    if mn.ended_at:
        doc.add_paragraph(t("minutes.ended", when=f"{mn.ended_at:%Y-%m-%d %H:%M}", who=mn.ended_by or "?"))
    else:
        doc.add_paragraph(t("minutes.not_ended"))

    doc.add_heading(t("minutes.present"), level=1)
    if mn.attendance:
        for who in mn.attendance:
            doc.add_paragraph(who, style="List Bullet")
    else:
        doc.add_paragraph(t("minutes.no_attendance"))

    number = 0
    doc.add_heading(t("minutes.earlier_actions"), level=1)
    if mn.earlier_actions.empty:
        doc.add_paragraph(t("minutes.no_earlier_actions"))
    else:
        number += 1
        _caption(doc, t("minutes.table_earlier", n=number))
        _table(
            doc,
            [t("minutes.col_action"), t("minutes.col_theme"), t("minutes.col_owner"), t("minutes.col_due"),
             t("minutes.col_set_at"), t("minutes.col_status")],
            [
                [str(a.text), str(a.theme or ""), str(a.owner or ""), _date(a.due_date),
                 f"{a.set_title} ({_date(a.set_at)})", _status_word(a.status, mn)]
                for a in mn.earlier_actions.itertuples(index=False)
            ],
            [5.0, 1.8, 2.4, 2.2, 2.8, 1.8],
        )

    doc.add_heading(t("minutes.themes_discussed"), level=1)
    if not mn.themes:
        doc.add_paragraph(t("minutes.nothing_discussed"))
    for th in mn.themes:
        doc.add_heading(th.name, level=2)
        status = t(
            "minutes.theme_status",
            status=status_label(th.status, mn.lang),
            own=status_label(th.self_status, mn.lang),
            n=th.reported,
            m=th.expected,
            period=mn.period,
            track=th.track,
        )
        if th.previous_status and th.previous_status != th.status:
            status += " " + t("minutes.was", was=status_label(th.previous_status, mn.lang))
        doc.add_paragraph(status)
        if th.notes:
            p = doc.add_paragraph()
            p.add_run(t("minutes.notes") + " ").bold = True
            p.add_run(th.notes)
        if th.decided:
            p = doc.add_paragraph()
            p.add_run(t("minutes.decisions") + " ").bold = True
            p.add_run(th.decided)
        if not th.actions.empty:
            number += 1
            _caption(doc, t("minutes.table_actions", n=number, theme=th.name))
            _table(
                doc,
                [t("minutes.col_action"), t("minutes.col_owner"), t("minutes.col_due")],
                [[str(a.text), str(a.owner or ""), _date(a.due_date)] for a in th.actions.itertuples(index=False)],
                [9.5, 3.5, 3.0],
            )

    doc.add_heading(t("minutes.all_themes"), level=1)
    number += 1
    _caption(doc, t("minutes.table_all", n=number, version=mn.frozen_version))
    _table(
        doc,
        [t("minutes.col_theme"), t("minutes.col_track"), t("minutes.col_status"), t("minutes.col_reported")],
        [
            [str(r.theme_name), str(r.track_name), status_label(r.computed_status, mn.lang),
             t("minutes.n_of_m", n=int(r.sectors_reported), m=int(r.sectors_expected))]
            for r in mn.agenda.itertuples(index=False)
        ],
        [6.0, 4.5, 2.8, 2.7],
    )
    doc.add_paragraph(t("minutes.source", version=mn.frozen_version))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def soffice() -> str | None:
    """The LibreOffice command, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def pdf_bytes(docx: bytes, timeout: float = 180) -> bytes | None:
    """The .docx converted to PDF by LibreOffice; None when LibreOffice is not installed.

    Each conversion gets its own LibreOffice profile directory, so two at once do not collide
    (nor with a LibreOffice the user has open)."""
    exe = soffice()
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="isc_minutes_") as tmp:
        folder = Path(tmp)
        src = folder / "minutes.docx"
        src.write_bytes(docx)
        cmd = [
            exe, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore",
            "--convert-to", "pdf", "--outdir", str(folder), str(src),
        ]  # fmt: skip
        subprocess.run(cmd, check=False, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        out = folder / "minutes.pdf"
        if not out.exists():
            raise RuntimeError("LibreOffice did not convert the minutes to PDF")
        return out.read_bytes()


def file_stem(mn: Minutes) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in mn.title).strip("_")[:60]
    return f"minutes_{mn.starts_at:%Y-%m-%d}_{safe or mn.body}"
