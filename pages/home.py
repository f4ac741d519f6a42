import streamlit as st

from pages.common import as_of_caption, q

st.title("ISC monitoring dashboard")
st.caption("Inter-sectoral coordination under Resolution 191 (Rev. Bucharest, 2022)")
s = q("summary")
c1, c2, c3, c4 = st.columns(4)
c1.metric("Themes", s["themes"])
c2.metric("Reports loaded", s["reports"])
c3.metric("PP-22 resolutions", s["resolutions"])
c4.metric("Uploads", s["uploads"])
st.caption(as_of_caption())

with st.expander("How a status is computed (the rule)", icon=":material/rule:"):
    from isc import status

    st.markdown(status.__doc__)
    st.caption(
        "Colours are colour-blind safe and every status also carries a symbol and a word: "
        "✓ Completed, ● On track, ▲ At risk, ✕ Off track, ? Not reported."
    )
