"""Overlaps between Sectors (similar activities) and joint work (one activity, several Sectors)."""

from __future__ import annotations

import streamlit as st

from isc import overlaps
from isc.db import connection, coordination
from pages.common import as_of_caption, filters


@st.cache_data(show_spinner=False, max_entries=64)
def _rows(fingerprint: tuple, period: str):
    return coordination.overlap_candidates(period)


@st.cache_data(show_spinner=False, max_entries=16)
def _periods(fingerprint: tuple):
    return coordination.report_periods()


def _user() -> str:
    try:
        return st.user.get("email") or "local"
    except Exception:  # noqa: BLE001 - no auth configured
        return "local"


st.title("Overlaps and joint work")
st.caption(
    "Pairs of activities reported by different Sectors in the same period with similar titles and "
    "descriptions (TF-IDF cosine similarity), overlapping dates and the same theme. Mark each pair once: "
    "a reviewed pair is not flagged again. " + as_of_caption()
)
fp = connection.fingerprint()
periods = _periods(fp)
if not periods:
    st.info("No reports have been loaded yet.")
    st.stop()
f = filters()
default = f.get("period") if f.get("period") in periods else periods[-1]
period = default
c1, c2, c3 = st.columns([1, 1, 1])
c1.markdown(f"Period **{period}** (change it in the sidebar)")
threshold = c2.slider(
    "Flag pairs with similarity of at least", 0.1, 1.0, overlaps.THRESHOLD, 0.05, key="overlap_threshold"
)
related = c3.toggle("Also compare related themes (same track)", value=False, key="overlap_related")

rows = _rows(fp, period)
if f.get("theme"):
    rows = rows[rows["theme"] == f["theme"]]
if f.get("track"):
    rows = rows[rows["track"] == f["track"]]
ents = overlaps.entities(rows)
pairs = overlaps.score_pairs(ents, overlaps.Options(threshold=threshold, related_themes=related))
reviews = coordination.reviews()
reviewed = set(zip(reviews["key_a"], reviews["key_b"], strict=True))
flagged = overlaps.flag(pairs, threshold, reviewed)
if f.get("sector"):
    s = f["sector"]
    flagged = flagged[
        (flagged["lead_a"] == s)
        | (flagged["lead_b"] == s)
        | flagged["reported_by_a"].str.contains(s, regex=False)
        | flagged["reported_by_b"].str.contains(s, regex=False)
    ]
    ents = ents[
        [s in r or s == lead for r, lead in zip(ents["reported_by"], ents["lead_sector"], strict=True)]
    ]

joint = ents[ents["joint"]] if not ents.empty else ents
m1, m2, m3, m4 = st.columns(4)
m1.metric("Activities reported", len(ents))
m2.metric("Joint activities (several Sectors)", len(joint))
if len(ents):
    m2.caption(f"{len(joint) / len(ents) * 100:.0f}% of activities involve more than one Sector")
m3.metric("Possible overlaps to review", len(flagged))
m4.metric("Pairs reviewed so far", len(reviews))

st.subheader(f"Possible overlaps, {period}")
if flagged.empty:
    st.success("No unreviewed pair of activities reaches the similarity threshold.")
for i, p in enumerate(flagged.head(25).itertuples(index=False)):
    with st.container(border=True, key=f"pair_{i}"):
        a, b, c = st.columns([5, 5, 2])
        a.markdown(
            f"**{p.title_a}**  \n{p.theme_a} · led by **{p.lead_a}** · reported by {p.reported_by_a}  \n"
            f"{p.start_a:%Y-%m-%d} to {p.end_a:%Y-%m-%d}"
        )
        if p.description_a:
            a.caption(str(p.description_a))
        b.markdown(
            f"**{p.title_b}**  \n{p.theme_b} · led by **{p.lead_b}** · reported by {p.reported_by_b}  \n"
            f"{p.start_b:%Y-%m-%d} to {p.end_b:%Y-%m-%d}"
        )
        if p.description_b:
            b.caption(str(p.description_b))
        c.metric("Similarity", f"{p.score:.2f}")
        verdict = c.selectbox(
            "Verdict",
            list(coordination.VERDICTS),
            index=None,
            placeholder="Review...",
            key=f"verdict_{p.key_a}_{p.key_b}",
            label_visibility="collapsed",
        )
        if c.button("Record", key=f"record_{p.key_a}_{p.key_b}", disabled=verdict is None, width="stretch"):
            coordination.record_review(p.key_a, p.key_b, verdict, _user(), p.score, period)
            st.toast(f"Recorded: {verdict}")
            st.rerun()
if len(flagged) > 25:
    st.caption(f"Showing the 25 most similar of {len(flagged)} pairs; review these to see the next ones.")

st.subheader(f"Joint activities, {period}")
if joint.empty:
    st.info("No joint activity reported in this period.")
else:
    show = joint[["theme", "activity_id", "title", "lead_sector", "partners", "reported_by"]].copy()
    show["partners"] = show["partners"].map(", ".join)
    show["reported_by"] = show["reported_by"].map(", ".join)
    st.dataframe(show, hide_index=True, width="stretch", key="joint_table")

with st.expander(f"Reviewed pairs ({len(reviews)})"):
    st.dataframe(reviews, hide_index=True, width="stretch", key="reviews_table")
