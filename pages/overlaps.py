"""Overlaps between Sectors (similar activities) and joint work (one activity, several Sectors).

Recording a verdict is a write: it asks pages.identity.current().may(REVIEW_OVERLAP) (admins, the
secretariat and focal points) and records the actor; anyone else sees the page read-only."""

from __future__ import annotations

import streamlit as st

from isc import auth, overlaps
from isc.db import coordination
from pages import identity as ident
from pages.common import as_of_caption, column_labels, data_table, filters, md, q, read, t


def _record(key_a: str, key_b: str, verdict: str, score: float, period: str) -> bool:
    """Record a verdict for who is signed in now; False (and nothing written) without the right."""
    who = ident.current()
    if not who.may(auth.REVIEW_OVERLAP):
        return False
    coordination.record_review(key_a, key_b, verdict, who.actor, score, period)
    return True


def _read_only_notice(who: auth.Identity) -> None:
    """Why this visitor may look at the pairs but not record verdicts."""
    if not who.signed_in:
        st.info(t("overlaps.read_only_signed_out"), icon=":material/lock:")
        st.button(t("identity.sign_in"), on_click=st.login, key="overlaps_login")
    elif who.unverified:
        st.warning(ident.unverified_text(who), icon=":material/gpp_maybe:")
    else:
        st.info(t("overlaps.read_only", user=md(who.user)), icon=":material/lock:")


st.title(t("overlaps.title"))
st.caption(t("overlaps.caption") + " " + as_of_caption())
who = ident.current()
may_review = who.may(auth.REVIEW_OVERLAP)
if not may_review:
    _read_only_notice(who)
if st.session_state.pop("overlaps_refused", False):
    st.error(t("overlaps.not_recorded"), icon=":material/block:")
periods = q("live_periods")
if not periods:
    st.info(t("common.no_reports_yet"))
    st.stop()
f = filters()
default = f.get("period") if f.get("period") in periods else periods[-1]
period = default
c1, c2, c3 = st.columns([1, 1, 1])
c1.markdown(t("overlaps.period", period=period))
threshold = c2.slider(
    t("overlaps.threshold"), 0.1, 1.0, overlaps.THRESHOLD, 0.05, key="overlap_threshold"
)
related = c3.toggle(t("overlaps.related"), value=False, key="overlap_related")

rows = read("coordination.overlap_candidates", period)
if f.get("theme"):
    rows = rows[rows["theme"] == f["theme"]]
if f.get("track"):
    rows = rows[rows["track"] == f["track"]]
ents = overlaps.entities(rows)
pairs = overlaps.score_pairs(ents, overlaps.Options(threshold=threshold, related_themes=related))
reviews = read("coordination.reviews")
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
verdicts = {
    "duplicate": t("overlaps.verdict_duplicate"),
    "complementary": t("overlaps.verdict_complementary"),
    "not related": t("overlaps.verdict_not_related"),
}
m1, m2, m3, m4 = st.columns(4)
m1.metric(t("overlaps.activities"), len(ents))
m2.metric(t("overlaps.joint"), len(joint))
if len(ents):
    m2.caption(t("overlaps.joint_share", share=f"{len(joint) / len(ents) * 100:.0f}"))
m3.metric(t("overlaps.to_review"), len(flagged))
m4.metric(t("overlaps.reviewed"), len(reviews))


def _activity(col, pair, side: str) -> None:
    """One side ("a" or "b") of a flagged pair: title, who and when, description."""
    v = {k: getattr(pair, f"{k}_{side}") for k in ("title", "theme", "lead", "reported_by", "start", "end",
                                                   "description")}  # fmt: skip
    col.markdown(
        f"**{md(v['title'])}**  \n"
        + t("overlaps.activity", theme=v["theme"], lead=v["lead"], by=md(v["reported_by"]),
            start=f"{v['start']:%Y-%m-%d}", end=f"{v['end']:%Y-%m-%d}")
    )  # fmt: skip
    if v["description"]:
        col.caption(md(v["description"]))


st.subheader(t("overlaps.possible", period=period))
if flagged.empty:
    st.success(t("overlaps.none_flagged"))
for i, p in enumerate(flagged.head(25).itertuples(index=False)):
    with st.container(border=True, key=f"pair_{i}"):
        a, b, c = st.columns([5, 5, 2])
        _activity(a, p, "a")
        _activity(b, p, "b")
        c.metric(t("overlaps.similarity"), f"{p.score:.2f}")
        if not may_review:
            continue
        verdict = c.selectbox(
            t("overlaps.verdict"),
            list(coordination.VERDICTS),
            format_func=verdicts.get,
            index=None,
            placeholder=t("overlaps.review_placeholder"),
            key=f"verdict_{p.key_a}_{p.key_b}",
            label_visibility="collapsed",
        )
        if c.button(t("overlaps.record"), key=f"record_{p.key_a}_{p.key_b}", disabled=verdict is None, width="stretch"):
            if _record(p.key_a, p.key_b, verdict, p.score, period):
                st.toast(t("overlaps.recorded", verdict=verdicts.get(verdict, verdict)))
            else:
                st.session_state["overlaps_refused"] = True
            st.rerun()
if len(flagged) > 25:
    st.caption(t("overlaps.showing", n=len(flagged)))

st.subheader(t("overlaps.joint_title", period=period))
if joint.empty:
    st.info(t("overlaps.no_joint"))
else:
    show = joint[["theme", "activity_id", "title", "lead_sector", "partners", "reported_by"]].copy()
    show["partners"] = show["partners"].map(", ".join)
    show["reported_by"] = show["reported_by"].map(", ".join)
    data_table(show, hide_index=True, width="stretch", key="joint_table", column_config=column_labels(show.columns))

with st.expander(t("overlaps.reviewed_pairs", n=len(reviews))):
    if not reviews.empty:
        reviews = reviews.assign(verdict=reviews["verdict"].map(lambda v: verdicts.get(v, v)))
    reviews = ident.hide_emails(reviews, ["reviewer"], who)
    data_table(
        reviews, hide_index=True, width="stretch", key="reviews_table", column_config=column_labels(reviews.columns)
    )
