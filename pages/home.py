import streamlit as st

from isc import charts
from isc.filters import Filters
from isc.periods import default_period, today
from pages.common import as_of_caption, lang, q, t

st.title(t("app.title"))
st.caption(t("home.caption"))
s = q("summary")
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("nav.themes"), s["themes"])
# The same count as the Overview's and the Completeness page's: reports owed for the quarter that
# every page opens on, and how many came in.
period = default_period(q("periods", today()), today())
if period:
    owed = q("report_status", Filters(period))
    got = int((owed["computed_status"] != "not_reported").sum())
    c2.metric(t("home.reports_period", period=period), t("common.n_of_m", n=got, m=len(owed)))
else:
    c2.metric(t("home.reports"), 0)
c3.metric(t("home.resolutions"), s["resolutions"])
c4.metric(t("home.uploads"), s["uploads"])
st.caption(as_of_caption())

with st.expander(t("home.rule"), icon=":material/rule:"):
    # The rule as documented in isc/status.py (English), or its translation in the catalogue.
    from isc import status

    st.markdown(status.__doc__ if lang() == "en" else t("home.rule_text"))
    st.caption(t("home.colours", statuses=", ".join(charts.status_text(s, lang()) for s in charts.STATUS_ORDER)))
