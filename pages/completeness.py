"""Reporting completeness and timeliness (like DHIS2 reporting rates), with the reminder list."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from isc import completeness as comp
from isc import coordination_charts as charts
from isc.db import connection, coordination, queries
from isc.periods import Period, default_period, today
from pages.common import as_of_caption, column_labels, filters, lang, localise, show_chart, t


@st.cache_data(show_spinner=False, max_entries=64)
def _inputs(fingerprint: tuple, on):
    return coordination.expected_reports(), coordination.first_uploads(), queries.periods(on)


st.title(t("completeness.title"))
st.caption(t("completeness.caption"))
expected, uploads, periods = _inputs(connection.fingerprint(), today())
expected = localise(expected)  # theme and track names in the selected language
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
    value=15,
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

left, right = st.columns(2)
sector_rates = comp.rates(this, "sector")
with left:
    show_chart(
        charts.completeness_bars(sector_rates, "sector", t("completeness.by_sector", period=period), lang=lang()),
        sector_rates,
        "completeness_sector",
    )
track_rates = comp.rates(this, "track_name")
with right:
    show_chart(
        charts.completeness_bars(track_rates, "track_name", t("completeness.by_track", period=period), lang=lang()),
        track_rates,
        "completeness_track",
    )
time_rates = comp.rates(table, "period")
show_chart(charts.rates_over_time(time_rates, lang=lang()), time_rates, "completeness_time")

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
    st.dataframe(
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
    st.dataframe(show, hide_index=True, width="stretch", key="all_reports", column_config=column_labels(show.columns))
