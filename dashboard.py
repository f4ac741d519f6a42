"""The ISC monitoring dashboard: `streamlit run dashboard.py`.

Builds the demo database on first start when none exists, keeps the shared filters (period,
track, sector, theme) in the sidebar and in the URL, and routes to the pages.
"""

from __future__ import annotations

import streamlit as st

from isc.db import connection
from pages.common import FILTER_KEYS, q

st.set_page_config(page_title="ISC monitoring dashboard", page_icon=":bar_chart:", layout="wide")


def ensure_database() -> None:
    path = connection.db_path()
    if path.exists():
        return
    from etl.demo import build_demo

    with st.spinner(f"No database at {path}: building the illustrative demo database (about 30 s)..."):
        build_demo(path)


def shared_filters() -> None:
    """Sidebar filters; their values live in session_state and in the URL query string."""
    params = st.query_params
    periods = q("periods")
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
    for key in FILTER_KEYS:
        state_key = f"filter_{key}"
        if state_key not in st.session_state:
            wanted = params.get(key)
            st.session_state[state_key] = wanted if wanted in options[key] else options[key][0] if options[key] else None
        elif st.session_state[state_key] not in options[key]:
            st.session_state[state_key] = options[key][0] if options[key] else None
    with st.sidebar:
        st.selectbox("Period", options["period"], key="filter_period")
        # A None value shows the placeholder, so the placeholder names the "all" choice.
        st.selectbox("Track", options["track"], key="filter_track", placeholder="All tracks",
                     format_func=lambda c: "All tracks" if c is None else labels["track"].get(c, c))
        st.selectbox("Sector", options["sector"], key="filter_sector", placeholder="All sectors",
                     format_func=lambda c: "All sectors" if c is None else c)
        st.selectbox("Theme", options["theme"], key="filter_theme", placeholder="All themes",
                     format_func=lambda c: "All themes" if c is None else labels["theme"].get(c, c))
    for key in FILTER_KEYS:
        value = st.session_state.get(f"filter_{key}")
        if value is None:
            params.pop(key, None)
        elif params.get(key) != value:
            params[key] = value


ensure_database()
pages = {
    "Monitor": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/themes.py", title="Themes", icon=":material/topic:"),
        st.Page("pages/tracks.py", title="Tracks", icon=":material/view_column:"),
        st.Page("pages/sectors.py", title="Sectors", icon=":material/hub:"),
        st.Page("pages/resolutions.py", title="Resolutions", icon=":material/gavel:"),
    ],
    "Coordinate": [
        st.Page("pages/meeting.py", title="Meeting", icon=":material/groups:"),
        st.Page("pages/completeness.py", title="Completeness", icon=":material/fact_check:"),
        st.Page("pages/overlaps.py", title="Overlaps", icon=":material/join_inner:"),
    ],
    "Report": [
        st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:"),
        st.Page("pages/history.py", title="Upload history", icon=":material/history:"),
        st.Page("pages/home.py", title="About the data", icon=":material/info:"),
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


nav = st.navigation(pages, position="hidden")
sidebar_navigation(pages)
shared_filters()
nav.run()
