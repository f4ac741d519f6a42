"""Reporting completeness and timeliness (like DHIS2 reporting rates), with the reminder list."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from isc import completeness as comp
from isc import coordination_charts as charts
from isc.db import connection, coordination
from isc.periods import Period
from pages.common import as_of_caption, filters


@st.cache_data(show_spinner=False, max_entries=64)
def _inputs(fingerprint: tuple):
    return coordination.expected_reports(), coordination.first_uploads(), coordination.report_periods()


st.title("Reporting completeness")
st.caption(
    "Every focal point (theme x Sector) owes one report per quarter. **On time**: first uploaded on or "
    "before the due date; **late**: first uploaded after it (a later revision does not change this); "
    "**missing**: nothing in and the due date has passed."
)
expected, uploads, periods = _inputs(connection.fingerprint())
if not periods:
    st.info("No reports have been loaded yet.")
    st.stop()

f = filters()
period = f.get("period") if f.get("period") in periods else periods[-1]
c1, c3 = st.columns([1, 3])
grace = c1.number_input(
    "Due date: days after the quarter ends",
    min_value=0,
    max_value=120,
    value=15,
    step=1,
    key="completeness_grace",
)
c3.caption(
    f"Period **{period}** (change it in the sidebar). Reports are due on "
    f"**{Period.parse(period).due_date(int(grace)):%d %B %Y}** (end of day). {as_of_caption()}"
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
    col.metric(comp.LABELS[s], n)
    if total and s != comp.NOT_DUE:
        col.caption(f"{n / total * 100:.0f}% of the {total} reports due")
    elif s == comp.NOT_DUE:
        col.caption("not counted in the rates until the due date passes")

left, right = st.columns(2)
sector_rates = comp.rates(this, "sector")
left.plotly_chart(
    charts.completeness_bars(sector_rates, "sector", f"By Sector, {period}"),
    width="stretch",
    key="chart_sector",
)
track_rates = comp.rates(this, "track_name")
right.plotly_chart(
    charts.completeness_bars(track_rates, "track_name", f"By track, {period}"),
    width="stretch",
    key="chart_track",
)
time_rates = comp.rates(table, "period")
st.plotly_chart(charts.rates_over_time(time_rates), width="stretch", key="chart_time")

worst = sector_rates[sector_rates["expected"] > 0].sort_values(["on_time_rate", "completeness"]).head(1)
if not worst.empty:
    w = worst.iloc[0]
    st.markdown(
        f"Lowest on-time rate in {period}: **{w['sector']}**, {w['on_time_rate']:.0f}% on time, "
        f"{w['completeness']:.0f}% in ({int(w[comp.LATE])} late, {int(w[comp.MISSING])} missing)."
    )

st.subheader(f"Overdue reports, {period}")
overdue = comp.overdue(table, period)
if overdue.empty:
    st.success(f"No overdue reports for {period}.")
else:
    st.dataframe(
        overdue,
        hide_index=True,
        width="stretch",
        key="overdue_table",
        column_config={
            "email": st.column_config.TextColumn("E-mail"),
            "days_overdue": st.column_config.NumberColumn("Days overdue"),
        },
    )
    st.download_button(
        f"Download the {len(overdue)} overdue reports (CSV, for a reminder e-mail)",
        overdue.to_csv(index=False).encode("utf-8"),
        file_name=f"overdue_reports_{period}.csv",
        mime="text/csv",
        key="overdue_csv",
    )

with st.expander(f"All expected reports, {period}"):
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
    show["status"] = show["status"].map(comp.LABELS)
    st.dataframe(show, hide_index=True, width="stretch", key="all_reports")
