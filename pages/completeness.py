"""Reporting completeness and timeliness (like DHIS2 reporting rates), with the reminder list and
reminder e-mails to the focal points who owe reports (isc.reminders): sent through the SMTP server
of .streamlit/secrets.toml ([smtp]) or downloaded as .eml files; each is recorded (to whom, when,
by whom). Preparing and sending them needs Identity.may(auth.REMIND) (admin or secretary)."""

from __future__ import annotations

import datetime as dt
import smtplib
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from isc import auth, charts, reminders
from isc import completeness as comp
from isc.db import coordination
from isc.periods import Period, default_period, today
from isc.settings import GRACE_DAYS
from pages import identity
from pages.common import (
    as_of_caption,
    as_of_text,
    column_labels,
    data_table,
    figure,
    filters,
    lang,
    q,
    read,
    reflow,
    show_chart,
    t,
)

st.title(t("completeness.title"))
st.caption(t("completeness.caption"))
expected = read("coordination.expected_reports")  # theme and track names in the selected language (localised)
uploads = read("coordination.first_uploads")
periods = q("periods", today())
if not periods:
    st.info(t("common.no_reports_yet"))
    st.stop()

f = filters()
period = f.get("period") if f.get("period") in periods else default_period(periods, today())
c1, c3 = st.columns([1, 3])
grace = c1.number_input(
    t("completeness.grace"),
    min_value=0,
    max_value=120,
    value=GRACE_DAYS,
    step=1,
    key="completeness_grace",
)
c3.caption(
    t("completeness.due", period=period, due=f"{Period.parse(period).due_date(int(grace)):%Y-%m-%d}")
    + " "
    + as_of_caption()
)

exp = expected
if f.get("track"):
    exp = exp[exp["track"] == f["track"]]
if f.get("sector"):
    exp = exp[exp["sector"] == f["sector"]]
if f.get("theme"):
    exp = exp[exp["theme"] == f["theme"]]
table = comp.table(exp, uploads, periods, int(grace), now=dt.datetime.now())
this = table[table["period"] == period]

by_status = this["status"].value_counts()
cols = st.columns(4)
total = int(sum(by_status.get(s, 0) for s in (comp.ON_TIME, comp.LATE, comp.MISSING)))
for col, s in zip(cols, comp.ORDER, strict=True):
    n = int(by_status.get(s, 0))
    col.metric(charts.completeness_label(s, lang()), n)
    if total and s != comp.NOT_DUE:
        col.caption(t("completeness.share", share=f"{n / total * 100:.0f}", total=total))
    elif s == comp.NOT_DUE:
        col.caption(t("completeness.not_counted"))

with reflow("completeness_charts", 440):  # side by side, or one under the other when narrow
    left, right = st.columns(2)
as_of = as_of_text()
sector_rates = comp.rates(this, "sector")
with left:
    show_chart(
        figure("completeness_bars", sector_rates, as_of, "sector", t("completeness.by_sector", period=period),
               width=440),
        sector_rates,
        "completeness_sector",
    )  # fmt: skip
track_rates = comp.rates(this, "track_name")
with right:
    show_chart(
        figure("completeness_bars", track_rates, as_of, "track_name", t("completeness.by_track", period=period),
               width=440),
        track_rates,
        "completeness_track",
    )  # fmt: skip
time_rates = comp.rates(table, "period")
show_chart(figure("rates_over_time", time_rates, as_of), time_rates, "completeness_time")

worst = sector_rates[sector_rates["expected"] > 0].sort_values(["on_time_rate", "completeness"]).head(1)
if not worst.empty:
    w = worst.iloc[0]
    st.markdown(
        t(
            "completeness.lowest",
            period=period,
            sector=w["sector"],
            on_time=f"{w['on_time_rate']:.0f}",
            done=f"{w['completeness']:.0f}",
            late=int(w[comp.LATE]),
            missing=int(w[comp.MISSING]),
        )
    )

st.subheader(t("completeness.overdue", period=period))
overdue = comp.overdue(table, period)
if overdue.empty:
    st.success(t("completeness.no_overdue", period=period))
else:
    data_table(
        overdue,
        hide_index=True,
        width="stretch",
        key="overdue_table",
        column_config=column_labels(overdue.columns)
        | {
            "email": st.column_config.TextColumn(t("col.email")),
            "days_overdue": st.column_config.NumberColumn(t("col.days_overdue")),
        },
    )
    st.download_button(
        t("completeness.download", n=len(overdue)),
        overdue.to_csv(index=False).encode("utf-8"),
        file_name=f"overdue_reports_{period}.csv",
        mime="text/csv",
        key="overdue_csv",
    )



def smtp_config() -> reminders.SmtpConfig | None:
    """The [smtp] section of .streamlit/secrets.toml, or None (no secrets, or no host)."""
    try:
        section = st.secrets.get("smtp")
    except Exception:  # noqa: BLE001 - no secrets file at all
        section = None
    return reminders.SmtpConfig.from_mapping(dict(section) if section else None)


