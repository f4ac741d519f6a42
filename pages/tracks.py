"""Tracks: the four monitoring tracks side by side, with the body that reviews each."""

import streamlit as st

from isc.filters import Filters
from isc.periods import today
from pages.common import as_of_text, coverage_note, figure, filters, md, q, reflow, show_chart, status_text, t

f = filters()
period = f["period"]
st.title(t("tracks.title", period=period or t("common.no_data")))
if not period:
    st.info(t("common.no_report_yet"))
    st.stop()
sel = Filters(**f)
as_of = as_of_text()
tracks = q("tracks")
if f["track"]:
    tracks = tracks[tracks["code"] == f["track"]]
ts = q("theme_status", sel)

# One card per track, side by side on a wide screen, two per row (or one) rather than break titles.
with reflow("tracks_cards", 270):
    cards = st.columns(max(1, len(tracks)))
for col, tr in zip(cards, tracks.itertuples(), strict=False):
    with col, st.container(border=True):
        mine = ts[ts["track"] == tr.code]
        good = int(mine["computed_status"].isin(["on_track", "completed"]).sum())
        st.subheader(md(tr.name))
        body = tr.body_name if isinstance(tr.body_name, str) and tr.body_name else t("tracks.web_platform")
        st.markdown(t("tracks.reviewed_by", body=body))
        st.caption(tr.review)
        st.metric(t("tracks.good"), t("common.n_of_m", n=good, m=len(mine)))
        lines = [f"- {status_text(r.computed_status)} · {md(r.theme_name)}{coverage_note(r)}" for r in mine.itertuples()]
        st.markdown("\n".join(lines) or t("themes.none"))

with reflow("tracks_charts", 460):
    left, right = st.columns(2)
with left:
    tp = q("track_progress", sel)
    show_chart(figure("track_progress", tp, as_of, height=420, width=460), tp, "tracks_mix")
with right:
    trend = q("track_trend", sel.but(period=None), today=today())
    show_chart(figure("progress_trend", trend, as_of, height=420, width=460), trend, "tracks_trend")
