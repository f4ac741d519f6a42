"""What every page shares: cached queries, the shared filters, and the "as of" line.

Queries are cached with st.cache_data, keyed by the database file's fingerprint (mtime and
size), so a load from the Upload page or from `python -m etl load` in a terminal shows on the
next rerun without a restart.
"""

from __future__ import annotations

import streamlit as st

from isc.db import connection, queries

FILTER_KEYS = ("period", "track", "sector", "theme")


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached(name: str, fingerprint: tuple, args: tuple, kwargs: tuple):
    return getattr(queries, name)(*args, **dict(kwargs))


def q(name: str, *args, **kwargs):
    """Run queries.<name>(*args, **kwargs), cached until the database file changes."""
    return _cached(name, connection.fingerprint(), args, tuple(sorted(kwargs.items())))


def filters() -> dict:
    """The shared filter values chosen in the sidebar (see dashboard.py)."""
    return {k: st.session_state.get(f"filter_{k}") for k in FILTER_KEYS}


def as_of_caption() -> str:
    s = q("summary")
    when = s["as_of"].strftime("%Y-%m-%d %H:%M") if s["as_of"] else "no data"
    return f"Data as of {when} (data version {s['version']}). Demo figures are illustrative."
