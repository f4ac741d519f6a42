"""Resolutions: the 57 PP-22 decisions and resolutions that call for inter-sectoral coordination,
the themes that cover each, the gaps, and the "area of mutual interest" rule (seed 003)."""

import streamlit as st

from isc.filters import Filters
from pages.common import (
    as_of_text,
    column_labels,
    data_table,
    figure,
    filters,
    lang,
    q,
    reflow,
    show_chart,
    t,
)

f = filters()
period = f["period"]
st.title(t("resolutions.title", period=period or t("common.no_data")))
if not period:
    st.info(t("common.no_report_yet"))
    st.stop()
as_of = as_of_text()


def _reason(reason: str, sector_resolutions) -> str:
    """The mutual-interest reason (English from the query) in the selected language."""
    res = sector_resolutions if isinstance(sector_resolutions, str) else ""
    if reason.startswith("calls for inter-sectoral coordination, and"):
        return t("resolutions.reason_both", res=res)
    if reason.startswith("calls for"):
        return t("resolutions.reason_isc")
    if reason.startswith("PP resolution plus"):
        return t("resolutions.reason_link", res=res)
    return t("resolutions.reason_none")

cov = q("resolution_coverage", Filters(period, track=f["track"], theme=f["theme"]))
scope = t("resolutions.scope_selected") if (f["track"] or f["theme"]) else t("resolutions.scope_active")
st.caption(t("resolutions.caption", scope=scope))

counts = cov["coverage"].value_counts()
with reflow("resolutions_boxes", 200):
    c1, c2, c3, c4 = st.columns(4)
c1.metric(t("resolutions.total"), len(cov))
c2.metric(t("coverage.reported"), int(counts.get("reported", 0)))
c3.metric(t("resolutions.covered_no_report"), int(counts.get("no report", 0)))
c4.metric(t("coverage.no_theme"), int(counts.get("no theme", 0)))

with reflow("resolutions_main", [400, 460]):
    left, right = st.columns([2, 3])
with left:
    show_chart(
        figure("resolution_coverage", cov, as_of, height=380, width=400),
        cov,
        "resolutions_coverage",
        ["code", "title", "coverage", "themes", "mutual_interest", "reason"],
    )
with right:
    shows = {"gaps": t("resolutions.show_gaps"), "all": t("resolutions.show_all"), "mutual": t("resolutions.show_mutual")}
    gap = st.radio(
        t("resolutions.show"),
        list(shows),
        format_func=shows.get,
        horizontal=True,
        key="resolutions_show",
    )
    view = cov
    if gap == "gaps":
        view = cov[cov["coverage"] != "reported"]
    elif gap == "mutual":  # the stricter reading: a PP resolution plus a Sector resolution on the theme
        view = cov[cov["sector_resolutions"].notna()]
    st.markdown(t("resolutions.count", n=len(view)))
    if lang() != "en":  # the coverage class and the reason in words of the selected language
        coverage = {c: t(f"coverage.{c.replace(' ', '_')}") for c in ("reported", "no report", "no theme")}
        view = view.assign(
            coverage=view["coverage"].map(lambda c: coverage.get(c, c)),
            reason=[_reason(r, s) for r, s in zip(view["reason"], view["sector_resolutions"], strict=True)],
        )
    data_table(
        view[
            [
                "code",
                "title",
                "coverage",
                "themes",
                "themes_reported",
                "sector_resolutions",
                "mutual_interest",
                "reason",
            ]
        ],
        hide_index=True,
        height=420,
        key="resolutions_table",
        column_config=column_labels(view.columns),
    )
