"""Tracks: the four monitoring tracks side by side, with the body that reviews each."""

import streamlit as st

from pages.common import as_of_text, figure, filters, q, show_chart, status_text

f = filters()
period = f["period"]
st.title(f"Tracks · {period or 'no data'}")
if not period:
    st.info("No report has been loaded yet.")
    st.stop()
sel = {"track": f["track"], "sector": f["sector"], "theme": f["theme"]}
as_of = as_of_text()
tracks = q("tracks")
if f["track"]:
    tracks = tracks[tracks["code"] == f["track"]]
ts = q("theme_status", period, **sel)

for col, tr in zip(st.columns(max(1, len(tracks))), tracks.itertuples(), strict=False):
    with col, st.container(border=True):
        mine = ts[ts["track"] == tr.code]
        good = int(mine["computed_status"].isin(["on_track", "completed"]).sum())
        st.subheader(tr.name)
        st.markdown(f"**Reviewed by:** {tr.body_name or 'the web platform for PP resolutions'}")
        st.caption(tr.review)
        st.metric("Themes on track or completed", f"{good} of {len(mine)}")
        lines = [f"- {status_text(r.computed_status)} · {r.theme_name}" for r in mine.itertuples()]
        st.markdown("\n".join(lines) or "No theme in this selection.")

left, right = st.columns(2)
with left:
    tp = q("track_progress", period, **sel)
    show_chart(figure("track_progress", tp, as_of, height=420), tp, "tracks_mix")
with right:
    trend = q("track_trend", **sel)
    show_chart(figure("progress_trend", trend, as_of, height=420), trend, "tracks_trend")
