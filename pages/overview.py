"""Overview (landing page): the selected period at a glance, on one 1080p screen."""

import streamlit as st

from isc import status as rule
from isc.filters import Filters
from isc.periods import Period, today
from isc.settings import GRACE_DAYS
from pages.common import (
    as_of_text,
    change_text,
    coverage_note,
    data_table,
    figure,
    filters,
    md,
    q,
    reasons_view,
    reflow,
    show_chart,
    status_text,
    t,
)
from pages.identity import hide_emails

WHY_KEY = "overview_why"  # the expander's open state, in session_state


def why_list(themes: dict[str, str], period: str, sector: str | None) -> None:
    """The "Why?" of the off-track and at-risk themes as a list that wraps in a narrow column: per
    theme, the indicators and activities that are behind, one line each (no sideways scrolling).

    Built and sent only once opened (Streamlit's lazy expander: opening it reruns the page): with
    many themes the list is long (half a megabyte of text on bench/large_dataset.py), and every
    visit to the Overview would otherwise build, send and lay it out unseen."""
    box = st.expander(t("overview.why_these"), icon=":material/help:", key=WHY_KEY, on_change="rerun")
    with box:
        if not box.open:
            return
        reasons = q("status_reasons", None, period, themes=tuple(themes))
        if sector:
            reasons = reasons[reasons["sector"] == sector]
        behind = reasons["status"].isin([rule.OFF_TRACK, rule.AT_RISK])
        view = reasons_view(reasons)[behind]
        if view.empty:
            st.write(t("common.why_nothing"))
        parts = []
        for code, name in themes.items():
            mine = view[reasons.loc[behind, "theme"] == code]
            if mine.empty:
                continue
            lines = [f"- {r.status} · {md(r.sector)} · {md(r.label)}: {md(r.detail)}" for r in mine.itertuples()]
            parts.append(f"**{md(name)}**\n\n" + "\n".join(lines))
        st.markdown("\n\n".join(parts))


f = filters()
period = f["period"]
st.header(t("overview.header", period=period or t("common.no_data")), anchor=False)
if not period:
    st.info(t("overview.no_report"))
    st.stop()
sel = Filters(**f)
as_of = as_of_text()
prev = str(Period.parse(period).previous())

counts = q("status_deltas", sel)
owed_now = q("report_status", sel)
owed_before = q("report_status", sel.but(period=prev))
missing_now = int((owed_now["computed_status"] == rule.NOT_REPORTED).sum())
missing_before = int((owed_before["computed_status"] == rule.NOT_REPORTED).sum())
ts = q("theme_status", sel)
# Five boxes in a row on a wide screen; fewer per row rather than cut labels on a narrow one.
with reflow("overview_boxes", 160):
    cols = st.columns(5)
# Four boxes count themes by status; the fifth counts reports, like the Completeness page: a theme
# is "not reported" only when none of its Sectors reported, but every missing report is counted.
for col, row in zip(cols, counts[counts["status"] != rule.NOT_REPORTED].itertuples(), strict=False):
    delta = int(row.themes - row.previous)
    col.metric(
        status_text(row.status),
        int(row.themes),
        delta=t("overview.delta", delta=f"{delta:+d}", prev=prev) if delta else None,
        delta_color="inverse" if row.status in ("at_risk", "off_track") else "normal",
        border=True,
    )
delta = missing_now - missing_before
cols[4].metric(
    t("overview.reports_missing"),
    t("common.n_of_m", n=missing_now, m=len(owed_now)),
    delta=t("overview.delta", delta=f"{delta:+d}", prev=prev) if delta else None,
    delta_color="inverse",
    border=True,
    help=t("overview.reports_missing_help"),
)
incomplete = int(((ts["sectors_reported"] > 0) & (ts["sectors_reported"] < ts["sectors_expected"])).sum())
none_in = int((ts["computed_status"] == rule.NOT_REPORTED).sum())
silent = int(counts["silent"].iloc[0])

# Three columns at 1920 px; below that the right column moves under the charts, which keep at
# least the width their text is laid out for (width= in the figures).
with reflow("overview_main", [380, 470, 300]):
    left, mid, right = st.columns([1.15, 1.55, 0.9])
with left:
    tp = q("track_progress", sel)
    show_chart(
        figure("track_progress", tp, as_of, height=270, width=380),
        tp,
        "overview_tracks",
        ["track_name", "supervising_body", "status", "count"],
    )
    overdue = q("overdue_reports", sel, today(), GRACE_DAYS)
    st.markdown(t("overview.most_overdue", n=len(overdue), days=GRACE_DAYS))
    data_table(
        hide_emails(overdue.sort_values("days_overdue", ascending=False)[
            ["theme_name", "sector", "days_overdue", "email"]
        ], ["email"]),  # e-mail addresses for signed-in users only (issue 18)
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
    hm = q("theme_sector_matrix", sel)
    sectors = q("sectors")["code"].tolist()
    show_chart(
        figure("theme_sector_heatmap", hm, as_of, sectors, height=450, width=470),
        hm,
        "overview_heatmap",
        ["theme_name", "sector", "computed_status", "self_status"],
    )
with right, st.container(height=520, border=False):
    # How to read the boxes: in the scrolling column, so that the page still fits one 1080p screen.
    st.caption(t("overview.status_note", themes=len(ts), incomplete=incomplete, none=none_in))
    worst = ts[ts["computed_status"].isin([rule.OFF_TRACK, rule.AT_RISK])].sort_values(
        "computed_status", key=lambda s: s.map(rule.attention_rank), kind="stable"
    )
    lines = [f"- {status_text(r.computed_status)} · {md(r.theme_name)}{coverage_note(r)}" for r in worst.itertuples()]
    st.markdown(t("overview.off_and_at_risk", n=len(worst)) + "\n\n" + ("\n".join(lines) or t("common.none")))
    if len(worst):
        why_list(dict(zip(worst["theme"], worst["theme_name"], strict=True)), period, f["sector"])
    changes = q("status_changes", sel)
    lines = [
        f"- **{md(r.theme_name)}** ({change_text(r.change, r.silent)}): "
        f"{status_text(r.previous_status)} → {status_text(r.status)}"
        for r in changes.itertuples()
    ]
    st.markdown(t("overview.changed_since", prev=prev) + "\n\n" + ("\n".join(lines) or t("overview.no_change")))
    if silent:
        st.caption(t("overview.silent_note", n=silent, prev=prev))
    news = q("results", sel.but(theme=None))
    if f["theme"]:
        news = news[news["theme"] == f["theme"]]
    lines = [f"- {md(r.theme_name)} ({r.sector}): {md(r.title)}" for r in news.head(8).itertuples()]
    st.markdown(t("overview.new_results", period=period, n=len(news)) + "\n\n" + ("\n".join(lines) or t("common.none")))
