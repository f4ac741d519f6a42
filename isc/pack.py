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

No Streamlit here: the Export page is a thin front end, and the benchmark and tests call this
module directly.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from isc import charts as isc_charts
from isc import export
from isc.db import queries
from isc.periods import default_period
from isc.status import LABELS

Progress = Callable[[float, str], None]
MANIFEST = "manifest.json"


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

    def each(self, query: Callable, *args, **kwargs) -> list[pd.DataFrame]:
        """Run `query` once per unit of the selection, for this version."""
        return [query(*args, db=self.db, version=self.version, **kwargs, **u) for u in self.units]


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


def _sum(frames: list[pd.DataFrame], keys: list[str], values: list[str]) -> pd.DataFrame:
    """Sum counts over the units, keeping the first unit's row order (the query's order)."""
    df = pd.concat(frames, ignore_index=True)
    return df.groupby(keys, sort=False, dropna=False)[values].sum().reset_index()


def _status_counts(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = _sum(c.each(queries.status_counts, c.period), ["status", "label"], ["themes"])
    return df, isc_charts.status_counts_bar(df, c.as_of)


def _track_progress(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = _sum(
        c.each(queries.track_progress, c.period),
        ["track", "track_name", "supervising_body", "status"],
        ["count"],
    )
    df = df[df["track"].isin(c.tracks)].reset_index(drop=True)
    return df, isc_charts.track_progress(df, c.as_of)


def _heatmap(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = pd.concat(c.each(queries.theme_sector_matrix, c.period), ignore_index=True)
    return df, isc_charts.theme_sector_heatmap(df, c.as_of, c.sectors)


def _trend(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = pd.concat(c.each(queries.track_trend), ignore_index=True)
    if not df.empty:
        order = {t: i for i, t in enumerate(c.tracks)}
        df = df.groupby(["period", "track", "track_name"], sort=False)[["themes", "on_track"]].sum().reset_index()
        df["share"] = (100.0 * df["on_track"] / df["themes"]).round(1)
        df = df.sort_values(["period", "track"], key=lambda s: s.map(order) if s.name == "track" else s)
        df = df.reset_index(drop=True)
    return df, isc_charts.progress_trend(df, c.as_of)


def _participation(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = _sum(c.each(queries.sector_participation, c.period), ["sector", "role"], ["activities"])
    return df, isc_charts.sector_participation(df, c.as_of)


def _sector_mix(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = _sum(c.each(queries.sector_status_mix, c.period), ["sector", "status"], ["count"])
    return df, isc_charts.status_mix(df, c.as_of, "sector", "Status of each sector's reports", "report")


def _sector_matrix(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = _sum(c.each(queries.sector_matrix, c.period), ["sector_a", "sector_b"], ["activities"])
    return df, isc_charts.sector_matrix(df, c.as_of, c.sectors)


def _join(values: pd.Series, sep: str) -> str | None:
    parts = [p for v in values.dropna() for p in str(v).split(sep) if p]
    return sep.join(sorted(set(parts))) if parts else None


def _coverage(c: _Ctx, _theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    frames = c.each(queries.resolution_coverage, c.period)
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
    return df, isc_charts.resolution_coverage(df, c.as_of)


def _history(c: _Ctx, theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = queries.status_history(theme, db=c.db, version=c.version)
    return df, isc_charts.status_history(df, c.as_of)


def _indicators(c: _Ctx, theme: str | None) -> tuple[pd.DataFrame, go.Figure]:
    df = queries.indicator_history(theme, db=c.db, version=c.version)
    return df, isc_charts.indicator_chart(df, c.as_of)


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
    latest = queries.data_version(db)
    v = latest if version is None else int(version)
    if not 0 <= v <= latest:
        raise ValueError(f"data version {v} does not exist (latest is {latest})")
    return v


def _units(themes: Sequence[str], tracks: Sequence[str], track_of: dict[str, str]) -> list[dict]:
    """Disjoint query filters: each selected track, then each selected theme outside them."""
    units = [{"track": t} for t in tracks]
    units += [{"theme": t} for t in themes if track_of.get(t) not in set(tracks)]
    return units or [{}]


def context(db: queries.Db, version: int, sel: Selection) -> _Ctx:
    """Everything the chart builders share: version, period, selection split into units."""
    all_themes = queries.themes(db)
    track_of = dict(zip(all_themes["code"], all_themes["track"], strict=True))
    unknown = [t for t in sel.themes if t not in track_of]
    if unknown:
        raise ValueError(f"unknown theme(s): {', '.join(unknown)}")
    track_order = queries.tracks(db)["code"].tolist()
    shown = track_order
    if sel.themes or sel.tracks:
        wanted = set(sel.tracks) | {track_of[t] for t in sel.themes}
        shown = [t for t in track_order if t in wanted]
    when = queries.as_of(db, version)
    stamp = when.strftime("%Y-%m-%d") if when else "n/a"
    return _Ctx(
        db=db,
        version=version,
        period=sel.period,
        as_of=f"Data as of {stamp} (v{version})",
        units=_units(sel.themes, sel.tracks, track_of),
        tracks=shown,
        sectors=queries.sectors(db)["code"].tolist(),
        theme_names=dict(zip(all_themes["code"], all_themes["name"], strict=True)),
    )


def build_items(
    db: queries.Db = None,
    version: int | None = None,
    period: str | None = None,
    themes: Sequence[str] = (),
    tracks: Sequence[str] = (),
    charts: Sequence[str] = (),
) -> tuple[list[export.ExportItem], list[dict], _Ctx, list[str]]:
    """The numbered figures (with their data) of a selection, without rendering any image.

    Returns the items, one manifest record per item, the context and notes for the user."""
    version = resolve_version(db, version)
    period = period or default_period(queries.periods(db=db))
    if period is None:
        raise ValueError("no report has been loaded: there is nothing to export")
    unknown = [k for k in charts if k not in CATALOGUE]
    if unknown:
        raise ValueError(f"unknown chart(s): {', '.join(unknown)}")
    ctx = context(db, version, Selection(period, tuple(themes), tuple(tracks)))
    items, records, notes = [], [], []
    for key in charts or list(CATALOGUE):
        spec = CATALOGUE[key]
        if spec.per_theme and not themes:
            notes.append(f"'{spec.title}' is made per theme: choose themes to include it.")
            continue
        for theme in themes if spec.per_theme else [None]:
            df, fig = spec.build(ctx, theme)
            title = f"{spec.title}: {ctx.theme_names[theme]}" if theme else spec.title
            caption = " ".join(p for p in (spec.caption, charts_summary(fig)) if p)
            number = len(items) + 1
            items.append(export.ExportItem(number, title, caption, fig, df))
            records.append(
                {"number": number, "key": key, "theme": theme, "title": title,
                 "chart": spec.chart, "queries": list(spec.queries), "data": f"figure_{number:02d}.csv"}
            )
    return items, records, ctx, notes


def charts_summary(fig: go.Figure) -> str:
    """The figure's one-sentence summary (its alt text), reused as the numbers in the caption."""
    return isc_charts.summary(fig)


def summary_lines(ctx: _Ctx) -> tuple[list[str], list[tuple[str, pd.DataFrame]]]:
    """The generated summary (themes by status and by track) and the tables behind it."""
    ts = pd.concat(ctx.each(queries.theme_status, ctx.period), ignore_index=True)
    order = isc_charts.STATUS_ORDER
    by_status = (
        ts["computed_status"].value_counts().reindex(order, fill_value=0).rename_axis("status").reset_index()
    )
    by_status.columns = ["status", "themes"]
    by_status.insert(0, "computed status", [LABELS[s] for s in by_status["status"]])
    by_status = by_status.drop(columns="status")
    lines = [
        f"Period {ctx.period}: {len(ts)} themes; "
        + ", ".join(f"{n} {s.lower()}" for s, n in zip(by_status["computed status"], by_status["themes"],
                                                         strict=True) if n)
        + "."
    ]
    by_track = ts.pivot_table(index="track_name", columns="computed_status", values="theme", aggfunc="count",
                              fill_value=0, sort=False)
    by_track = by_track.reindex(columns=order, fill_value=0)
    for track, row in by_track.iterrows():
        parts = ", ".join(f"{int(row[s])} {LABELS[s].lower()}" for s in order if row[s])
        lines.append(f"{track}: {int(row.sum())} themes ({parts}).")
    table_track = by_track.rename(columns=LABELS).rename_axis(None, axis=1).reset_index()
    table_track = table_track.rename(columns={"track_name": "track"})
    table_themes = ts[["theme_name", "track_name", "computed_status", "self_status"]].assign(
        computed_status=ts["computed_status"].map(LABELS), self_status=ts["self_status"].map(LABELS)
    ).rename(columns={"theme_name": "theme", "track_name": "track", "computed_status": "computed status",
                      "self_status": "self-assessed status"})
    tables = [
        ("Themes by computed status", by_status),
        ("Themes by track and computed status", table_track),
        ("Computed and self-assessed status of each theme", table_themes),
    ]
    return lines, tables


def _selection_text(ctx: _Ctx, themes: Sequence[str], tracks: Sequence[str]) -> str:
    if not themes and not tracks:
        return "all themes"
    parts = []
    if tracks:
        parts.append("tracks " + ", ".join(tracks))
    if themes:
        parts.append("themes " + ", ".join(ctx.theme_names[t] for t in themes))
    return "; ".join(parts)


def build_pack(
    db: queries.Db = None,
    version: int | None = None,
    period: str | None = None,
    themes: Sequence[str] = (),
    tracks: Sequence[str] = (),
    charts: Sequence[str] = (),
    progress: Progress | None = None,
) -> Pack:
    """Build the Council pack (.docx, .pptx, .zip with manifest) for one data version.

    `progress(fraction, message)` is called as the work advances (rendering images is most of
    it), so a page can show a progress bar."""

    def say(fraction: float, message: str) -> None:
        if progress:
            progress(min(1.0, fraction), message)

    say(0.0, "Reading the data")
    items, records, ctx, notes = build_items(db, version, period, themes, tracks, charts)
    if not items:
        raise ValueError("no chart to export: " + (" ".join(notes) or "choose at least one chart"))
    when = queries.as_of(db, ctx.version)
    source = export.source_line(when, ctx.version)
    lines, tables = summary_lines(ctx)
    say(0.05, "Rendering figures")
    images = export.render(
        items, source, progress=lambda n, total: say(0.05 + 0.85 * n / total, f"Rendered figure {n} of {total}")
    )
    title = f"Inter-sectoral coordination: monitoring report, {ctx.period}"
    selection_text = _selection_text(ctx, themes, tracks)
    say(0.9, "Writing the Word document")
    docx = export.council_docx(items, images, title, [f"Selection: {selection_text}.", *lines], source, tables)
    say(0.94, "Writing the slides")
    pptx = export.council_pptx(items, images, title, source)
    say(0.97, "Writing the zip")
    manifest = {
        "version": ctx.version,
        "as_of": when.isoformat() if when else None,
        "period": ctx.period,
        "selection": {"themes": list(themes), "tracks": list(tracks), "text": selection_text},
        "charts": records,
        "source": source,
        "created_at": dt.datetime.now().isoformat(timespec="seconds"),
        "rebuild": "isc.pack.build_pack(db, **isc.pack.rebuild_args(manifest))",
    }
    buf = io.BytesIO(export.figures_zip(items, images))
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as zf:
        for item in items:
            zf.writestr(f"figure_{item.number:02d}.xlsx",
                        export.table_xlsx(item.data, f"Figure {item.number}", source))
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
    stem = f"isc_council_pack_{ctx.period}_v{ctx.version}"
    say(1.0, "Done")
    return Pack(
        items=items,
        files={"docx": docx, "pptx": pptx, "zip": buf.getvalue()},
        file_names={ext: f"{stem}.{ext}" for ext in ("docx", "pptx", "zip")},
        manifest=manifest,
        notes=notes,
    )


# What an uploaded manifest may cost (the Export page's "Rebuild from manifest" takes a pack's
# .zip or its manifest.json from anyone who can open the page): the file, the manifest inflated,
# its nesting. A real manifest is a few kilobytes, nested four deep.
MAX_PACK_BYTES = 50 * 1024 * 1024
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_MANIFEST_DEPTH = 8
MAX_MANIFEST_CHARTS = 500


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
    }
