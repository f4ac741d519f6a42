"""Reminders to focal points: one message per address, links to the Upload page, SMTP delivery to a
real local server (aiosmtpd on 127.0.0.1), .eml download without SMTP, what was sent recorded,
and who may send them."""

from __future__ import annotations

import datetime as dt
import email
import io
import socket
import zipfile
from email import policy
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from isc import completeness as comp
from isc import reminders
from isc.db import connection, coordination
from tests.conftest import DEMO_LAST_PERIOD, ROOT

PERIOD = str(DEMO_LAST_PERIOD)


def _rows() -> pd.DataFrame:
    due = dt.date(2026, 10, 15)
    return pd.DataFrame(
        [
            {"period": PERIOD, "theme": "SPACE", "theme_name": "Space", "sector": "ITU-D", "focal_point": "A. Diallo",
             "email": "bdt.fp@example.org", "due_date": due, "status": comp.MISSING, "days_late": 46},
            {"period": PERIOD, "theme": "CLIM", "theme_name": "Climate", "sector": "ITU-D", "focal_point": "A. Diallo",
             "email": "bdt.fp@example.org", "due_date": due, "status": comp.MISSING, "days_late": 1},
            {"period": PERIOD, "theme": "EVT", "theme_name": "Events", "sector": "ITU-T", "focal_point": "B. Chen",
             "email": "tsb.fp@example.org", "due_date": due, "status": comp.MISSING, "days_late": 46},
            {"period": PERIOD, "theme": "EVT", "theme_name": "Events", "sector": "ITU-R", "focal_point": "C. Ruiz",
             "email": "brfp@example.org", "due_date": due, "status": comp.ON_TIME, "days_late": 0},
            {"period": PERIOD, "theme": "DT", "theme_name": "Digital", "sector": "GS", "focal_point": "D. Sy",
             "email": "gs.fp@example.org", "due_date": due, "status": comp.NOT_DUE, "days_late": 0},
        ]
    )  # fmt: skip


def test_one_message_per_focal_point_with_links():
    rows = reminders.owed(_rows(), PERIOD)
    assert sorted(zip(rows["email"], rows["theme"], strict=True)) == [
        ("bdt.fp@example.org", "CLIM"), ("bdt.fp@example.org", "SPACE"), ("tsb.fp@example.org", "EVT")
    ]  # fmt: skip
    batch = reminders.build(rows, PERIOD, "en", "https://isc.example.org/", "ISC <isc@example.org>")
    assert [r.recipient for r in batch] == ["bdt.fp@example.org", "tsb.fp@example.org"]
    bdt = batch[0]
    assert bdt.message["Subject"] == f"ISC monitoring: 2 reports owed for {PERIOD}"
    assert bdt.message["From"] == "ISC <isc@example.org>" and bdt.message["To"] == "bdt.fp@example.org"
    body = bdt.message.get_content()
    assert body.startswith("Dear A. Diallo,")
    assert "- Space (SPACE), ITU-D: due 2026-10-15, 46 days overdue" in body
    assert "- Climate (CLIM), ITU-D: due 2026-10-15, 1 day overdue" in body
    assert body.index("Space (SPACE)") < body.index("Climate (CLIM)")  # most overdue first
    links = [w for w in body.split() if w.startswith("https://")]
    assert len(links) == 2
    url = urlsplit(links[0])
    assert url.path == "/upload" and parse_qs(url.query) == {
        "theme": ["SPACE"], "period": [PERIOD], "sector": ["ITU-D"]
    }  # fmt: skip
    assert bdt.report_keys == "SPACE/ITU-D CLIM/ITU-D"
    # the reports not yet due only when asked, and in French when the interface is French
    with_not_due = reminders.owed(_rows(), PERIOD, include_not_due=True)
    assert "gs.fp@example.org" in set(with_not_due["email"])
    fr = reminders.build(reminders.owed(_rows(), PERIOD), PERIOD, "fr")
    assert fr[1].message["Subject"] == f"Suivi de l'ISC : 1 rapport attendu pour {PERIOD}"
    assert "attendu le 2026-10-15, 46 jours de retard" in fr[1].message.get_content()
    assert reminders.build(reminders.owed(_rows().iloc[3:4], PERIOD), PERIOD) == []


