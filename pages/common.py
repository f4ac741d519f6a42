"""What every page shares: cached reads, the shared filters, the "as of" line, and the one way
a chart is shown (show_chart).

Every read of a page goes through one layer: `q` (isc.db.queries) and `read` (isc.db.coordination
and isc.db.uploads), cached with st.cache_data, keyed by the database file's fingerprint (mtime
and size), so a load from the Upload page or from `python -m etl load` in a terminal shows on the
next rerun without a restart. Pages keep no cache of their own.
"""

from __future__ import annotations

import re

import streamlit as st

from isc import i18n
from isc.db import connection, queries

FILTER_KEYS = ("period", "track", "sector", "theme")


_MARKDOWN = re.compile(r"([\\`*\[\]<>|~$]|!(?=\\?\[))")


def md(text) -> str:
    """Text from outside (uploaded titles, names from reference data, file names) made inert for
    st.markdown and titles: no links, images, HTML, code or maths can be smuggled in. An image
    (`![x](http://...)`, which the browser would fetch from that server, or `![x][ref]`) shows
    as its text: its brackets and its "!" are escaped."""
    return _MARKDOWN.sub(r"\\\1", str(text))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")


def sheet_safe(value):
    """Text a spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage
    return) with a single quote in front (OWASP's advice), as the app's own exports do; numbers
    written as text ("-5", "+3.5%") and everything that is not text stay as they are."""
    if isinstance(value, str):
        if value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
            return "'" + value
        return value
    if isinstance(value, list | tuple):
        return [sheet_safe(v) for v in value]
    return value


