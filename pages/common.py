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
def _cached(key: str, name: str, _args: tuple, _kwargs: tuple):
    # Only `key` and `name` are hashed: `key` is the repr of the database path, its fingerprint and
    # the arguments, which is much cheaper for Streamlit to hash than the values themselves.
    return getattr(queries, name)(*_args, **dict(_kwargs))


def q(name: str, *args, **kwargs):
    """Run queries.<name>(*args, **kwargs), cached until the database file changes."""
    items = tuple(sorted(kwargs.items()))
    key = repr((str(connection.db_path()), connection.fingerprint(), args, items))
    return _cached(key, name, args, items)


def filters() -> dict:
    """The shared filter values chosen in the sidebar (see dashboard.py)."""
    return {k: st.session_state.get(f"filter_{k}") for k in FILTER_KEYS}


def as_of_caption() -> str:
    s = q("summary")
    when = s["as_of"].strftime("%Y-%m-%d %H:%M") if s["as_of"] else "no data"
    return f"Data as of {when} (data version {s['version']}). Demo figures are illustrative."


def as_of_text(short: bool = True) -> str:
    """The "as of" line: short in the figures, long (with the illustrative note) in captions."""
    s = q("summary")
    when = s["as_of"].strftime("%Y-%m-%d %H:%M") if s["as_of"] else "no data"
    if short:
        return f"Data as of {when} (v{s['version']})"
    return f"Data as of {when} (data version {s['version']}); demo figures are illustrative."


def show_chart(fig, df, key: str, table_columns: list[str] | None = None) -> None:
    """A plotly figure with its one-sentence summary, the as-of line, and a data-table toggle."""
    from isc import charts

    text = charts.summary(fig)
    st.plotly_chart(fig, key=f"chart_{key}", config={"displaylogo": False}, alt=text or None, theme=None)
    st.caption(f"{text}  \n{as_of_text(short=False)}")
    if st.toggle("Show the data table", key=f"table_{key}"):
        st.dataframe(df[table_columns] if table_columns else df, hide_index=True, key=f"df_{key}")


def status_text(status: str) -> str:
    """A status as symbol and words (never colour alone)."""
    from isc import charts

    return charts.STATUS_TEXT.get(status, status)


def explain_status(
    theme: str, period: str, sector: str | None = None, label: str | None = None, expanded: bool = False
) -> None:
    """The "Why?" of a computed status: the indicators and activities behind it, one click away."""
    reasons = q("status_reasons", theme, period)
    if sector:
        reasons = reasons[reasons["sector"] == sector]
    with st.expander(
        label or f"Why? The indicators and activities behind the status of {theme}",
        expanded=expanded,
        icon=":material/help:",
    ):
        if reasons.empty:
            st.write(
                "Nothing pulls this status down: every indicator and activity is on track "
                "(or no report was received for this period)."
            )
            return
        view = reasons.assign(
            status=reasons["status"].map(status_text),
            computed_status=reasons["computed_status"].map(status_text),
        )
        st.dataframe(
            view[["sector", "computed_status", "kind", "ref", "label", "status", "detail"]],
            hide_index=True,
            key=f"why_{theme}_{period}_{sector}_{label}",
            column_config={
                "computed_status": "report status",
                "label": "indicator / activity",
                "status": "its status",
                "detail": "why",
            },
        )


@st.cache_resource(show_spinner=False, max_entries=512)
def _figure_cached(chart: str, key: tuple, _df, args: tuple, kwargs: tuple):
    from isc import charts

    return getattr(charts, chart)(_df, *args, **dict(kwargs))


def figure(chart: str, df, *args, **kwargs):
    """charts.<chart>(df, *args, **kwargs), built once per distinct data (plotly validation is slow).

    The figure is shared between reruns and sessions: callers must not mutate it."""
    import pandas as pd

    try:
        digest = int(pd.util.hash_pandas_object(df, index=True).sum())
    except TypeError:  # unhashable cells (lists): build it each time
        from isc import charts

        return getattr(charts, chart)(df, *args, **kwargs)
    key = (digest, len(df), tuple(df.columns))
    return _figure_cached(chart, key, df, args, tuple(sorted(kwargs.items())))


def explain_statuses(
    themes: dict[str, str], period: str, sector: str | None = None, label: str = "Why?"
) -> None:
    """One "Why?" expander for several themes ({code: name}): one query and one table."""
    reasons = q("status_reasons", None, period, themes=tuple(themes))
    if sector:
        reasons = reasons[reasons["sector"] == sector]
    with st.expander(label, icon=":material/help:"):
        view = reasons.assign(
            theme=reasons["theme"].map(themes),
            status=reasons["status"].map(status_text),
            computed_status=reasons["computed_status"].map(status_text),
        )
        st.dataframe(
            view[["theme", "sector", "computed_status", "label", "status", "detail"]],
            hide_index=True,
            key="why_many",
            column_config={
                "computed_status": "report status",
                "label": "indicator / activity",
                "status": "its status",
                "detail": "why",
            },
        )