def app_url() -> str:
    """The dashboard's address as the browser sees it (for the links in the reminders)."""
    try:
        parts = urlsplit(st.context.url or "")
    except Exception:  # noqa: BLE001 - no browser context (tests)
        return reminders.DEFAULT_APP_URL
    if not parts.scheme or not parts.netloc:
        return reminders.DEFAULT_APP_URL
    path = parts.path.rstrip("/")
    path = path.rsplit("/", 1)[0] if path.endswith("/completeness") else path
    return f"{parts.scheme}://{parts.netloc}{path}"


def _record(batch: list[reminders.Reminder], how: str, actor: str, period: str) -> None:
    for r in batch:
        coordination.record_reminder(
            r.recipient, period, r.report_keys, str(r.message["Subject"]), how, sent_by=actor
        )


def reminder_section(table, period: str) -> None:
    """Reminder e-mails for the reports owed this quarter: one per focal point address."""
    who = identity.current()
    st.subheader(t("reminders.title", period=period))
    this = table[table["period"] == period]
    not_due = int((this["status"] == comp.NOT_DUE).sum())
    include = bool(not_due) and st.checkbox(
        t("reminders.include_not_due", n=not_due), key="reminders_not_due", value=False
    )
    rows = reminders.owed(table, period, include)
    cfg = smtp_config()
    batch = reminders.build(
        rows, period, lang(), (cfg.app_url if cfg else None) or app_url(),
        cfg.sender if cfg else reminders.DEFAULT_SENDER,
    )  # fmt: skip
    if not batch:
        st.success(t("reminders.none", period=period))
    else:
        st.markdown(t("reminders.ready", n=len(batch), reports=len(rows)))
        data_table(
            pd.DataFrame(
                {
                    t("reminders.col_to"): [r.recipient for r in batch],
                    t("reminders.col_name"): [r.name for r in batch],
                    t("reminders.col_reports"): [
                        ", ".join(f"{x.theme} ({x.sector})" for x in r.reports.itertuples(index=False)) for r in batch
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
            key="reminders_table",
        )
        # No address in the expander's label: markdown would make it a link inside <summary>.
        with st.expander(t("reminders.preview")):
            first = batch[0].message
            st.text(
                f"{t('reminders.to_label')} {first['To']}\n{t('reminders.subject_label')} {first['Subject']}\n\n"
                f"{first.get_content()}"
            )
        if not who.may(auth.REMIND):
            st.info(t("reminders.read_only"), icon=":material/visibility:")
        else:
            with st.container(horizontal=True):
                if cfg is not None and st.button(
                    t("reminders.send", n=len(batch)), type="primary", key="reminders_send", icon=":material/send:"
                ):
                    try:
                        results = reminders.send(batch, cfg)
                    except (OSError, smtplib.SMTPException) as exc:
                        st.error(t("reminders.smtp_failed", host=cfg.host, error=str(exc)))
                    else:
                        sent = [r for r, error in results if error is None]
                        _record(sent, "smtp", who.actor, period)
                        for r, error in results:
                            if error is not None:
                                st.error(t("reminders.refused", to=r.recipient, error=error))
                        if sent:
                            st.success(t("reminders.sent", n=len(sent), host=cfg.host))
                st.download_button(
                    t("reminders.download", n=len(batch)),
                    reminders.eml_zip(batch),
                    file_name=f"reminders_{period}.zip",
                    mime="application/zip",
                    key="reminders_eml",
                    icon=":material/mail:",
                    on_click=_record,
                    args=(batch, "eml", who.actor, period),
                )
            if cfg is None:
                st.caption(t("reminders.no_smtp"))
    log = read("coordination.reminders", period)
    if not log.empty:
        st.markdown(t("reminders.log_title", period=period))
        how = {"smtp": t("reminders.how_smtp"), "eml": t("reminders.how_eml")}
        data_table(
            pd.DataFrame(
                {
                    t("reminders.col_when"): [f"{pd.Timestamp(v):%Y-%m-%d %H:%M}" for v in log["sent_at"]],
                    t("reminders.col_to"): log["recipient"],
                    t("reminders.col_reports"): log["reports"].str.replace(" ", ", "),
                    t("reminders.col_how"): log["how"].map(lambda h: how.get(h, h)),
                    t("reminders.col_by"): log["sent_by"],
                }
            ),
            hide_index=True,
            width="stretch",
            key="reminders_log",
        )


reminder_section(table, period)

with st.expander(t("completeness.all_expected", period=period)):
    show = this[
        [
            "theme",
            "theme_name",
            "sector",
            "focal_point",
            "status",
            "first_uploaded_at",
            "due_date",
            "days_late",
        ]
    ].copy()
    show["status"] = show["status"].map(lambda s: charts.completeness_label(s, lang()))
    data_table(show, hide_index=True, width="stretch", key="all_reports", column_config=column_labels(show.columns))
