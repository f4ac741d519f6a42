"""The ISC monitoring dashboard: `streamlit run dashboard.py`.

Builds the demo database on first start when none exists, keeps the shared filters (period,
track, sector, theme) and the interface language in the sidebar and in the URL, and routes to the
pages. Every text shown comes from the message catalogues in data/i18n/ (pages.common.t).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from isc import i18n
from isc.db import connection
from isc.periods import default_period, today
from pages import identity as ident
from pages.common import FILTER_KEYS, READABLE_CSS, lang, q, t

# Right-to-left languages (the catalogue's "_meta": {"dir": "rtl"}): the main area and the sidebar
# text run right to left; the charts keep their own layout.
RTL_CSS = """<style>
[data-testid="stMain"], [data-testid="stSidebar"] { direction: rtl; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"], [data-testid="stSidebar"] [data-testid="stMarkdownContainer"],
[data-testid="stMain"] h1, [data-testid="stMain"] h2, [data-testid="stMain"] h3 { text-align: right; }
</style>"""


def choose_language() -> None:
    """The interface language: from the session, else the URL (?lang=fr), else English."""
    available = i18n.languages()
    wanted = st.session_state.get("lang") or st.query_params.get("lang")
    st.session_state["lang"] = wanted if wanted in available else i18n.DEFAULT


def language_selector() -> None:
    """Sidebar choice of language (each listed in its own name), kept in the URL as ?lang=."""
    available = i18n.languages()
    with st.sidebar:
        st.selectbox(t("sidebar.language"), list(available), key="lang", format_func=available.get)
    code = lang()
    if code == i18n.DEFAULT:
        st.query_params.pop("lang", None)
    elif st.query_params.get("lang") != code:
        st.query_params["lang"] = code
    # The document's language and direction, for screen readers and the browser (axe: valid-lang).
    # Drawn in the sidebar: an element in the main area would push every page down by a gap.
    direction = i18n.direction(code)
    with st.sidebar:
        st.html(
            f"<script>document.documentElement.lang = {code!r}; "
            f"document.documentElement.dir = {direction!r};</script>",
            unsafe_allow_javascript=True,
        )
        if direction == "rtl":
            st.html(RTL_CSS)


choose_language()
st.set_page_config(page_title=t("app.title"), page_icon=":bar_chart:", layout="wide")


def ensure_database():
    """With no database (or an unfinished demo build), build the demo in the background: the
    default quarter and the one before it first (a spinner until they are in), then the pages show
    while the rest loads, with a progress message that goes when the build is done. Returns the
    running build (None when there is none)."""
    path = connection.db_path()
    if path.exists() and not Path(f"{path}.demo-building").exists():
        return None
    from etl.demo import background_build

    build = background_build(path)
    if build is None:
        return None
    if not build.first_ready.is_set():
        with st.spinner(t("app.building_demo", path=path)):
            build.first_ready.wait()
    if build.error is not None:
        raise build.error
    if build.done.is_set():
        return None
    st.session_state["_demo_progress_in_page"] = True  # this call is the page's, not a refresh
    demo_progress(build)
    return build


@st.fragment(run_every=1.0)
def demo_progress(build) -> None:
    if build.done.is_set():
        st.rerun()  # the whole app: the pages show everything and this message goes
    if not st.session_state.pop("_demo_progress_in_page", False):
        # A refresh, which the browser asks for a second after it drew the page: the page is
        # there, with its charts, so the rest of the demo may load now (etl.demo.Build.shown).
        build.shown.set()
    st.info(t("app.demo_progress", n=build.loaded, total=build.total), icon=":material/hourglass_top:")


def shared_filters() -> None:
    """Sidebar filters; their values live in session_state and in the URL query string."""
    params = st.query_params
    periods = q("periods", today())
    themes = q("themes")
    tracks = q("tracks")
    sectors = q("sectors")
    options = {
        "period": periods[::-1],
        "track": [None, *tracks["code"].tolist()],
        "sector": [None, *sectors["code"].tolist()],
        "theme": [None, *themes["code"].tolist()],
    }
    labels = {
        "track": dict(zip(tracks["code"], tracks["name"], strict=True)),
        "theme": dict(zip(themes["code"], themes["name"], strict=True)),
        "sector": dict(zip(sectors["code"], sectors["code"], strict=True)),
    }
    # The period opens on the latest quarter that has ended (isc.periods.default_period), not on
    # the latest one with an upload: one early report for the current quarter moves nobody.
    first = {k: (options[k][0] if options[k] else None) for k in FILTER_KEYS} | {
        "period": default_period(periods, today())}
    for key in FILTER_KEYS:
        state_key = f"filter_{key}"
        if state_key not in st.session_state:
            wanted = params.get(key)
            st.session_state[state_key] = wanted if wanted in options[key] else first[key]
        elif st.session_state[state_key] not in options[key]:
            st.session_state[state_key] = first[key]
    with st.sidebar:
        st.selectbox(t("filter.period"), options["period"], key="filter_period")
        # A None value shows the placeholder, so the placeholder names the "all" choice.
        every = {"track": t("filter.all_tracks"), "sector": t("filter.all_sectors"), "theme": t("filter.all_themes")}
        st.selectbox(t("filter.track"), options["track"], key="filter_track", placeholder=every["track"],
                     format_func=lambda c: every["track"] if c is None else labels["track"].get(c, c))
        st.selectbox(t("filter.sector"), options["sector"], key="filter_sector", placeholder=every["sector"],
                     format_func=lambda c: every["sector"] if c is None else c)
        st.selectbox(t("filter.theme"), options["theme"], key="filter_theme", placeholder=every["theme"],
                     format_func=lambda c: every["theme"] if c is None else labels["theme"].get(c, c))
    for key in FILTER_KEYS:
        value = st.session_state.get(f"filter_{key}")
        if value is None:
            params.pop(key, None)
        elif params.get(key) != value:
            params[key] = value


pages = {
    t("nav.monitor"): [
        st.Page("pages/overview.py", title=t("nav.overview"), icon=":material/dashboard:", default=True),
        st.Page("pages/themes.py", title=t("nav.themes"), icon=":material/topic:"),
        st.Page("pages/tracks.py", title=t("nav.tracks"), icon=":material/view_column:"),
        st.Page("pages/sectors.py", title=t("nav.sectors"), icon=":material/hub:"),
        st.Page("pages/resolutions.py", title=t("nav.resolutions"), icon=":material/gavel:"),
    ],
    t("nav.coordinate"): [
        st.Page("pages/meeting.py", title=t("nav.meeting"), icon=":material/groups:"),
        st.Page("pages/actions.py", title=t("nav.actions"), icon=":material/checklist:"),
        st.Page("pages/completeness.py", title=t("nav.completeness"), icon=":material/fact_check:"),
        st.Page("pages/overlaps.py", title=t("nav.overlaps"), icon=":material/join_inner:"),
    ],
    t("nav.report"): [
        st.Page("pages/upload.py", title=t("nav.upload"), icon=":material/upload_file:"),
        st.Page("pages/history.py", title=t("nav.history"), icon=":material/history:"),
        st.Page("pages/home.py", title=t("nav.home"), icon=":material/info:"),
        st.Page("pages/export.py", title=t("nav.export"), icon=":material/download:"),
    ],
}


def sidebar_navigation(sections: dict) -> None:
    """The page links, grouped by section. Streamlit's own sectioned menu puts the section
    headers inside its <ul>, which axe-core reports as a serious list-structure violation, so
    the menu is drawn here with st.page_link and the built-in one is hidden."""
    with st.sidebar:
        for section, section_pages in sections.items():
            st.markdown(f"**{section}**")
            for p in section_pages:
                st.page_link(p)
        st.divider()


# st.navigation first: until it has run, Streamlit lists the files of pages/ in the sidebar, which
# is what a first visitor would see during the demo build.
nav = st.navigation(pages, position="hidden")
demo_build = ensure_database()
language_selector()
ident.view_gate()  # [isc] require_sign_in_to_view: a signed-out visitor sees only the sign-in page
sidebar_navigation(pages)
shared_filters()
st.session_state["_chart_numbers"] = []  # charts are numbered in the order a run shows them
st.html(READABLE_CSS)  # metric and widget labels wrap rather than end in "…" (style only: no room taken)
nav.run()
if demo_build is not None:
    demo_build.resume.set()  # the first page is out: the rest of the demo loads now
