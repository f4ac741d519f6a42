"""Reminders to focal points whose reports are owed (pure: e-mail messages and SMTP, no Streamlit).

For a quarter, the reports owed are the missing ones (due date passed, nothing in; see
isc.completeness) and, when asked, the ones not yet due. `build` makes ONE message per focal
point e-mail address, listing each report owed (theme, Sector), its due date and a link to the
Upload page with the theme, quarter and Sector in the URL (?theme=&period=&sector=). The text is
in the interface language (catalogue keys reminders.*).

`send` delivers them through the SMTP server configured in .streamlit/secrets.toml:

    [smtp]
    host = "smtp.example.org"
    port = 587
    user = "isc-dashboard@example.org"      # optional: no login without it
    password = "..."
    from = "ISC secretariat <isc@example.org>"
    starttls = true                          # STARTTLS after connecting (port 587)
    ssl = false                              # or implicit TLS (port 465)
    app_url = "https://isc.example.org"      # the dashboard's address, for the links

Without an [smtp] host, `eml_zip` packs the messages as .eml files for a mail program.
"""

from __future__ import annotations

import datetime as dt
import io
import smtplib
import ssl as ssl_lib
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlencode

import pandas as pd

from isc import completeness as comp
from isc import i18n

DEFAULT_SENDER = "ISC monitoring dashboard <no-reply@localhost>"
DEFAULT_APP_URL = "http://localhost:8501"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = DEFAULT_SENDER
    starttls: bool = False
    ssl: bool = False
    app_url: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_mapping(cls, smtp: Mapping | None) -> SmtpConfig | None:
        """The [smtp] section of the secrets, or None when it has no host (no SMTP configured)."""
        if not smtp or not str(smtp.get("host") or "").strip():
            return None
        ssl = bool(smtp.get("ssl", False))
        return cls(
            host=str(smtp["host"]).strip(),
            port=int(smtp.get("port") or (465 if ssl else 25)),
            user=str(smtp["user"]) if smtp.get("user") else None,
            password=str(smtp["password"]) if smtp.get("password") else None,
            sender=str(smtp.get("from") or smtp.get("sender") or DEFAULT_SENDER),
            starttls=bool(smtp.get("starttls", False)),
            ssl=ssl,
            app_url=str(smtp["app_url"]) if smtp.get("app_url") else None,
            timeout=float(smtp.get("timeout") or 30),
        )


@dataclass
class Reminder:
    """One message to one focal point address, and the reports it asks for."""

    recipient: str
    name: str
    reports: pd.DataFrame  # theme, theme_name, sector, due_date, status, days_late, link
    message: EmailMessage

    @property
    def report_keys(self) -> str:
        """What is recorded as the reports asked for: "THEME/SECTOR" separated by spaces."""
        return " ".join(f"{r.theme}/{r.sector}" for r in self.reports.itertuples(index=False))


def upload_link(app_url: str | None, theme: str, period: str, sector: str) -> str:
    """The Upload page with the report's theme, quarter and Sector in the URL."""
    base = (app_url or DEFAULT_APP_URL).rstrip("/")
    return f"{base}/upload?{urlencode({'theme': theme, 'period': period, 'sector': sector})}"


def owed(table: pd.DataFrame, period: str, include_not_due: bool = False) -> pd.DataFrame:
    """The reports of `period` to remind about (rows of isc.completeness.table with an e-mail):
    missing, and not yet due when asked; most overdue first."""
    wanted = [comp.MISSING, comp.NOT_DUE] if include_not_due else [comp.MISSING]
    df = table[(table["period"] == period) & table["status"].isin(wanted)]
    df = df[df["email"].fillna("").str.contains("@")]
    return df.sort_values(["email", "days_late", "theme", "sector"], ascending=[True, False, True, True]).reset_index(
        drop=True
    )


def _line(r, lang: str) -> str:
    values = {
        "theme": r.theme_name or r.theme,
        "code": r.theme,
        "sector": r.sector,
        "due": f"{pd.Timestamp(r.due_date):%Y-%m-%d}",
    }
    if r.status == comp.MISSING:
        line = i18n.plural(lang, "reminders.line_missing", int(r.days_late or 0), **values)
    else:
        line = i18n.translate(lang, "reminders.line_not_due", **values)
    return f"- {line}\n  " + i18n.translate(lang, "reminders.line_link", link=r.link)


def build(
    rows: pd.DataFrame,
    period: str,
    lang: str = i18n.DEFAULT,
    app_url: str | None = None,
    sender: str = DEFAULT_SENDER,
    now: dt.datetime | None = None,
) -> list[Reminder]:
    """One message per focal point e-mail address, listing every report it owes for `period`."""
    lang = i18n.supported(lang)
    out = []
    if rows.empty:
        return out
    rows = rows.copy()
    if "theme_name" not in rows.columns:
        rows["theme_name"] = rows["theme"]
    rows["link"] = [upload_link(app_url, r.theme, period, r.sector) for r in rows.itertuples(index=False)]
    for email, group in rows.groupby(rows["email"].str.strip(), sort=True):
        names = [n for n in group.get("focal_point", pd.Series(dtype=str)).dropna().unique() if str(n).strip()]
        name = names[0] if len(names) == 1 else i18n.translate(lang, "reminders.colleague")
        n = len(group)
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = email
        msg["Subject"] = i18n.plural(lang, "reminders.subject", n, period=period)
        msg["Date"] = formatdate((now or dt.datetime.now()).timestamp(), localtime=True)
        msg["Message-ID"] = make_msgid(domain="isc-dashboard")
        msg["Content-Language"] = lang
        body = [
            i18n.translate(lang, "reminders.greeting", name=name),
            "",
            i18n.plural(lang, "reminders.intro", n, period=period),
            "",
            *[_line(r, lang) for r in group.itertuples(index=False)],
            "",
            i18n.translate(lang, "reminders.how"),
            "",
            i18n.translate(lang, "reminders.closing"),
        ]
        msg.set_content("\n".join(body))
        out.append(Reminder(email, name, group.reset_index(drop=True), msg))
    return out


def send(reminders: list[Reminder], cfg: SmtpConfig) -> list[tuple[Reminder, str | None]]:
    """Send each message over one SMTP connection: [(reminder, None if sent else the error)].

    A refused recipient does not stop the others; a server that cannot be reached raises OSError
    (or smtplib.SMTPException) before anything is sent."""
    context = ssl_lib.create_default_context()
    if cfg.ssl:
        server = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
    else:
        server = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
    results = []
    try:
        server.ehlo()
        if cfg.starttls and not cfg.ssl:
            server.starttls(context=context)
            server.ehlo()
        if cfg.user:
            server.login(cfg.user, cfg.password or "")
        for r in reminders:
            try:
                server.send_message(r.message)
                results.append((r, None))
            except smtplib.SMTPException as exc:
                results.append((r, str(exc)))
    finally:
        try:
            server.quit()
        except smtplib.SMTPException:
            server.close()
    return results


def eml_zip(reminders: list[Reminder]) -> bytes:
    """The messages as .eml files in a zip (open them in a mail program and send)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, r in enumerate(reminders, start=1):
            safe = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in r.recipient)
            zf.writestr(f"{n:02d}_{safe}.eml", r.message.as_bytes())
    return buf.getvalue()