def sheet_safe_frame(df):
    """`df` with sheet_safe applied to its text cells (a copy; the original is shared by caches)."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):  # st.dataframe also takes records, dicts, Stylers...
        if hasattr(df, "data") and isinstance(df.data, pd.DataFrame):  # a Styler: leave its styles alone
            return df
        df = pd.DataFrame(df)
    changes = {}
    for i in range(df.shape[1]):
        s = df.iloc[:, i]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            safe = s.map(sheet_safe)
            if not safe.equals(s):
                changes[i] = safe
    if not changes:
        return df
    out = df.copy()
    for i, safe in changes.items():
        out.isetitem(i, safe)
    return out


def data_table(df, **kwargs):
    """st.dataframe for every table on the pages: the same arguments, with text that a
    spreadsheet would run as a formula neutralised (sheet_safe) in what is sent to the browser,
    so Streamlit's own "Download as CSV" and copy to the clipboard never carry a live formula
    (issue 18). The only change users see is a quote before such text ('=HYPERLINK(...))."""
    return st.dataframe(sheet_safe_frame(df), **kwargs)


_SHIPPED: set[str] = set()  # languages whose catalogue was found (i18n.supported stats the file)


def lang() -> str:
    """The interface language chosen in the sidebar (dashboard.py), kept in session_state."""
    wanted = st.session_state.get("lang")
    if wanted in _SHIPPED:
        return wanted  # asked hundreds of times a rerun (every t()): no file check each time
    code = i18n.supported(wanted)
    if code == wanted:
        _SHIPPED.add(code)
    return code


def t(key: str, **values) -> str:
    """The catalogue text for `key` in the selected language (data/i18n/<lang>.json)."""
    return i18n.translate(lang(), key, **values)


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached(key: str, name: str, _args: tuple, _kwargs: tuple):
    # Only `key` and `name` are hashed: `key` is the repr of the database path, its fingerprint and
    # the arguments, which is much cheaper for Streamlit to hash than the values themselves. Every
    # cached function here is called with keyword arguments: for each positional one Streamlit
    # looks its name up with inspect.signature (about 0.1 ms each, on every cache hit).
    return getattr(queries, name)(*_args, **dict(_kwargs))


def q(name: str, *args, **kwargs):
    """Run queries.<name>(*args, **kwargs), cached until the database file changes.

    Theme, track, Sector and body names come back in the selected language where the reference
    data has a name_<lang> column for them (see localise)."""
    items = tuple(sorted(kwargs.items()))
    key = repr((str(connection.db_path()), connection.fingerprint(), args, items))
    return localise(_cached(key=key, name=name, _args=args, _kwargs=items), name)


READS = ("coordination", "uploads")  # the isc.db modules besides queries that pages read through `read`


@st.cache_data(show_spinner=False, max_entries=256)
def _read_cached(key: str, name: str, _args: tuple, _kwargs: tuple):
    # As _cached: only `key` (database path, fingerprint, arguments) and `name` are hashed.
    import importlib

    module, _, function = name.partition(".")
    if module not in READS:
        raise ValueError(f"pages read isc.db.{module} through q, not read: {name}")
    return getattr(importlib.import_module(f"isc.db.{module}"), function)(*_args, **dict(_kwargs))


def read(name: str, *args, **kwargs):
    """Run isc.db.<module>.<function>(*args, **kwargs) for name "coordination.<function>" or
    "uploads.<function>", cached until the database file changes, exactly as `q` caches
    isc.db.queries: every page reads through the same fingerprint-keyed layer, so a load, an
    undo or a recorded review shows on the next rerun, and no page keeps a cache of its own.
    Writes, and the checks a write makes just before it, call isc.db directly."""
    items = tuple(sorted(kwargs.items()))
    key = repr((str(connection.db_path()), connection.fingerprint(), name, args, items))
    return localise(_read_cached(key=key, name=name, _args=args, _kwargs=items), name)


_MEMO: dict = {}  # see _memo
_MEMO_MAX = 256


def _memo(key: tuple, compute):
    """compute(), once per key in this process, where key holds the database path and fingerprint:
    for small values that a rerun asks for on every query or chart (the names of a language, the
    "as of" line), without Streamlit's cache machinery each time (hashing the key, unpickling a
    copy). The value is shared: callers never mutate it."""
    try:
        return _MEMO[key]
    except KeyError:
        pass
    value = compute()
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[key] = value
    return value


def names(language: str | None = None) -> dict[str, dict[str, str]]:
    """{"theme"|"track"|"sector"|"body": {code: localised name}}, the same keyed by the English
    name under "<tbl>_by_name", and {code: localised review} under "track_review". Empty for
    English or a language without name_<lang> columns. Shared between calls: never mutate it."""
    language = language or lang()
    if language == i18n.DEFAULT:
        return {}
    path, fp = str(connection.db_path()), connection.fingerprint()
    return _memo(("names", path, fp, language), lambda: _names(path, fp, language))


def _names(path: str, fp: tuple, language: str) -> dict[str, dict[str, str]]:
    key = repr((path, fp, (language,), ()))
    try:
        df = _cached(key=key, name="localised_names", _args=(language,), _kwargs=())
    except Exception:  # noqa: BLE001 - a database from before schema 3 (no ref_name yet): English names
        return {}
    out: dict[str, dict[str, str]] = {}
    for r in df.itertuples(index=False):
        if r.field != "name":
            out.setdefault(f"{r.tbl}_{r.field}", {})[r.code] = r.text
            continue
        out.setdefault(r.tbl, {})[r.code] = r.text
        if r.name_en:
            out.setdefault(f"{r.tbl}_by_name", {})[r.name_en] = r.text
    return out


# Query result columns holding a display name, and the reference table it comes from.
_NAME_COLUMNS = {"theme_name": "theme", "track_name": "track", "body_name": "body"}
# Queries whose `name` column is the name of the row's own `code` (or `sector`).
_OWN_NAME = {"themes": ("theme", "code"), "tracks": ("track", "code"), "sectors": ("sector", "code"),
             "sector_summary": ("sector", "sector")}  # fmt: skip


def localise(result, query: str | None = None):
    """A query result with its display names in the selected language (fallback: English).

    Never mutates `result` (it is shared through the cache)."""
    import pandas as pd

    n = names()
    if not n:
        return result
    if isinstance(result, dict):
        out = dict(result)
        for col, tbl in _NAME_COLUMNS.items():
            if isinstance(out.get(col), str):
                out[col] = n.get(f"{tbl}_by_name", {}).get(out[col], out[col])
        if query == "theme_detail" and isinstance(out.get("name"), str):
            out["name"] = n.get("theme_by_name", {}).get(out["name"], out["name"])
        return out
    if not isinstance(result, pd.DataFrame) or result.empty:
        return result
    changes = {}
    for col, tbl in _NAME_COLUMNS.items():
        if col in result.columns and n.get(f"{tbl}_by_name"):
            changes[col] = result[col].map(lambda v, m=n[f"{tbl}_by_name"]: m.get(v, v))
    if query in _OWN_NAME and "name" in result.columns:
        tbl, code = _OWN_NAME[query]
        if code in result.columns and n.get(tbl):
            changes["name"] = [n[tbl].get(c, v) for c, v in zip(result[code], result["name"], strict=True)]
    if query == "tracks" and "review" in result.columns and n.get("track_review"):
        changes["review"] = [
            n["track_review"].get(c, v) for c, v in zip(result["code"], result["review"], strict=True)
        ]
    return result.assign(**changes) if changes else result


def filters() -> dict:
    """The shared filter values chosen in the sidebar (see dashboard.py)."""
    return {k: st.session_state.get(f"filter_{k}") for k in FILTER_KEYS}


def _as_of(version: int | None = None) -> tuple:
    """(when the data version was made, the version): the latest, or `version` (a meeting's frozen one).
    Asked twice per chart (caption and export menu): read once per version of the file."""
    key = ("as_of", str(connection.db_path()), connection.fingerprint(), version)
    return _memo(key, lambda: _as_of_read(version))


def _as_of_read(version: int | None) -> tuple:
    if version is None:
        s = q("summary")
        return s["as_of"], s["version"]
    return q("as_of", version=version), version


def as_of_caption() -> str:
    when, version = _as_of()
    return t("common.as_of_caption", when=when.strftime("%Y-%m-%d %H:%M") if when else t("common.no_data"),
             version=version)  # fmt: skip


def as_of_text(short: bool = True, version: int | None = None) -> str:
    """The "as of" line: short in the figures, long (with the illustrative note) in captions; of
    the latest data, or of `version` for figures drawn from a frozen version (a meeting)."""
    when, version = _as_of(version)
    when = when.strftime("%Y-%m-%d %H:%M") if when else t("common.no_data")
    if short:
        return t("common.as_of_short", when=when, version=version)
    return t("common.as_of_long", when=when, version=version)


# Injected once per run by dashboard.py: a metric's label, value and delta and a widget's label wrap
# between words rather than end in "…" (a long body name, a French label, a narrow column).
READABLE_CSS = """<style>
[data-testid="stMetricLabel"] *, [data-testid="stMetricValue"] *, [data-testid="stMetricDelta"] *,
[data-testid="stMain"] [data-testid="stWidgetLabel"] *, [data-testid="stMain"] label p {
  white-space: normal !important; text-overflow: clip !important; overflow-wrap: normal; }
</style>"""


def reflow(key: str, min_width: int | list[int]):
    """A container whose columns wrap onto more rows rather than get narrower than min_width px
    (one value, or one per column): on a laptop or at 150% zoom, boxes, cards and charts keep
    room for their text. Charts inside are laid out for that minimum (their `width` hint)."""
    widths = min_width if isinstance(min_width, list) else [min_width]
    block = f'.st-key-{key} > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"]'
    column = f'{block} > [data-testid="stColumn"]'
    rules = [f"{block} {{ flex-wrap: wrap; }}"]
    if len(widths) == 1:
        rules.append(f"{column} {{ min-width: min(100%, {widths[0]}px) !important; }}")
    else:
        rules += [
            f"{column}:nth-child({i + 1}) {{ min-width: min(100%, {w}px) !important; }}" for i, w in enumerate(widths)
        ]
    st.html("<style>" + "\n".join(rules) + "</style>")  # style only: takes no room on the page
    return st.container(key=key)


def show_chart(
    fig, df, key: str, table_columns: list[str] | None = None, version: int | None = None, config: dict | None = None
) -> None:
    """The one way a page shows a chart: the plotly figure (built by isc.charts, so it carries its
    alt text and "as of" line), its one-sentence summary as the text alternative and as a caption
    with the as-of line, a data-table toggle and the export menu. tests/test_chart_conventions.py
    checks every chart of every page for these.

    version: the data version the figure shows when it is not the latest (a meeting's frozen one).
    config: plotly's config (the mode bar), merged over the default."""
    from isc import charts

    text = charts.summary(fig)
    st.plotly_chart(fig, key=f"chart_{key}", config={"displaylogo": False, **(config or {})}, alt=text or None,
                    theme=None)  # fmt: skip
    st.caption(f"{md(text)}  \n{as_of_text(short=False, version=version)}")
    number = chart_number(key)
    with st.container(horizontal=True, vertical_alignment="center"):
        show_table = st.toggle(t("common.show_table"), key=f"table_{key}")
        chart_export(fig, df[table_columns] if table_columns else df, key, number, version)
    if show_table:
        shown = df[table_columns] if table_columns else df
        data_table(shown, hide_index=True, key=f"df_{key}", column_config=column_labels(shown.columns))


CHART_NUMBERS = "_chart_numbers"  # reset by dashboard.py at the top of every run


def chart_number(key: str) -> int:
    """The chart's number on the page: its order among the charts shown in this run.

    dashboard.py clears the list at the top of each run; if a page runs without it, a key seen
    twice also means a new run (each chart shows once per run)."""
    seen = st.session_state.setdefault(CHART_NUMBERS, [])
    if key in seen:
        seen.clear()
    seen.append(key)
    return len(seen)


def chart_export(fig, df, key: str, number: int, version: int | None = None) -> None:
    """The per-chart "Export" menu: the figure with its caption and source (e-mail) and the figure
    alone (Word, slides: they carry their own caption), each as PNG (16 cm at 300 dpi), SVG and
    PDF (a 16 cm wide page); the data as .xlsx/.csv with headings and statuses in words.

    Nothing is rendered on a rerun: every button gets a function that Streamlit runs (on its own
    thread) only when that button is clicked, so pages stay fast. The image is made from the very
    `fig` shown above (export.print_figure lays a copy out at a fixed print size, whatever the
    browser window), in the interface language. The closures capture plain values only: no
    Streamlit call runs inside them."""
    from isc import charts, export

    language = lang()
    source = export.source_line(*_as_of(version), language)
    title = (fig.layout.title.text or key).split("<br>")[0]
    item = export.ExportItem(number, title, charts.summary(fig), fig, df)
    stem = f"figure_{number:02d}_{key}"
    sheet = f"{t('report.label.figure')} {number}"

    def picture(fmt: str, alone: bool = False):
        return lambda: export.image(export.print_figure(fig, item, source, alone=alone, lang=language), fmt)

    images = [(ext.upper(), ext, mime) for ext, mime in
              (("png", "image/png"), ("svg", "image/svg+xml"), ("pdf", "application/pdf"))]  # fmt: skip
    rows = [
        (t("export.with_caption"), [(label, f"{ext}_{key}", f"{stem}.{ext}", mime, picture(ext))
                                    for label, ext, mime in images]),
        (t("export.alone"), [(label, f"{ext}_alone_{key}", f"{stem}_alone.{ext}", mime, picture(ext, True))
                             for label, ext, mime in images]),
        (t("export.data"), [
            ("Excel", f"xlsx_{key}", f"{stem}.xlsx",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             lambda: export.table_xlsx(export.readable(df, language), sheet, source)),
            ("CSV", f"csv_{key}", f"{stem}.csv", "text/csv", lambda: export.table_csv(export.readable(df, language))),
        ]),
    ]  # fmt: skip
    with st.popover(t("export.menu"), icon=":material/download:", help=t("export.menu_help", number=number)):
        st.caption(t("export.menu_caption", number=number, title=title, source=source))
        for heading, buttons in rows:
            st.caption(heading)
            with st.container(horizontal=True):
                for label, button_key, name, mime, data in buttons:
                    st.download_button(label, data, file_name=name, mime=mime, key=f"export_{button_key}",
                                       on_click="ignore", icon=":material/download:")


def status_texts(values):
    """status_text over a column, translated once per distinct status: a "Why?" table of a large
    selection has thousands of rows, and per-row translation cost a tenth of a second a rerun."""
    labels = {v: status_text(v) for v in values.unique()}
    return values.map(lambda v: labels.get(v, v))


def reasons_view(reasons):
    """A status_reasons frame for display: statuses as symbol and words, and the rule's own words
    (kind, labels, the "why" in column `detail`, rendered from its key and params) in the selected
    language; titles typed by focal points stay as typed. Each distinct value is rendered once: a
    large selection has thousands of rows."""
    from isc import status as rule

    language = lang()

    def text(v):
        return v if isinstance(v, str) else None

    whys = list(zip(map(text, reasons["detail_key"]), map(text, reasons["detail_params"]), strict=True))
    rendered = {w: rule.detail_text(*w, language) for w in set(whys)}
    labels = list(zip(map(text, reasons["label"]), map(text, reasons["label_key"]), strict=True))
    named = {x: rule.label_text(*x, language) for x in set(labels)}
    kinds = {k: rule.kind_text(k, language) for k in reasons["kind"].unique()}
    return reasons.assign(
        status=status_texts(reasons["status"]),
        computed_status=status_texts(reasons["computed_status"]),
        kind=reasons["kind"].map(lambda k: kinds.get(k, k)),
        label=[named[x] for x in labels],
        detail=[rendered[w] for w in whys],
    )


def status_text(status: str) -> str:
    """A status as symbol and words (never colour alone), in the selected language."""
    from isc import charts

    return charts.status_text(status, lang())


def coverage_note(row) -> str:
    """" · 2 of 4 Sectors reported" for a theme rated on incomplete reporting, else ""."""
    got, owed = int(getattr(row, "sectors_reported", 0)), int(getattr(row, "sectors_expected", 0))
    if 0 < got < owed:
        return " · " + t("common.sectors_reported", n=got, m=owed)
    return ""


def change_text(kind: str, silent=()) -> str:
    """A "What changed" kind (isc.status.CHANGES) in words; "no report this time" names who."""
    if kind == "no report this time":
        return t("change.no_report_this_time", sectors=", ".join(silent))
    key = {"worse": "change.worse", "better": "change.better", "not reported": "change.not_reported",
           "reported again": "change.reported_again"}.get(kind)
    return t(key) if key else kind


def explain_status(
    theme: str, period: str, sector: str | None = None, label: str | None = None, expanded: bool = False
) -> None:
    """The "Why?" of a computed status: the indicators and activities behind it, one click away."""
    reasons = q("status_reasons", theme, period)
    if sector:
        reasons = reasons[reasons["sector"] == sector]
    with st.expander(
        label or t("common.why_theme", theme=theme),
        expanded=expanded,
        icon=":material/help:",
    ):
        if reasons.empty:
            st.write(t("common.why_nothing"))
            return
        view = reasons_view(reasons)
        data_table(
            view[["sector", "computed_status", "kind", "ref", "label", "status", "detail"]],
            hide_index=True,
            key=f"why_{theme}_{period}_{sector}_{label}",
            column_config=why_columns(),
        )


def column_labels(columns) -> dict[str, str]:
    """st.dataframe column_config labels for query columns: catalogue key col.<column> where the
    catalogue has one (the column name shows otherwise)."""
    known = i18n.keys(i18n.DEFAULT)
    return {c: t(f"col.{c}") for c in columns if f"col.{c}" in known}


def why_columns() -> dict[str, str]:
    """Column labels of the "Why?" tables."""
    return {
        "theme": t("col.theme"),
        "sector": t("col.sector"),
        "kind": t("col.kind"),
        "ref": t("col.ref"),
        "computed_status": t("col.report_status"),
        "label": t("col.indicator_activity"),
        "status": t("col.its_status"),
        "detail": t("col.why"),
    }


@st.cache_resource(show_spinner=False, max_entries=512)
def _figure_cached(chart: str, key: tuple, _df, args: tuple, kwargs: tuple):
    from isc import charts

    return getattr(charts, chart)(_df, *args, **dict(kwargs))


@st.cache_data(show_spinner=False, max_entries=256)
def _derived_cached(func: str, key: tuple, _df, args: tuple):
    import importlib

    module, _, name = func.rpartition(".")
    return getattr(importlib.import_module(module), name)(_df, *args)


def derived(func: str, df, *args):
    """`func(df, *args)` for a pure function of a query result ("isc.indicators.period_table"),
    computed once per distinct data rather than on every rerun (a pivot costs more than the page's
    queries, which are cached). Each call gets its own copy: callers may change it."""
    import importlib

    import pandas as pd

    try:
        key = (int(pd.util.hash_pandas_object(df, index=True).sum()), len(df), tuple(df.columns))
    except TypeError:  # unhashable cells (lists): computed each time
        module, _, name = func.rpartition(".")
        return getattr(importlib.import_module(module), name)(df, *args)
    return _derived_cached(func=func, key=key, _df=df, args=args)


def figure(chart: str, df, *args, **kwargs):
    """charts.<chart>(df, *args, **kwargs), built once per distinct data (plotly validation is slow).

    The figure is shared between reruns and sessions: callers must not mutate it."""
    import pandas as pd

    try:
        digest = int(pd.util.hash_pandas_object(df, index=True).sum())
    except TypeError:  # unhashable cells (lists): build it each time
        from isc import charts

        return getattr(charts, chart)(df, *args, **{"lang": lang(), **kwargs})
    key = (digest, len(df), tuple(df.columns))
    kwargs = {"lang": lang(), **kwargs}  # the chart's text in the selected language
    return _figure_cached(chart=chart, key=key, _df=df, args=args, kwargs=tuple(sorted(kwargs.items())))


def explain_statuses(
    themes: dict[str, str], period: str, sector: str | None = None, label: str | None = None
) -> None:
    """One "Why?" expander for several themes ({code: name}): one query and one table."""
    reasons = q("status_reasons", None, period, themes=tuple(themes))
    if sector:
        reasons = reasons[reasons["sector"] == sector]
    with st.expander(label or t("common.why"), icon=":material/help:"):
        view = reasons_view(reasons).assign(theme=reasons["theme"].map(themes))
        data_table(
            view[["theme", "sector", "computed_status", "label", "status", "detail"]],
            hide_index=True,
            key="why_many",
            column_config=why_columns(),
        )


def day_text(value) -> str:
    """A date or timestamp as 2026-11-30 ("" when missing): registers and meeting records."""
    import pandas as pd

    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def moment_text(value) -> str:
    """A timestamp as 2026-11-30 14:05 ("" when missing): who did what, and when."""
    import pandas as pd

    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M}"
