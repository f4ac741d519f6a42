"""The "floor" for issue 17: a bare Streamlit app with a few pages, one plotly chart each.

    streamlit run bench/floor_app/app.py

bench/bench_all.py measures it next to the dashboard in the same run: its first chart after
`streamlit run` is the floor of the dashboard's first start, and a click between its sidebar
links (until the page's chart is drawn) is the floor of a dashboard page switch. Nothing here
reads a database or a file; the pages are as small as a Streamlit page with a chart can be.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

# As many pages as the dashboard's Monitor section, so that a switch cycle has the same length.
PAGES = ("Alpha", "Beta", "Gamma", "Delta", "Epsilon")
SECTORS = ["ITU-R", "ITU-T", "ITU-D", "GS", "RO"]

st.set_page_config(page_title="Floor", layout="wide")


def page_function(index: int, name: str):
    def show() -> None:
        st.title(name)
        values = [(index * 7 + k * 3) % 11 + 1 for k in range(len(SECTORS))]
        fig = go.Figure(go.Bar(x=SECTORS, y=values, name=name))
        fig.update_layout(title=f"{name}: one chart", height=420)
        st.plotly_chart(fig, key=f"chart_{name}", theme=None)

    return show


nav = st.navigation(
    [st.Page(page_function(i, n), title=n, url_path=n.lower(), default=i == 0) for i, n in enumerate(PAGES)]
)
nav.run()