def test_smtp_config_from_secrets():
    assert reminders.SmtpConfig.from_mapping(None) is None
    assert reminders.SmtpConfig.from_mapping({"port": 25}) is None  # no host: not configured
    cfg = reminders.SmtpConfig.from_mapping(
        {"host": "smtp.example.org", "port": 587, "user": "u", "password": "p", "from": "ISC <isc@example.org>",
         "starttls": True, "app_url": "https://isc.example.org"}
    )  # fmt: skip
    assert (cfg.host, cfg.port, cfg.user, cfg.starttls, cfg.ssl, cfg.sender) == (
        "smtp.example.org", 587, "u", True, False, "ISC <isc@example.org>"
    )  # fmt: skip
    assert reminders.SmtpConfig.from_mapping({"host": "h", "ssl": True}).port == 465


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    """aiosmtpd handler keeping every message received."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_send_through_a_real_smtp_server(smtp_server):
    controller, inbox = smtp_server
    batch = reminders.build(reminders.owed(_rows(), PERIOD), PERIOD, "en", None, "ISC <isc@example.org>")
    cfg = reminders.SmtpConfig(host="127.0.0.1", port=controller.port, sender="ISC <isc@example.org>", timeout=10)
    results = reminders.send(batch, cfg)
    assert [(r.recipient, error) for r, error in results] == [
        ("bdt.fp@example.org", None), ("tsb.fp@example.org", None)
    ]  # fmt: skip
    assert [(frm, to) for frm, to, _ in inbox.messages] == [
        ("isc@example.org", ["bdt.fp@example.org"]), ("isc@example.org", ["tsb.fp@example.org"])
    ]  # fmt: skip
    received = email.message_from_bytes(inbox.messages[0][2], policy=policy.default)
    assert received["Subject"] == f"ISC monitoring: 2 reports owed for {PERIOD}"
    assert "http://localhost:8501/upload?theme=SPACE" in received.get_content()
    # nothing listens on a closed port: the page reports it, nothing is sent
    with pytest.raises(OSError):
        reminders.send(batch, reminders.SmtpConfig(host="127.0.0.1", port=_free_port(), timeout=5))


def test_eml_zip():
    batch = reminders.build(reminders.owed(_rows(), PERIOD), PERIOD)
    with zipfile.ZipFile(io.BytesIO(reminders.eml_zip(batch))) as zf:
        names = zf.namelist()
        assert names == ["01_bdt.fp@example.org.eml", "02_tsb.fp@example.org.eml"]
        msg = email.message_from_bytes(zf.read(names[1]), policy=policy.default)
    assert msg["To"] == "tsb.fp@example.org" and "Events (EVT), ITU-T" in msg.get_content()


# ------------------------------------------------------------------ the Completeness page


def _page(user: dict | None = None, secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    if user is not None:
        at.user = user
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.run()
    at.switch_page("pages/completeness.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _missing_addresses() -> set[str]:
    table = comp.table(
        coordination.expected_reports(), coordination.first_uploads(), [PERIOD], 15, now=dt.datetime(2026, 11, 30)
    )
    return set(reminders.owed(table, PERIOD)["email"])


def test_completeness_page_sends_reminders_over_smtp_and_records_them(demo_db, smtp_server):
    controller, inbox = smtp_server
    smtp = {"host": "127.0.0.1", "port": controller.port, "from": "ISC <isc@example.org>",
            "app_url": "https://isc.example.org"}  # fmt: skip
    at = _page(secrets={"smtp": smtp})
    owed = _missing_addresses()
    assert owed
    send = at.button(key="reminders_send")
    assert send.label == f"Send the {len(owed)} reminders"
    send.click().run()
    assert not at.exception
    assert {to[0] for _, to, _ in inbox.messages} == owed
    body = email.message_from_bytes(inbox.messages[0][2], policy=policy.default).get_content()
    assert "https://isc.example.org/upload?theme=" in body
    assert any(f"{len(owed)} reminders sent through 127.0.0.1" in s.value for s in at.success)
    log = coordination.reminders(PERIOD)
    assert set(log["recipient"]) == owed and set(log["how"]) == {"smtp"} and set(log["sent_by"]) == {"local"}
    assert log["reports"].str.contains("/").all()
    shown = next(d.value for d in at.dataframe if "How" in d.value.columns)
    assert set(shown["How"]) == {"sent (SMTP)"} and len(shown) == len(owed)


def test_without_smtp_the_reminders_download_as_eml_and_are_recorded(demo_db):
    at = _page()
    assert not [b for b in at.button if b.key == "reminders_send"]
    assert any("No SMTP server is configured" in c.value for c in at.caption)
    download = next(b for b in at.get("download_button") if "(.eml, zip)" in b.label)
    assert download.label == f"Download the {len(_missing_addresses())} reminders (.eml, zip)"


def _add_user(db, email_address: str, role: str) -> None:
    with connection.write(db) as con:
        con.execute("INSERT INTO app_user (email, role, themes, sectors) VALUES (?, ?, '', '')", [email_address, role])


def test_only_secretaries_and_admins_send_reminders(demo_db, smtp_server):
    controller, inbox = smtp_server
    smtp = {"host": "127.0.0.1", "port": controller.port}
    fp = _page({"is_logged_in": True, "email_verified": True, "email": "fp.climate@example.org"}, {"smtp": smtp})
    assert not [b for b in fp.button if b.key == "reminders_send"]
    assert not [b for b in fp.get("download_button") if "(.eml, zip)" in b.label]
    assert any("needs the secretary or administrator role" in i.value for i in fp.info)
    _add_user(demo_db, "secretary@example.org", "secretary")
    sec = _page({"is_logged_in": True, "email_verified": True, "email": "secretary@example.org"}, {"smtp": smtp})
    sec.button(key="reminders_send").click().run()
    assert not sec.exception and inbox.messages
    assert set(coordination.reminders(PERIOD)["sent_by"]) == {"secretary@example.org"}
