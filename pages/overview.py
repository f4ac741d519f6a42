"""Overview (landing page): the selected period at a glance, on one 1080p screen."""

import datetime as dt

import streamlit as st

from isc.periods import Period
from pages.common import as_of_text, explain_statuses, figure, filters, md, q, show_chart, status_text, t

f = filters()
period = f["period"]
st.header(t("overview.header", period=period or t("common.no_data")), anchor=False)
if not period:
    st.info(t("overview.no_report"))
    st.stop()
sel = {"track": f["track"], "sector": f["sector"], "theme": f["theme"]}
as_of = as_of_text()
prev = str(Period.parse(period).previous())

counts = q("status_counts", period, **sel)
before = q("status_counts", prev, **sel).set_index("status")["themes"]
for col, row in zip(st.columns(5), counts.itertuples(), strict=True):
    delta = int(row.themes - before.get(row.status, 0))
    col.metric(
        status_text(row.status),
        int(row.themes),
        delta=t("overview.delta", delta=f"{delta:+d}", prev=prev) if delta else None,
        delta_color="inverse" if row.status in ("at_risk", "off_track", "not_reported") else "normal",
        border=True,
    )

left, mid, right = st.columns([1.15, 1.55, 0.9])
with left:
    tp = q("track_progress", period, **sel)
    show_chart(
        figure("track_progress", tp, as_of, height=270),
        tp,
        "overview_tracks",
        ["track_name", "supervising_body", "status", "count"],
    )
    overdue = q("overdue_reports", period, dt.date.today(), 15, **sel)
    st.markdown(t("overview.most_overdue", n=len(overdue), days=15))
    st.dataframe(
        overdue.sort_values("days_overdue", ascending=False)[
            ["theme_name", "sector", "days_overdue", "email"]
        ],
        hide_index=True,
        height=120,
        key="overview_overdue",
        column_config={
            "theme_name": t("col.theme"),
            "sector": t("col.sector"),
            "days_overdue": t("col.days_late"),
            "email": t("col.email"),
        },
    )
with mid:
    hm = q("theme_sector_matrix", period, **sel)
    sectors = q("sectors")["code"].tolist()
    show_chart(
        figure("theme_sector_heatmap", hm, as_of, sectors, height=450),
        hm,
        "overview_heatmap",
        ["theme_name", "sector", "computed_status", "self_status"],
    )
with right, st.container(height=540, border=False):
    ts = q("theme_status", period, **sel)
    worst = ts[ts["computed_status"].isin(["off_track", "at_risk"])].sort_values(
        "computed_status", key=lambda s: s.map({"off_track": 0, "at_risk": 1})
    )
    lines = [f"- {status_text(r.computed_status)} · {md(r.theme_name)}" for r in worst.itertuples()]
    st.markdown(t("overview.off_and_at_risk", n=len(worst)) + "\n\n" + ("\n".join(lines) or t("common.none")))
    if len(worst):
        explain_statuses(
            dict(zip(worst["theme"], worst["theme_name"], strict=True)),
            period,
            f["sector"],
            label=t("overview.why_these"),
        )
    changes = q("status_changes", period, **sel)
    change = {
        "worse": t("change.worse"),
        "better": t("change.better"),
        "not reported": t("change.not_reported"),
        "reported again": t("change.reported_again"),
    }
    lines = [
        f"- **{md(r.theme_name)}** ({change.get(r.change, r.change)}): "
        f"{status_text(r.previous_status)} → {status_text(r.status)}"
        for r in changes.itertuples()
    ]
    st.markdown(t("overview.changed_since", prev=prev) + "\n\n" + ("\n".join(lines) or t("overview.no_change")))
    news = q("results", None, period, track=f["track"], sector=f["sector"])
    if f["theme"]:
        news = news[news["theme"] == f["theme"]]
    lines = [f"- {md(r.theme_name)} ({r.sector}): {md(r.title)}" for r in news.head(8).itertuples()]
    st.markdown(t("overview.new_results", period=period, n=len(news)) + "\n\n" + ("\n".join(lines) or t("common.none")))
