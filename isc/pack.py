"""The Council pack: chosen charts of one data version, as a Word document, a deck and a zip.

A Council document quotes numbers that must still be checkable months later, after many new
uploads. So a pack is always built for one *data version* (None means "the latest", resolved
once at the start so a load during the build cannot mix versions), names it with its "as of"
date in a source line on every figure, and carries a manifest (JSON, inside the zip) with the
version, period, selection and charts: `build_pack(db, **rebuild_args(manifest))` rebuilds the
same figures with the same numbers.

The catalogue below lists the exportable charts: each pairs the query functions of
`isc.db.queries` with the chart function of `isc.charts`, the same ones the pages use, so a
figure in the pack is the figure on screen, laid out for print by `isc.export`.

A selection is a set of tracks and/or themes (nothing selected = everything). The queries take
one track or one theme, so a selection is split into disjoint units (each selected track, then
each selected theme not inside a selected track), queried unit by unit and combined: counts are
summed, shares recomputed from the summed counts, row lists concatenated. Per-theme charts
(status history, indicators) are made once per selected theme.

A pack is made in one language (`lang`: every title, caption, source line, axis title, table
heading and summary sentence, theme and track names from the reference data, numbers written the
language's way) or in every language at once (`lang="all"`): one zip holding the whole pack once
per catalogue, from the same data version. The period is a quarter (`2026-Q3`) or a year (`2026`):
a year's figures show the status of its last quarter with data, the completeness over its
quarters and the trend across them. The Word file is the draft of the Secretary-General's report
to Council (isc.report_draft).

No Streamlit here: the Export page is a thin front end, and the benchmark and tests call this
module directly.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from isc import charts as isc_charts
from isc import completeness as comp
from isc import export, i18n, report_draft
from isc.db import coordination, queries
from isc.filters import Filters
from isc.i18n import DEFAULT, translate
from isc.periods import default_period

Progress = Callable[[float, str], None]
MANIFEST = "manifest.json"
# The small reads a build repeats (the version's date, its quarters, the reference lists), made
# once per build_pack: every one opens the database, tens of milliseconds on a busy machine.
_build_reads: contextvars.ContextVar[dict | None] = contextvars.ContextVar("isc_pack_reads", default=None)


def _once(query: Callable, *args, **kwargs):  # noqa: ANN202 - whatever the query returns
    """`query(*args, **kwargs)`, asked once per build (callers only read what it returns)."""
    memo = _build_reads.get()
    if memo is None:
        return query(*args, **kwargs)
    key = (query.__name__, args, tuple(sorted(kwargs.items())))
    if key not in memo:
        memo[key] = query(*args, **kwargs)
    return memo[key]


def _reads_once(build: Callable) -> Callable:
    """`build` with _once's memo for its duration (the outermost call's)."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs):  # noqa: ANN202
        token = _build_reads.set({}) if _build_reads.get() is None else None
        try:
            return build(*args, **kwargs)
        finally:
            if token is not None:
                _build_reads.reset(token)

    return wrapper


@dataclass(frozen=True)
class Selection:
    """What a pack covers; None/empty tuples mean "all"."""

    period: str
    themes: tuple[str, ...] = ()
    tracks: tuple[str, ...] = ()


@dataclass
class _Ctx:
    db: queries.Db
    version: int
    period: str
    as_of: str
    units: list[dict]
    tracks: list[str]  # tracks shown in per-track charts (all when nothing is selected)
    sectors: list[str]
    theme_names: dict[str, str]
    lang: str = DEFAULT
    quarters: list[str] = field(default_factory=list)  # the quarters covered (a year: up to four)
    period_text: str = ""  # what the user chose: the quarter, or the year
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # {"theme"|"track": {English: local}}

    def each(self, query: Callable) -> list[pd.DataFrame]:
        """Run `query` once per unit of the selection (the period's Filters with that unit's track
        or theme), for this version (names in ctx.lang)."""
        return [self.localise(query(Filters(self.period, **u), db=self.db, version=self.version))
                for u in self.units]

    def localise(self, df: pd.DataFrame) -> pd.DataFrame:
        """theme_name and track_name in the pack's language (reference data; English fallback)."""
        changes = {col: df[col].map(lambda v, m=self.names[tbl]: m.get(v, v))
                   for col, tbl in (("theme_name", "theme"), ("track_name", "track"))
                   if col in df.columns and self.names.get(tbl)}  # fmt: skip
        return df.assign(**changes) if changes else df


