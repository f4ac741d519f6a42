"""Resolutions: the 57 PP-22 decisions and resolutions that call for inter-sectoral coordination,
the themes that cover each, the gaps, and the "area of mutual interest" rule (seed 003)."""

import streamlit as st

from pages.common import as_of_text, figure, filters, q, show_chart

f = filters()
period = f["period"]
st.title(f"PP-22 resolutions · {period or 'no data'}")
if not period:
    st.info("No report has been loaded yet.")
    st.stop()
as_of = as_of_text()
cov = q("resolution_coverage", period, track=f["track"], theme=f["theme"])
scope = "themes of the selected track/theme" if (f["track"] or f["theme"]) else "active themes"
st.caption(
    f"Coverage by {scope}. An area of mutual interest (seed 003): a PP resolution that calls for "
    "inter-sectoral coordination, and/or a PP resolution plus a resolution of at least one Sector "
    "on the same theme."
)

counts = cov["coverage"].value_counts()
c1, c2, c3, c4 = st.columns(4)
c1.metric("Resolutions and decisions", len(cov))
c2.metric("Covered, reported this period", int(counts.get("reported", 0)))
c3.metric("Covered, no report", int(counts.get("no report", 0)))
c4.metric("No theme covers it", int(counts.get("no theme", 0)))

left, right = st.columns([2, 3])
with left:
    show_chart(
        figure("resolution_coverage", cov, as_of, height=380),
        cov,
        "resolutions_coverage",
        ["code", "title", "coverage", "themes", "mutual_interest", "reason"],
    )
with right:
    gap = st.radio(
        "Show",
        ["Gaps: no theme or no report", "All", "Areas of mutual interest"],
        horizontal=True,
        key="resolutions_show",
    )
    view = cov
    if gap.startswith("Gaps"):
        view = cov[cov["coverage"] != "reported"]
    elif gap.startswith("Areas"):
        view = cov[cov["mutual_interest"]]
    st.markdown(f"**{len(view)} resolutions**")
    st.dataframe(
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
        column_config={"themes_reported": "themes reporting", "mutual_interest": "mutual interest"},
    )
