"""The minutes (isc.minutes): what a meeting recorded, in the document's own styles, in the
interface language; the PDF through LibreOffice (tests/e2e/test_meeting_e2e.py renders it)."""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.shared import Cm

from isc import minutes
from isc.db import coordination
from tests.conftest import DEMO_LAST_PERIOD

PERIOD = str(DEMO_LAST_PERIOD)


def _meeting(db) -> tuple[int, int]:
    t0 = dt.datetime(2026, 10, 1, 9, 0)
    m1 = coordination.start_meeting("ISC-TF", PERIOD, "TF 1", starts_at=t0, db=db)
    carried = coordination.add_action(m1, "CLIM", "Carried over", "TSB", dt.date(2026, 12, 1), db=db)
    m2 = coordination.start_meeting("ISC-TF", PERIOD, "13th ISC-TF", "sec@example.org",
                                    starts_at=t0 + dt.timedelta(days=30), db=db)  # fmt: skip
    coordination.set_attendance(m2, "ITU-R; ITU-T\nGeneral Secretariat", db=db)
    coordination.save_note(m2, "SPACE", "ITU-D explained the delays.", "Re-plan with ITU-D.", db=db)
    coordination.add_action(m2, "SPACE", "Re-plan the workshop", "BDT", dt.date(2027, 2, 28), db=db)
    coordination.add_action(m2, "YOUTH", "Agree a lead Sector", None, None, db=db)
    coordination.end_meeting(m2, "sec@example.org", dt.datetime(2026, 10, 31, 12, 0), db=db)
    return m2, carried


def test_minutes_in_english(demo_db):
    mid, carried = _meeting(demo_db)
    mn = minutes.gather(mid, "en", demo_db)
    assert [t.theme for t in mn.themes] == ["SPACE", "YOUTH"]  # discussed, in agenda order
    assert mn.attendance == ["ITU-R", "ITU-T", "General Secretariat"]
    assert mn.earlier_actions["id"].tolist() == [carried]
    doc = Document(io.BytesIO(minutes.docx_bytes(mn)))
    s = doc.sections[0]
    assert (round(s.page_width.cm, 1), round(s.page_height.cm, 1), round(s.top_margin.cm, 1)) == (21.0, 29.7, 2.5)
    paras = [(p.style.name, p.text) for p in doc.paragraphs]
    assert paras[0] == ("Title", "13th ISC-TF")
    assert [t for st, t in paras if st == "Heading 1"] == [
        "Present", "Actions from earlier meetings", "Themes discussed", "Status of every theme"
    ]  # fmt: skip
    assert [t for st, t in paras if st == "Heading 2"] == ["Space", "Youth"]
    text = "\n".join(t for _, t in paras)
    assert f"data version {mn.frozen_version}" in text
    assert "Meeting ended on 2026-10-31 12:00 by sec@example.org." in text
    assert "Computed status: Off track (self-assessed: On track); 3 of 3 Sectors reported" in text
    assert "Notes: ITU-D explained the delays." in text and "Decisions: Re-plan with ITU-D." in text
    captions = [t for st, t in paras if st == "Caption"]
    assert captions[0] == "Table 1. Actions from earlier meetings and their status"
    assert captions[1] == "Table 2. Actions on Space"
    rows = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert rows[1][:4] == ["Carried over", "CLIM", "TSB", "2026-12-01"] and rows[1][-1] == "open"
    assert [[c.text for c in r.cells] for r in doc.tables[1].rows][1] == ["Re-plan the workshop", "BDT", "2027-02-28"]
    assert len(doc.tables[-1].rows) == 1 + len(mn.agenda)  # every theme, as shown in the meeting
    assert abs(doc.tables[1].columns[0].width - Cm(9.5)) < Cm(0.05)


def test_minutes_in_french(demo_db):
    mid, _ = _meeting(demo_db)
    doc = Document(io.BytesIO(minutes.docx_bytes(minutes.gather(mid, "fr", demo_db))))
    paras = [(p.style.name, p.text) for p in doc.paragraphs]
    assert [t for st, t in paras if st == "Heading 1"][:2] == ["Présents", "Actions des réunions précédentes"]
    assert [t for st, t in paras if st == "Heading 2"][0] == "Espace"  # the theme's French name
    text = "\n".join(t for _, t in paras)
    assert "Statut calculé : Hors trajectoire" in text and "3 Secteurs sur 3 ont fait rapport" in text
    assert doc.core_properties.language == "fr"


def test_pdf_without_libreoffice_says_none(monkeypatch):
    monkeypatch.setattr(minutes.shutil, "which", lambda name: None)
    assert minutes.soffice() is None and minutes.pdf_bytes(b"not used") is None