@dataclass(frozen=True)
class Chart:
    """One exportable chart: where its data comes from and which chart function draws it."""

    key: str
    title: str
    caption: str
    queries: tuple[str, ...]  # names in isc.db.queries (for the record and the manifest)
    chart: str  # name in isc.charts
    build: Callable[[_Ctx, str | None], tuple[pd.DataFrame, go.Figure]]
    per_theme: bool = False

    def title_in(self, lang: str) -> str:
        return translate(lang, f"pack.chart.{self.key}.title")

    def caption_in(self, lang: str) -> str:
        return translate(lang, f"pack.chart.{self.key}.caption")


def _sum(frames: list[pd.DataFrame], keys: list[str], values: list[str]) -> pd.DataFrame:
    """Sum counts over the units, keeping the first unit's row order (the query's order)."""
    df = pd.concat(frames, ignore_index=True)
    return df.groupby(keys, sort=False, dropna=False)[values].sum().reset_index()


def _status_counts(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = _sum(c.each(queries.status_counts), ["status", "label"], ["themes"])
    return df, isc_charts.status_counts_bar(df, c.as_of, lang=c.lang)


def _track_progress(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = _sum(
        c.each(queries.track_progress),
        ["track", "track_name", "supervising_body", "status"],
        ["count"],
    )
    df = df[df["track"].isin(c.tracks)].reset_index(drop=True)
    return df, isc_charts.track_progress(df, c.as_of, lang=c.lang)


def _heatmap(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = pd.concat(c.each(queries.theme_sector_matrix), ignore_index=True)
    return df, isc_charts.theme_sector_heatmap(df, c.as_of, c.sectors, lang=c.lang)


def _trend(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = pd.concat(c.each(queries.track_trend), ignore_index=True)
    if not df.empty:
        df = df[df["period"].isin(c.quarters)] if c.period_text != c.period else df[df["period"] <= c.period]
        order = {t: i for i, t in enumerate(c.tracks)}
        df = df.groupby(["period", "track", "track_name"], sort=False)[["themes", "on_track"]].sum().reset_index()
        df["share"] = (100.0 * df["on_track"] / df["themes"]).round(1)
        df = df.sort_values(["period", "track"], key=lambda s: s.map(order) if s.name == "track" else s)
        df = df.reset_index(drop=True)
    return df, isc_charts.progress_trend(df, c.as_of, lang=c.lang)


def _participation(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = _sum(c.each(queries.sector_participation), ["sector", "role"], ["activities"])
    return df, isc_charts.sector_participation(df, c.as_of, lang=c.lang)


def _sector_mix(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = _sum(c.each(queries.sector_status_mix), ["sector", "status"], ["count"])
    return df, isc_charts.status_mix(df, c.as_of, "sector", translate(c.lang, "pack.chart.sector_status.title"), "report",
                                  lang=c.lang)


def _sector_matrix(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = _sum(c.each(queries.sector_matrix), ["sector_a", "sector_b"], ["activities"])
    return df, isc_charts.sector_matrix(df, c.as_of, c.sectors, lang=c.lang)


def _join(values: pd.Series, sep: str) -> str | None:
    parts = [p for v in values.dropna() for p in str(v).split(sep) if p]
    return sep.join(sorted(set(parts))) if parts else None


def _coverage(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    frames = c.each(queries.resolution_coverage)
    df = frames[0]
    if len(frames) > 1:  # a resolution is covered by the selection if any unit covers it
        every = pd.concat(frames, ignore_index=True)
        agg = every.groupby("code", sort=False).agg(
            n_themes=("n_themes", "sum"),
            themes_reported=("themes_reported", "sum"),
            themes=("themes", lambda s: _join(s, ", ")),
            theme_names=("theme_names", lambda s: _join(s, "; ")),
        )
        df = df.drop(columns=list(agg.columns)).join(agg, on="code")
        df["coverage"] = [
            "no theme" if n == 0 else "no report" if r == 0 else "reported"
            for n, r in zip(df["n_themes"], df["themes_reported"], strict=True)
        ]
        df = df[frames[0].columns]
    return df, isc_charts.resolution_coverage(df, c.as_of, lang=c.lang)


def _history(c: _Ctx, theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = c.localise(queries.status_history(theme, db=c.db, version=c.version))
    return df, isc_charts.status_history(df, c.as_of, lang=c.lang)


def _indicators(c: _Ctx, theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = c.localise(queries.indicator_history(theme, db=c.db, version=c.version))
    return df, isc_charts.indicator_chart(df, c.as_of, lang=c.lang)


CATALOGUE: dict[str, Chart] = {
    c.key: c
    for c in [
        Chart("status_counts", "Themes by status", "Number of themes per computed status.",
              ("status_counts",), "status_counts_bar", _status_counts),
        Chart("track_progress", "Progress per track", "Themes per computed status in each track.",
              ("track_progress",), "track_progress", _track_progress),
        Chart("theme_sector", "Status by theme and sector",
              "Computed status of each expected report (theme x Sector).",
              ("theme_sector_matrix", "sectors"), "theme_sector_heatmap", _heatmap),
        Chart("track_trend", "Progress trend per track",
              "Share of themes on track or completed, per quarter.", ("track_trend",), "progress_trend", _trend),
        Chart("sector_participation", "Activities led, joint and as partner, per Sector",
              "Distinct activities of the period by the role each Sector plays.",
              ("sector_participation",), "sector_participation", _participation),
        Chart("sector_status", "Status of each Sector's reports",
              "Expected reports of each Sector by computed status.",
              ("sector_status_mix",), "status_mix", _sector_mix),
        Chart("sector_matrix", "Joint work between Sectors",
              "Activities in which both Sectors take part (lead, joint or partner).",
              ("sector_matrix", "sectors"), "sector_matrix", _sector_matrix),
        Chart("resolution_coverage", "PP-22 resolutions: coverage by themes",
              "PP-22 resolutions and decisions by whether a theme covers them and reported.",
              ("resolution_coverage",), "resolution_coverage", _coverage),
        Chart("status_history", "Status history", "Computed status per Sector over the quarters.",
              ("status_history",), "status_history", _history, per_theme=True),
        Chart("indicators", "Indicators", "Actual vs target vs baseline, one line per Sector.",
              ("indicator_history",), "indicator_chart", _indicators, per_theme=True),
    ]
}


@dataclass
class Pack:
    """A built pack: the numbered items, the three files and the manifest that rebuilds them."""

    items: list[export.ExportItem]
    files: dict[str, bytes]  # "docx", "pptx", "zip"
    file_names: dict[str, str]
    manifest: dict
    notes: list[str] = field(default_factory=list)

    MIME = {
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "zip": "application/zip",
    }


def default_selection(n: int = 12, db: queries.Db = None) -> dict:
    """Arguments for `build_pack` giving exactly `n` charts (the benchmark's 12-chart pack).

    Every general chart first, then the per-theme charts for as many themes as needed."""
    general = [k for k, c in CATALOGUE.items() if not c.per_theme]
    per_theme = [k for k, c in CATALOGUE.items() if c.per_theme]
    if n <= len(general):
        return {"charts": general[:n], "themes": ()}
    rest = n - len(general)
    n_themes = -(-rest // len(per_theme))
    themes = tuple(queries.themes(db)["code"].head(n_themes))
    if rest % len(per_theme):
        raise ValueError(f"{n} charts cannot be made of {len(general)} general + whole theme sets")
    return {"charts": general + per_theme, "themes": themes}


def resolve_version(db: queries.Db, version: int | None) -> int:
    """The data version to build for: the latest when None; refuses a version that does not exist."""
    latest = _once(queries.data_version, db)
    v = latest if version is None else int(version)
    if not 0 <= v <= latest:
        raise ValueError(f"data version {v} does not exist (latest is {latest})")
    return v


def _units(themes: Sequence[str], tracks: Sequence[str], track_of: dict[str, str]) -> list[dict]:
    """Disjoint query filters: each selected track, then each selected theme outside them."""
    units = [{"track": t} for t in tracks]
    units += [{"theme": t} for t in themes if track_of.get(t) not in set(tracks)]
    return units or [{}]


def local_names(db: queries.Db, lang: str) -> dict[str, dict[str, str]]:
    """{"theme"|"track": {English name: name in `lang`}} from the reference data."""
    if lang == DEFAULT:
        return {}
    try:
        df = queries.localised_names(lang, db)
    except Exception:  # noqa: BLE001 - a database from before schema 3 (no ref_text): English names
        return {}
    out: dict[str, dict[str, str]] = {}
    for r in df[df["field"] == "name"].itertuples(index=False):
        if r.name_en:
            out.setdefault(r.tbl, {})[r.name_en] = r.text
    return out


def resolve_period(db: queries.Db, version: int, period: str | None) -> tuple[str, list[str]]:
    """(the quarter whose status is shown, the quarters covered) for a quarter or a year."""
    available = _once(queries.periods, db=db, version=version)
    period = period or default_period(available)
    if period is None:
        raise ValueError("no report has been loaded: there is nothing to export")
    text = str(period).strip()
    if text.isdigit() and len(text) == 4:
        quarters = [p for p in available if p.startswith(f"{text}-")]
        if not quarters:
            raise ValueError(f"no quarter of {text} has data")
        return quarters[-1], quarters
    return text, [text]


def context(db: queries.Db, version: int, sel: Selection, lang: str = DEFAULT) -> _Ctx:
    """Everything the chart builders share: version, period, selection split into units."""
    all_themes = _once(queries.themes, db)
    track_of = dict(zip(all_themes["code"], all_themes["track"], strict=True))
    unknown = [t for t in sel.themes if t not in track_of]
    if unknown:
        raise ValueError(f"unknown theme(s): {', '.join(unknown)}")
    track_order = _once(queries.tracks, db)["code"].tolist()
    shown = track_order
    if sel.themes or sel.tracks:
        wanted = set(sel.tracks) | {track_of[t] for t in sel.themes}
        shown = [t for t in track_order if t in wanted]
    when = _once(queries.as_of, db, version)
    stamp = when.strftime("%Y-%m-%d") if when else "n/a"
    status_period, quarters = resolve_period(db, version, sel.period)
    names = local_names(db, lang)
    return _Ctx(
        db=db,
        version=version,
        period=status_period,
        as_of=translate(lang, "common.as_of_short", when=stamp, version=version),
        units=_units(sel.themes, sel.tracks, track_of),
        tracks=shown,
        sectors=_once(queries.sectors, db)["code"].tolist(),
        theme_names={c: names.get("theme", {}).get(n, n)
                     for c, n in zip(all_themes["code"], all_themes["name"], strict=True)},  # fmt: skip
        lang=lang,
        quarters=quarters,
        period_text=str(sel.period),
        names=names,
    )


def build_items(
    db: queries.Db = None,
    version: int | None = None,
    period: str | None = None,
    themes: Sequence[str] = (),
    tracks: Sequence[str] = (),
    charts: Sequence[str] = (),
    lang: str = DEFAULT,
    on_item: Callable[[export.ExportItem], None] | None = None,
) -> tuple[list[export.ExportItem], list[dict], _Ctx, list[str]]:
    """The numbered figures (with their data) of a selection, without rendering any image.

    Returns the items, one manifest record per item, the context and notes for the user.
    `on_item(item)` is called as each item is made (the pack starts drawing its images then)."""
    version = resolve_version(db, version)
    period = period or default_period(_once(queries.periods, db=db, version=version))
    if period is None:
        raise ValueError("no report has been loaded: there is nothing to export")
    unknown = [k for k in charts if k not in CATALOGUE]
    if unknown:
        raise ValueError(f"unknown chart(s): {', '.join(unknown)}")
    ctx = context(db, version, Selection(period, tuple(themes), tuple(tracks)), lang)
    items, records, notes = [], [], []
    for key in charts or list(CATALOGUE):
        spec = CATALOGUE[key]
        if spec.per_theme and not themes:
            notes.append(translate(lang, "pack.per_theme_note", title=spec.title_in(lang)))
            continue
        for theme in themes if spec.per_theme else [None]:
            df, fig = spec.build(ctx, theme)
            name = spec.title_in(lang)
            title = f"{name}: {ctx.theme_names[theme]}" if theme else name
            caption = " ".join(p for p in (spec.caption_in(lang), charts_summary(fig)) if p)
            number = len(items) + 1
            items.append(export.ExportItem(number, title, caption, fig, df))
            if on_item:
                on_item(items[-1])
            records.append(
                {"number": number, "key": key, "theme": theme, "title": title,
                 "chart": spec.chart, "queries": list(spec.queries), "data": f"figure_{number:02d}.csv"}
            )
    return items, records, ctx, notes


def charts_summary(fig: go.Figure) -> str:
    """The figure's one-sentence summary (its alt text), reused as the numbers in the caption."""
    return isc_charts.summary(fig)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def facts(ctx: _Ctx) -> report_draft.Facts:
    """What the report draft says from the data: the themes that reported and their status (the
    status quarter), reporting completeness and overlap reviews over the quarters covered."""
    lang = ctx.lang
    ts = pd.concat(ctx.each(queries.theme_status), ignore_index=True)
    word = lambda s: isc_charts.status_label(s, lang)  # noqa: E731
    got = ts[ts["sectors_reported"] > 0]
    themes_reported = [(n, word(s).lower()) for n, s in zip(got["theme_name"], got["computed_status"], strict=True)]
    themes_table = pd.DataFrame({
        _cap(export.heading("theme", lang)): ts["theme_name"],
        _cap(export.heading("track", lang)): ts["track_name"],
        _cap(export.heading("computed_status", lang)): ts["computed_status"].map(word),
        _cap(translate(lang, "report.col.sectors_reported")): [
            translate(lang, "report.n_of_m", n=int(n), m=int(m))
            for n, m in zip(ts["sectors_reported"], ts["sectors_expected"], strict=True)],
    })  # fmt: skip
    # Completeness over the quarters covered, as of the data version (a rebuild gives the same).
    expected = ctx.localise(coordination.expected_reports(ctx.db))
    if ctx.units != [{}]:
        keep = pd.Series(False, index=expected.index)
        for u in ctx.units:
            keep |= (expected["track"] == u["track"]) if "track" in u else (expected["theme"] == u["theme"])
        expected = expected[keep]
    now = _once(queries.as_of, ctx.db, ctx.version) or dt.datetime.now()
    table = comp.table(expected, coordination.first_uploads(ctx.db, ctx.version), ctx.quarters, now=now)
    counts = table["status"].value_counts()
    c = {s: int(counts.get(s, 0)) for s in comp.ORDER}
    c["expected"] = c[comp.ON_TIME] + c[comp.LATE] + c[comp.MISSING]
    c["received"] = c[comp.ON_TIME] + c[comp.LATE]
    by_sector = comp.rates(table, "sector") if not table.empty else pd.DataFrame()
    completeness_table = pd.DataFrame()
    if not by_sector.empty:
        completeness_table = pd.DataFrame({
            _cap(export.heading("sector", lang)): by_sector["sector"],
            _cap(translate(lang, "report.col.expected")): by_sector["expected"],
            _cap(translate(lang, "completeness.on_time")): by_sector[comp.ON_TIME],
            _cap(translate(lang, "completeness.late")): by_sector[comp.LATE],
            _cap(translate(lang, "completeness.missing")): by_sector[comp.MISSING],
            _cap(translate(lang, "report.col.completeness")): by_sector["completeness"],
            _cap(translate(lang, "report.col.on_time_rate")): by_sector["on_time_rate"],
        })  # fmt: skip
    # Overlap reviews recorded for the quarters covered, up to the data version's date.
    reviews = coordination.reviews(ctx.db)
    reviews = reviews[reviews["period"].isin(ctx.quarters)]
    if now is not None and not reviews.empty:
        reviews = reviews[pd.to_datetime(reviews["reviewed_at"]) <= pd.Timestamp(now)]
    verdicts = reviews["verdict"].value_counts()
    overlaps = {"reviewed": len(reviews)} | {v: int(verdicts.get(v, 0)) for v in coordination.VERDICTS}
    return report_draft.Facts(
        period_text=ctx.period_text,
        status_period=ctx.period,
        themes_reported=themes_reported,
        status_counts={s: int(n) for s, n in ts["computed_status"].value_counts().items()},
        n_themes=len(ts),
        completeness=c,
        overlaps=overlaps,
        tables={"themes": themes_table, "completeness": completeness_table},
    )


def _selection_text(ctx: _Ctx, themes: Sequence[str], tracks: Sequence[str]) -> str:
    if not themes and not tracks:
        return translate(ctx.lang, "pack.selection.all")
    parts = []
    if tracks:
        names = dict(zip(*[_once(queries.tracks, ctx.db)[c] for c in ("code", "name")], strict=True))
        local = [ctx.names.get("track", {}).get(names.get(t, t), names.get(t, t)) for t in tracks]
        parts.append(translate(ctx.lang, "pack.selection.tracks", names=", ".join(local)))
    if themes:
        parts.append(translate(ctx.lang, "pack.selection.themes", names=", ".join(ctx.theme_names[t] for t in themes)))
    return "; ".join(parts)


@dataclass
class _Built:
    lang: str
    items: list[export.ExportItem]
    records: list[dict]
    notes: list[str]
    ctx: _Ctx
    images: dict
    source: str
    docx: bytes
    pptx: bytes
    selection_text: str
    tables: dict[int, dict[str, bytes]]  # export.figure_tables: each figure's CSV and Excel table


def _build_one(db, version, period, themes, tracks, charts, lang, captioned, say, start, span) -> _Built:
    tr = lambda key, **v: translate(lang, key, **v)  # noqa: E731
    say(start, tr("pack.progress.reading"))
    # Each figure's images (one PNG for the .docx, .pptx and zip, the zip's SVG) are sent to the
    # renderer as soon as the figure is made; the queries, facts and tables go on meanwhile.
    when = _once(queries.as_of, db, version)  # `version` is resolved (build_pack)
    source = export.source_line(when, version, lang)
    rendering = export.Rendering(source, lang=lang, captioned=("png",) if captioned else ())
    try:
        items, records, ctx, notes = build_items(db, version, period, themes, tracks, charts, lang,
                                                 on_item=rendering.add)  # fmt: skip
        if not items:
            raise ValueError(tr("pack.no_chart", notes=" ".join(notes)))
        f = facts(ctx)
        tables = export.figure_tables(items, lang, source)
    except BaseException:
        rendering.cancel()
        raise
    say(start + 0.05 * span, tr("pack.progress.rendering"))
    images = rendering.result(
        progress=lambda n, total: say(start + span * (0.05 + 0.85 * n / total), tr("pack.progress.rendered", n=n, total=total)),
    )  # fmt: skip
    selection_text = _selection_text(ctx, themes, tracks)
    stamp = when.strftime("%Y-%m-%d") if when else "n/a"
    say(start + 0.9 * span, tr("pack.progress.docx"))
    note = tr("report.draft_note", period=ctx.period_text, version=ctx.version, when=stamp, selection=selection_text)
    keys = [r["key"] for r in records]
    docx = report_draft.report_docx(items, keys, images, f, source, note, lang)
    say(start + 0.94 * span, tr("pack.progress.pptx"))
    title = tr("pack.slides_title", period=ctx.period_text)
    subtitle = tr("pack.slides_subtitle", selection=selection_text, version=ctx.version, when=stamp)
    pptx = report_draft.slides(items, images, title, subtitle, source, lang)
    return _Built(lang, items, records, notes, ctx, images, source, docx, pptx, selection_text, tables)


@_reads_once
def build_pack(
    db: queries.Db = None,
    version: int | None = None,
    period: str | None = None,
    themes: Sequence[str] = (),
    tracks: Sequence[str] = (),
    charts: Sequence[str] = (),
    progress: Progress | None = None,
    lang: str = DEFAULT,
    captioned: bool = False,
) -> Pack:
    """Build the Council pack (report draft .docx, .pptx, .zip with manifest) for one data version.

    `lang`: a catalogue's language, or "all" for one zip holding the pack in every language
    (folders en/, fr/...) from the same data version. `period`: a quarter or a year. `captioned`
    adds each figure with its caption and source (for e-mail) to the zip. `progress(fraction,
    message)` is called as the work advances (rendering images is most of it)."""

    def say(fraction: float, message: str) -> None:
        if progress:
            progress(min(1.0, fraction), message)

    languages = list(i18n.languages()) if lang == "all" else [i18n.supported(lang)]
    version = resolve_version(db, version)  # once: every language from the same data version
    span = 0.97 / len(languages)
    built = [_build_one(db, version, period, themes, tracks, charts, code, captioned, say, i * span, span)
             for i, code in enumerate(languages)]  # fmt: skip
    first = built[0]
    ctx = first.ctx
    when = _once(queries.as_of, db, ctx.version)
    say(0.97, translate(first.lang, "pack.progress.zip"))
    stem = f"isc_council_pack_{ctx.period_text}_v{ctx.version}"
    manifest = {
        "version": ctx.version,
        "as_of": when.isoformat() if when else None,
        "period": ctx.period_text,
        "status_period": ctx.period,
        "quarters": ctx.quarters,
        "lang": lang if lang == "all" else first.lang,
        "languages": languages,
        "selection": {"themes": list(themes), "tracks": list(tracks), "text": first.selection_text},
        "charts": first.records,
        "source": first.source,
        "created_at": dt.datetime.now().isoformat(timespec="seconds"),
        "rebuild": "isc.pack.build_pack(db, **isc.pack.rebuild_args(manifest))",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for b in built:
            folder = f"{b.lang}/" if len(built) > 1 else ""
            export.add_figures(zf, b.items, b.images, b.lang, folder, b.source, b.tables)
            if folder:
                zf.writestr(f"{folder}{stem}_{b.lang}.docx", b.docx, compress_type=zipfile.ZIP_STORED)
                zf.writestr(f"{folder}{stem}_{b.lang}.pptx", b.pptx, compress_type=zipfile.ZIP_STORED)
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
    say(1.0, translate(first.lang, "pack.progress.done"))
    if len(built) > 1:
        files, names = {"zip": buf.getvalue()}, {"zip": f"{stem}_all_languages.zip"}
    else:
        files = {"docx": first.docx, "pptx": first.pptx, "zip": buf.getvalue()}
        names = {ext: f"{stem}.{ext}" for ext in files}
    return Pack(items=first.items, files=files, file_names=names, manifest=manifest, notes=first.notes)


# What an uploaded manifest may cost (the Export page's "Rebuild from manifest" takes a pack's
# .zip or its manifest.json from anyone who can open the page): the file, the manifest inflated,
# its nesting. A real manifest is a few kilobytes, nested four deep.
from isc.settings import (  # noqa: E402 - beside what it explains; the limits live in isc.settings
    MAX_MANIFEST_BYTES,
    MAX_MANIFEST_CHARTS,
    MAX_MANIFEST_DEPTH,
    MAX_PACK_BYTES,
)


def read_manifest(zip_bytes: bytes) -> dict:
    """The manifest of a pack's zip, read with bounded cost: at most MAX_MANIFEST_BYTES are
    inflated (a megabyte at a time through zipfile's stream, whatever sizes the zip declares);
    raises ValueError (zipfile.BadZipFile is one) for anything that is not a sound manifest."""
    if len(zip_bytes) > MAX_PACK_BYTES:
        raise ValueError(f"the file is larger than {MAX_PACK_BYTES // (1024 * 1024)} MB")
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        try:
            info = zf.getinfo(MANIFEST)
        except KeyError:
            raise ValueError(f"the zip has no {MANIFEST}") from None
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
            raise ValueError(f"{MANIFEST} is stored in a way this tool does not read")
        if info.file_size > MAX_MANIFEST_BYTES:
            raise ValueError(f"{MANIFEST} is larger than {MAX_MANIFEST_BYTES // 1024} KB")
        chunks, size = [], 0
        with zf.open(info) as f:  # zipfile checks the CRC at the end: a forged size is refused
            while chunk := f.read(64 * 1024):
                size += len(chunk)
                if size > MAX_MANIFEST_BYTES:
                    raise ValueError(f"{MANIFEST} is larger than {MAX_MANIFEST_BYTES // 1024} KB")
                chunks.append(chunk)
    return parse_manifest(b"".join(chunks))


def parse_manifest(raw: bytes) -> dict:
    """A manifest from its JSON text: size, nesting and shape checked; ValueError otherwise."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ValueError(f"the manifest is larger than {MAX_MANIFEST_BYTES // 1024} KB")
    depth = deepest = 0
    for b in raw.translate(None, bytes(c for c in range(256) if c not in b"[]{}")):  # brackets only
        depth += 1 if b in b"[{" else -1
        deepest = max(deepest, depth)
        if deepest > MAX_MANIFEST_DEPTH:  # (brackets inside strings count too: a manifest has none)
            raise ValueError("the manifest is nested too deeply")
    manifest = json.loads(raw)
    if not isinstance(manifest, dict):
        raise ValueError("the manifest is not a JSON object")
    rebuild_args(manifest)  # its shape
    return manifest


def upload_manifest(raw: bytes) -> dict:
    """The manifest in an uploaded file: a pack's .zip or its manifest.json (ValueError if not)."""
    if raw[:4] == b"PK\x03\x04" or zipfile.is_zipfile(io.BytesIO(raw)):
        return read_manifest(raw)
    return parse_manifest(raw)


def rebuild_args(manifest: dict) -> dict:
    """`build_pack` arguments that rebuild the pack a manifest describes (same version, numbers).
    Raises ValueError (or KeyError) for a manifest that does not have the expected shape."""
    charts, selection = manifest["charts"], manifest["selection"]
    if not isinstance(charts, list) or len(charts) > MAX_MANIFEST_CHARTS or not isinstance(selection, dict):
        raise ValueError("the manifest's charts or selection are not what a pack writes")
    if not all(isinstance(r, dict) and isinstance(r.get("key"), str) for r in charts):
        raise ValueError("the manifest's charts are not what a pack writes")
    themes, tracks = selection["themes"], selection["tracks"]
    if not all(isinstance(x, list) and all(isinstance(v, str) for v in x) for x in (themes, tracks)):
        raise ValueError("the manifest's selection is not what a pack writes")
    version, period = manifest["version"], manifest["period"]
    if not (version is None or isinstance(version, int)) or not isinstance(period, str):
        raise ValueError("the manifest's version or period is not what a pack writes")
    keys = list(dict.fromkeys(r["key"] for r in charts))
    return {
        "version": version,
        "period": period,
        "themes": tuple(themes),
        "tracks": tuple(tracks),
        "charts": keys,
        "lang": manifest.get("lang") if isinstance(manifest.get("lang"), str) else DEFAULT,
    }
