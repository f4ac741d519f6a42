"""Read queries for the pages and exports. Aggregation happens here, in DuckDB.

Every function takes `db` (path; default $ISC_DB or data/isc.duckdb) and most take `version`
(a data version; None = latest) so a figure can be rebuilt exactly as it was. Functions return
pandas DataFrames (or plain values) and never cache; the pages cache them, keyed by the file
fingerprint, so new data shows on the next rerun.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pandas as pd

from isc import status as rule
from isc.db import connection

Db = str | os.PathLike | None

# Status ranks for SQL aggregation: the worst status of a theme's sector reports wins.
_RANK_SQL = """CASE {col} WHEN 'completed' THEN 0 WHEN 'on_track' THEN 1 WHEN 'at_risk' THEN 2
    WHEN 'off_track' THEN 3 END"""
_UNRANK_SQL = """CASE {col} WHEN 0 THEN 'completed' WHEN 1 THEN 'on_track' WHEN 2 THEN 'at_risk'
    WHEN 3 THEN 'off_track' END"""
_SELF_SQL = """CASE {col} WHEN 'Completed' THEN 'completed' WHEN 'On track' THEN 'on_track'
    WHEN 'Not started' THEN 'on_track' WHEN 'At risk' THEN 'at_risk' WHEN 'Off track' THEN 'off_track' END"""


def _df(sql: str, params: list | None = None, db: Db = None) -> pd.DataFrame:
    with connection.read(db) as con:
        return con.execute(sql, params or []).df()


def _value(sql: str, params: list | None = None, db: Db = None):
    with connection.read(db) as con:
        row = con.execute(sql, params or []).fetchone()
    return row[0] if row else None


def data_version(db: Db = None) -> int:
    return _value("SELECT coalesce(max(seq), 0) FROM event", db=db)


def _v(version: int | None, db: Db) -> int:
    return data_version(db) if version is None else int(version)


def summary(db: Db = None) -> dict:
    """Counts shown on the home page, and what version of the data they describe."""
    with connection.read(db) as con:
        v = con.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()[0]
        row = con.execute(
            """SELECT
                 (SELECT count(*) FROM theme WHERE state IN ('active', 'proposed')),
                 (SELECT count(*) FROM theme WHERE reported_to_isctf_2024),
                 (SELECT count(*) FROM live_uploads(?)),
                 (SELECT count(*) FROM resolution),
                 (SELECT count(*) FROM upload),
                 (SELECT max(happened_at) FROM event)""",
            [v],
        ).fetchone()
    keys = ("themes", "themes_2024", "reports", "resolutions", "uploads", "as_of")
    return dict(zip(keys, row, strict=True)) | {"version": v}


def as_of(db: Db = None, version: int | None = None) -> dt.datetime | None:
    """When the data version was made: the time of its last load or undo."""
    return _value("SELECT max(happened_at) FROM event WHERE seq <= ?", [_v(version, db)], db=db)


def periods(db: Db = None) -> list[str]:
    """Periods that have at least one report, oldest first."""
    df = _df("SELECT DISTINCT period FROM upload ORDER BY period", db=db)
    return df["period"].tolist()


def sectors(db: Db = None) -> pd.DataFrame:
    return _df("SELECT * FROM sector ORDER BY position", db=db)


def tracks(db: Db = None) -> pd.DataFrame:
    return _df(
        """SELECT t.*, b.name AS body_name,
                  (SELECT count(*) FROM theme h WHERE h.track = t.code AND h.state IN ('active', 'proposed'))
                    AS themes
           FROM track t LEFT JOIN body b ON b.code = t.supervising_body ORDER BY t.position""",
        db=db,
    )


def themes(db: Db = None, include_history: bool = False) -> pd.DataFrame:
    where = "" if include_history else "WHERE h.state IN ('active', 'proposed')"
    return _df(
        f"""SELECT h.code, h.name, h.name_fr, h.track, t.name AS track_name, t.supervising_body,
                   h.state, h.valid_from, h.valid_to, h.successor, h.track_assignment
            FROM theme h JOIN track t ON t.code = h.track {where}
            ORDER BY t.position, h.name""",
        db=db,
    )


def _live_reports_sql() -> str:
    return """SELECT r.*, u.uploaded_at, u.uploaded_by, u.file_name, u.seq
              FROM live_uploads($v) u JOIN report r ON r.upload_id = u.id"""


_FILTERS_SQL = """($tr IS NULL OR h.track = $tr) AND ($th IS NULL OR h.code = $th)"""


def _filters(track: str | None = None, sector: str | None = None, theme: str | None = None) -> dict:
    return {"tr": track, "s": sector, "th": theme}


def report_status(
    period: str,
    db: Db = None,
    version: int | None = None,
    track: str | None = None,
    sector: str | None = None,
    theme: str | None = None,
) -> pd.DataFrame:
    """One row per expected (theme, sector) for the period: computed and self status."""
    return _df_named(
        f"""WITH live AS ({_live_reports_sql()})
            SELECT f.theme, h.name AS theme_name, h.track, f.sector, f.focal_point, f.email,
                   coalesce(l.computed_status, 'not_reported') AS computed_status,
                   coalesce({_SELF_SQL.format(col="l.self_status")}, 'not_reported') AS self_status,
                   l.upload_id, l.uploaded_at
            FROM focal_point f
            JOIN theme h ON h.code = f.theme
            JOIN track t ON t.code = h.track
            LEFT JOIN sector s ON s.code = f.sector
            LEFT JOIN live l ON l.theme = f.theme AND l.sector = f.sector AND l.period = $p
            WHERE h.state IN ('active', 'proposed') AND {_FILTERS_SQL} AND ($s IS NULL OR f.sector = $s)
            ORDER BY t.position, h.name, s.position""",
        {"v": _v(version, db), "p": period} | _filters(track, sector, theme),
        db,
    )


def _df_named(sql: str, params: dict, db: Db) -> pd.DataFrame:
    used = set(re.findall(r"\$(\w+)", sql))
    with connection.read(db) as con:
        return con.execute(sql, {k: v for k, v in params.items() if k in used}).df()


def _theme_status_sql(periods_sql: str) -> str:
    """Theme status per (theme, period) for the periods that `periods_sql` selects (column period).

    A theme's status is the worst of its sectors' live reports; with a sector filter ($s), that
    sector's report only. Parameters: $v, $tr, $s, $th and whatever periods_sql uses."""
    return f"""WITH live AS (
              SELECT r.theme, r.period, r.computed_status, r.self_status
              FROM live_uploads($v) u JOIN report r ON r.upload_id = u.id
              WHERE ($s IS NULL OR r.sector = $s)),
            agg AS (
              SELECT theme, period,
                     max({_RANK_SQL.format(col="computed_status")}) AS c_rank,
                     max({_RANK_SQL.format(col=_SELF_SQL.format(col="self_status"))}) AS s_rank,
                     count(*) AS sectors_reported
              FROM live GROUP BY theme, period),
            expected AS (SELECT theme, count(*) AS sectors_expected FROM focal_point
                         WHERE ($s IS NULL OR sector = $s) GROUP BY theme),
            periods AS ({periods_sql})
            SELECT pr.period, h.code AS theme, h.name AS theme_name, h.track, t.name AS track_name,
                   t.supervising_body, t.position AS track_position,
                   coalesce({_UNRANK_SQL.format(col="a.c_rank")}, 'not_reported') AS computed_status,
                   coalesce({_UNRANK_SQL.format(col="a.s_rank")}, 'not_reported') AS self_status,
                   coalesce(a.sectors_reported, 0) AS sectors_reported,
                   coalesce(e.sectors_expected, 0) AS sectors_expected
            FROM theme h JOIN track t ON t.code = h.track
            CROSS JOIN periods pr
            LEFT JOIN agg a ON a.theme = h.code AND a.period = pr.period
            LEFT JOIN expected e ON e.theme = h.code
            WHERE h.state IN ('active', 'proposed') AND coalesce(e.sectors_expected, 0) > 0 AND {_FILTERS_SQL}"""


def theme_status(
    period: str,
    db: Db = None,
    version: int | None = None,
    track: str | None = None,
    sector: str | None = None,
    theme: str | None = None,
) -> pd.DataFrame:
    """One row per active theme: worst computed and worst self-assessed status across sectors."""
    df = _df_named(
        f"""SELECT * EXCLUDE (period) FROM ({_theme_status_sql("SELECT $p AS period")})
            ORDER BY track_position, theme_name""",
        {"v": _v(version, db), "p": period} | _filters(track, sector, theme),
        db,
    )
    return df


_STATUSES_SQL = """SELECT * FROM (VALUES ('completed', 0), ('on_track', 1), ('at_risk', 2), ('off_track', 3),
                   ('not_reported', 4)) s(status, pos)"""


def status_counts(
    period: str,
    db: Db = None,
    version: int | None = None,
    track: str | None = None,
    sector: str | None = None,
    theme: str | None = None,
) -> pd.DataFrame:
    """Number of themes per computed status (all five statuses, zeros included)."""
    df = _df_named(
        f"""WITH ts AS ({_theme_status_sql("SELECT $p AS period")})
            SELECT s.status, count(ts.theme) AS themes
            FROM ({_STATUSES_SQL}) s LEFT JOIN ts ON ts.computed_status = s.status
            GROUP BY s.status, s.pos ORDER BY s.pos""",
        {"v": _v(version, db), "p": period} | _filters(track, sector, theme),
        db,
    )
    df.insert(1, "label", [rule.LABELS[s] for s in df["status"]])
    df["themes"] = df["themes"].astype("int64")
    return df


def track_progress(
    period: str,
    db: Db = None,
    version: int | None = None,
    track: str | None = None,
    sector: str | None = None,
    theme: str | None = None,
) -> pd.DataFrame:
    """Themes per status in each track (every track and status, zeros included): progress per track."""
    return _df_named(
        f"""WITH ts AS ({_theme_status_sql("SELECT $p AS period")})
            SELECT t.code AS track, t.name AS track_name, t.supervising_body, s.status,
                   count(ts.theme) AS count
            FROM track t CROSS JOIN ({_STATUSES_SQL}) s
            LEFT JOIN ts ON ts.track = t.code AND ts.computed_status = s.status
            WHERE ($tr IS NULL OR t.code = $tr)
            GROUP BY t.code, t.name, t.supervising_body, t.position, s.status, s.pos
            ORDER BY t.position, s.pos""",
        {"v": _v(version, db), "p": period} | _filters(track, sector, theme),
        db,
    )


def track_trend(
    db: Db = None,
    version: int | None = None,
    track: str | None = None,
    sector: str | None = None,
    theme: str | None = None,
) -> pd.DataFrame:
    """Per period and track: themes, themes on track or completed, and their share (%)."""
    return _df_named(
        f"""WITH ts AS ({_theme_status_sql("SELECT DISTINCT period FROM live_uploads($v)")})
            SELECT period, track, track_name, count(*) AS themes,
                   count(*) FILTER (WHERE computed_status IN ('on_track', 'completed')) AS on_track,
                   round(100.0 * count(*) FILTER (WHERE computed_status IN ('on_track', 'completed'))
                         / count(*), 1) AS share
            FROM ts GROUP BY period, track, track_name, track_position
            ORDER BY period, track_position""",
        {"v": _v(version, db)} | _filters(track, sector, theme),
        db,
    )


def status_changes(
    period: str,
    db: Db = None,
    version: int | None = None,
    track: str | None = None,
    sector: str | None = None,
    theme: str | None = None,
) -> pd.DataFrame:
    """Themes whose computed status differs from the previous period, worse moves first."""
    from isc.periods import Period

    prev = str(Period.parse(period).previous())
    return _df_named(
        f"""WITH ts AS ({_theme_status_sql("SELECT unnest([$p, $q]) AS period")}),
            cur AS (SELECT * FROM ts WHERE period = $p), old AS (SELECT * FROM ts WHERE period = $q)
            SELECT cur.theme, cur.theme_name, cur.track_name, old.computed_status AS previous_status,
                   cur.computed_status AS status,
                   CASE WHEN cur.computed_status = 'not_reported' THEN 'not reported'
                        WHEN old.computed_status = 'not_reported' THEN 'reported again'
                        WHEN {_RANK_SQL.format(col="cur.computed_status")}
                             > {_RANK_SQL.format(col="old.computed_status")} THEN 'worse'
                        ELSE 'better' END AS change
            FROM cur JOIN old ON old.theme = cur.theme
            WHERE cur.computed_status <> old.computed_status
            ORDER BY CASE change WHEN 'worse' THEN 0 WHEN 'not reported' THEN 1 WHEN 'better' THEN 2 ELSE 3 END,
                     cur.track_position, cur.theme_name""",
        {"v": _v(version, db), "p": period, "q": prev} | _filters(track, sector, theme),
        db,
    )


def theme_sector_matrix(
    period: str,
    db: Db = None,
    version: int | None = None,
    track: str | None = None,
    sector: str | None = None,
    theme: str | None = None,
) -> pd.DataFrame:
    """Long form: theme, sector, computed status (not_reported where a report is missing)."""
    return report_status(period, db, version, track, sector, theme)[
        ["theme", "theme_name", "track", "sector", "computed_status", "self_status"]
    ]


def status_reasons(
    theme: str | None,
    period: str,
    db: Db = None,
    version: int | None = None,
    themes: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Why: the indicators and activities behind each sector's computed status.

    theme=None with `themes` gives the reasons of several themes at once (column `theme`)."""
    return _df_named(
        f"""WITH live AS ({_live_reports_sql()} WHERE r.period = $p AND ($t IS NULL OR r.theme = $t)
                          AND ($ts IS NULL OR list_contains($ts, r.theme)))
            SELECT l.sector, l.computed_status, l.self_status, s.kind, s.ref, s.label,
                   s.status, s.detail, l.theme
            FROM live l JOIN status_reason s ON s.upload_id = l.upload_id
            ORDER BY l.theme, l.sector, {_RANK_SQL.format(col="s.status")} DESC, s.kind, s.ref""",
        {"v": _v(version, db), "p": period, "t": theme, "ts": list(themes) if themes is not None else None},
        db,
    )


def status_history(theme: str, db: Db = None, version: int | None = None) -> pd.DataFrame:
    return _df_named(
        f"""SELECT period, sector, computed_status,
                   {_SELF_SQL.format(col="self_status")} AS self_status
            FROM ({_live_reports_sql()}) WHERE theme = $t ORDER BY period, sector""",
        {"v": _v(version, db), "t": theme},
        db,
    )


def indicator_history(theme: str, db: Db = None, version: int | None = None) -> pd.DataFrame:
    return _df_named(
        f"""SELECT l.period, l.period_end, l.sector, i.indicator_id, i.name, i.unit, i.baseline,
                   i.baseline_date, i.target, i.target_date, i.actual, i.status
            FROM ({_live_reports_sql()}) l JOIN indicator i ON i.upload_id = l.upload_id
            WHERE l.theme = $t ORDER BY i.name, l.sector, l.period""",
        {"v": _v(version, db), "t": theme},
        db,
    )


def activities(
    period: str, theme: str | None = None, db: Db = None, version: int | None = None
) -> pd.DataFrame:
    return _df_named(
        f"""SELECT l.theme, l.sector AS reported_by, a.activity_id, a.title, a.lead_sector,
                   a.partners, a.joint_with, a.status, a.start_date, a.end_date,
                   a.percent_complete, a.result
            FROM ({_live_reports_sql()}) l JOIN activity a ON a.upload_id = l.upload_id
            WHERE l.period = $p AND ($t IS NULL OR l.theme = $t)
            ORDER BY l.theme, a.lead_sector, a.activity_id""",
        {"v": _v(version, db), "p": period, "t": theme},
        db,
    )


def results(
    theme: str | None = None,
    period: str | None = None,
    db: Db = None,
    version: int | None = None,
    track: str | None = None,
    sector: str | None = None,
) -> pd.DataFrame:
    return _df_named(
        f"""SELECT l.theme, h.name AS theme_name, l.period, l.sector, x.title, x.description, x.date, x.link
            FROM ({_live_reports_sql()}) l JOIN result x ON x.upload_id = l.upload_id
            JOIN theme h ON h.code = l.theme
            WHERE ($t IS NULL OR l.theme = $t) AND ($p IS NULL OR l.period = $p)
              AND ($tr IS NULL OR h.track = $tr) AND ($s IS NULL OR l.sector = $s)
            ORDER BY l.period DESC, l.theme, l.sector, x.row_no""",
        {"v": _v(version, db), "t": theme, "p": period, "tr": track, "s": sector},
        db,
    )


def risks(
    theme: str | None = None, period: str | None = None, db: Db = None, version: int | None = None
) -> pd.DataFrame:
    return _df_named(
        f"""SELECT l.theme, l.period, l.sector, x.kind, x.description, x.severity, x.mitigation,
                   x.owner, x.due_date
            FROM ({_live_reports_sql()}) l JOIN risk x ON x.upload_id = l.upload_id
            WHERE ($t IS NULL OR l.theme = $t) AND ($p IS NULL OR l.period = $p)
            ORDER BY l.period DESC, l.theme""",
        {"v": _v(version, db), "t": theme, "p": period},
        db,
    )


def theme_detail(theme: str, db: Db = None) -> dict:
    """Reference facts for one theme: track, supervising body, focal points, resolutions."""
    with connection.read(db) as con:
        info = con.execute(
            """SELECT h.code, h.name, h.state, h.track_assignment, t.name, t.supervising_body, b.name
               FROM theme h JOIN track t ON t.code = h.track LEFT JOIN body b ON b.code = t.supervising_body
               WHERE h.code = ?""",
            [theme],
        ).fetchone()
        focal = con.execute(
            "SELECT sector, focal_point, email FROM focal_point WHERE theme = ? ORDER BY sector", [theme]
        ).df()
        res = con.execute(
            """SELECT r.code, r.title, tr.confirmed FROM theme_resolution tr
               JOIN resolution r ON r.code = tr.resolution WHERE tr.theme = ? ORDER BY r.kind, r.number""",
            [theme],
        ).df()
    if info is None:
        raise LookupError(f"unknown theme {theme!r}")
    keys = ("code", "name", "state", "track_assignment", "track_name", "supervising_body", "body_name")
    return dict(zip(keys, info, strict=True)) | {"focal_points": focal, "resolutions": res}


def overdue_reports(
    period: str,
    today: dt.date,
    grace_days: int = 15,
    db: Db = None,
    version: int | None = None,
    track: str | None = None,
    sector: str | None = None,
    theme: str | None = None,
) -> pd.DataFrame:
    """Expected reports for the period with no live report, once its due date has passed."""
    from isc.periods import Period

    due = Period.parse(period).due_date(grace_days)
    df = report_status(period, db, version, track, sector, theme)
    df = df[df["computed_status"] == rule.NOT_REPORTED].copy()
    df["due_date"] = due
    df["days_overdue"] = max(0, (today - due).days)
    return df[df["days_overdue"] > 0][
        ["theme", "theme_name", "sector", "focal_point", "email", "due_date", "days_overdue"]
    ]


# --- sectors -----------------------------------------------------------------------------------

# One row per distinct activity of the period (theme, activity id): an activity appears in the
# report of its lead sector and often in its partners' reports too; the lead's row wins.
_ACTIVITIES_SQL = f"""SELECT l.theme, h.track, a.activity_id, a.title, a.lead_sector,
           coalesce(a.partners, []) AS partners, coalesce(a.joint_with, []) AS joint_with, a.status
    FROM ({_live_reports_sql()}) l JOIN activity a ON a.upload_id = l.upload_id
    JOIN theme h ON h.code = l.theme
    WHERE l.period = $p AND {_FILTERS_SQL}
    QUALIFY row_number() OVER (PARTITION BY l.theme, a.activity_id
                               ORDER BY (l.sector = a.lead_sector) DESC, l.sector) = 1"""


def sector_participation(
    period: str,
    db: Db = None,
    version: int | None = None,
    track: str | None = None,
    sector: str | None = None,
    theme: str | None = None,
) -> pd.DataFrame:
    """Distinct activities per sector and role (led, joint, partnered), every combination listed."""
    return _df_named(
        f"""WITH acts AS ({_ACTIVITIES_SQL}),
            roles AS (
              SELECT lead_sector AS sector, 'led' AS role, theme, activity_id FROM acts
              UNION ALL SELECT unnest(joint_with), 'joint', theme, activity_id FROM acts
              UNION ALL SELECT unnest(partners), 'partnered', theme, activity_id FROM acts),
            role_list AS (SELECT * FROM (VALUES ('led', 0), ('joint', 1), ('partnered', 2)) r(role, pos))
            SELECT s.code AS sector, rl.role, count(DISTINCT (r.theme, r.activity_id)) AS activities
            FROM sector s CROSS JOIN role_list rl
            LEFT JOIN roles r ON r.sector = s.code AND r.role = rl.role
            WHERE ($s IS NULL OR s.code = $s)
            GROUP BY s.code, s.position, rl.role, rl.pos ORDER BY s.position, rl.pos""",
        {"v": _v(version, db), "p": period} | _filters(track, sector, theme),
        db,
    )


def sector_matrix(
    period: str, db: Db = None, version: int | None = None, track: str | None = None, theme: str | None = None
) -> pd.DataFrame:
    """Sector x sector: distinct activities in which both take part (lead, partner or joint)."""
    return _df_named(
        f"""WITH acts AS ({_ACTIVITIES_SQL}),
            parts AS (SELECT DISTINCT theme, activity_id,
                             unnest(list_concat([lead_sector], partners, joint_with)) AS sector FROM acts),
            pairs AS (SELECT a.sector AS sector_a, b.sector AS sector_b, count(*) AS activities
                      FROM parts a JOIN parts b ON a.theme = b.theme AND a.activity_id = b.activity_id
                      WHERE a.sector <> b.sector GROUP BY ALL)
            SELECT x.code AS sector_a, y.code AS sector_b, coalesce(p.activities, 0) AS activities
            FROM sector x CROSS JOIN sector y
            LEFT JOIN pairs p ON p.sector_a = x.code AND p.sector_b = y.code
            ORDER BY x.position, y.position""",
        {"v": _v(version, db), "p": period} | _filters(track, None, theme),
        db,
    )


def sector_status_mix(
    period: str,
    db: Db = None,
    version: int | None = None,
    track: str | None = None,
    sector: str | None = None,
    theme: str | None = None,
) -> pd.DataFrame:
    """Per sector: its expected reports of the period by computed status (zeros included)."""
    return _df_named(
        f"""WITH live AS ({_live_reports_sql()} WHERE r.period = $p),
            rs AS (SELECT f.sector, coalesce(l.computed_status, 'not_reported') AS status
                   FROM focal_point f JOIN theme h ON h.code = f.theme
                   LEFT JOIN live l ON l.theme = f.theme AND l.sector = f.sector
                   WHERE h.state IN ('active', 'proposed') AND {_FILTERS_SQL})
            SELECT s.code AS sector, st.status, count(rs.sector) AS count
            FROM sector s CROSS JOIN ({_STATUSES_SQL}) st
            LEFT JOIN rs ON rs.sector = s.code AND rs.status = st.status
            WHERE ($s IS NULL OR s.code = $s)
            GROUP BY s.code, s.position, st.status, st.pos ORDER BY s.position, st.pos""",
        {"v": _v(version, db), "p": period} | _filters(track, sector, theme),
        db,
    )


def sector_summary(
    period: str, db: Db = None, version: int | None = None, track: str | None = None, theme: str | None = None
) -> pd.DataFrame:
    """One row per sector: themes it takes part in, reports due and received, activities by role."""
    return _df_named(
        f"""WITH live AS ({_live_reports_sql()} WHERE r.period = $p),
            fp AS (SELECT f.sector, f.theme, l.upload_id FROM focal_point f JOIN theme h ON h.code = f.theme
                   LEFT JOIN live l ON l.theme = f.theme AND l.sector = f.sector
                   WHERE h.state IN ('active', 'proposed') AND {_FILTERS_SQL}),
            acts AS ({_ACTIVITIES_SQL}),
            roles AS (
              SELECT lead_sector AS sector, 'led' AS role FROM acts
              UNION ALL SELECT unnest(joint_with), 'joint' FROM acts
              UNION ALL SELECT unnest(partners), 'partnered' FROM acts)
            SELECT s.code AS sector, s.name,
                   (SELECT count(DISTINCT theme) FROM fp WHERE fp.sector = s.code) AS themes,
                   (SELECT count(upload_id) FROM fp WHERE fp.sector = s.code) AS reports_received,
                   (SELECT count(*) FILTER (WHERE role = 'led') FROM roles WHERE roles.sector = s.code) AS led,
                   (SELECT count(*) FILTER (WHERE role = 'joint') FROM roles WHERE roles.sector = s.code)
                     AS joint,
                   (SELECT count(*) FILTER (WHERE role = 'partnered') FROM roles WHERE roles.sector = s.code)
                     AS partnered
            FROM sector s ORDER BY s.position""",
        {"v": _v(version, db), "p": period} | _filters(track, None, theme),
        db,
    )


# --- resolutions -------------------------------------------------------------------------------


def resolution_coverage(
    period: str, db: Db = None, version: int | None = None, track: str | None = None, theme: str | None = None
) -> pd.DataFrame:
    """The PP-22 resolutions: which themes cover each, coverage in the period, the mutual-interest rule.

    coverage: 'reported' (a covering theme has at least one live report in the period), 'no report'
    (covered, but no covering theme reported), 'no theme' (no active theme covers it; with a track
    or theme filter, no theme of that selection). Rule of seed 003: an area of mutual interest is a
    PP resolution that calls for inter-sectoral coordination, and/or a PP resolution plus a
    resolution of at least one Sector on the same theme (resolution_link); `reason` says which."""
    return _df_named(
        f"""WITH th AS (SELECT h.code, h.name FROM theme h
                        WHERE h.state IN ('active', 'proposed') AND {_FILTERS_SQL}),
            reported AS (SELECT DISTINCT theme FROM live_uploads($v) WHERE period = $p),
            cover AS (SELECT tr.resolution, string_agg(th.code, ', ' ORDER BY th.code) AS themes,
                             string_agg(th.name, '; ' ORDER BY th.code) AS theme_names,
                             count(*) AS n_themes,
                             count(rp.theme) AS n_reported
                      FROM theme_resolution tr JOIN th ON th.code = tr.theme
                      LEFT JOIN reported rp ON rp.theme = th.code
                      GROUP BY tr.resolution),
            links AS (SELECT pp_resolution, string_agg(sector_resolution, ', ' ORDER BY sector_resolution)
                               AS sector_resolutions, count(*) AS n_links
                      FROM resolution_link GROUP BY pp_resolution)
            SELECT r.code, r.title, r.kind, r.number, coalesce(r.calls_for_isc, false) AS calls_for_isc,
                   coalesce(c.n_themes, 0) AS n_themes, c.themes, c.theme_names,
                   coalesce(c.n_reported, 0) AS themes_reported,
                   CASE WHEN coalesce(c.n_themes, 0) = 0 THEN 'no theme'
                        WHEN c.n_reported = 0 THEN 'no report' ELSE 'reported' END AS coverage,
                   l.sector_resolutions,
                   (coalesce(r.calls_for_isc, false) OR coalesce(l.n_links, 0) > 0) AS mutual_interest,
                   CASE WHEN r.calls_for_isc AND l.n_links > 0
                          THEN 'calls for inter-sectoral coordination, and Sector resolution(s) '
                               || l.sector_resolutions || ' on the same theme'
                        WHEN r.calls_for_isc THEN 'calls for inter-sectoral coordination (Annex 1)'
                        WHEN l.n_links > 0 THEN 'PP resolution plus Sector resolution(s) ' || l.sector_resolutions
                        ELSE 'neither rule applies' END AS reason
            FROM resolution r LEFT JOIN cover c ON c.resolution = r.code
            LEFT JOIN links l ON l.pp_resolution = r.code
            ORDER BY CASE r.kind WHEN 'Decision' THEN 0 ELSE 1 END, r.number""",
        {"v": _v(version, db), "p": period} | _filters(track, None, theme),
        db,
    )


def localised_names(lang: str, db: Db = None) -> pd.DataFrame:
    """Display text of sectors, bodies, tracks and themes in a language (the reference data's
    name_<lang> and review_<lang> columns): tbl, code, field ('name' or 'review'), name_en (the
    English `name`) and text. Empty when the reference data has no column for that language."""
    return _df(
        """SELECT n.tbl, n.code, n.field, coalesce(s.name, b.name, t.name, h.name) AS name_en, n.text
           FROM ref_text n
           LEFT JOIN sector s ON n.tbl = 'sector' AND s.code = n.code
           LEFT JOIN body b ON n.tbl = 'body' AND b.code = n.code
           LEFT JOIN track t ON n.tbl = 'track' AND t.code = n.code
           LEFT JOIN theme h ON n.tbl = 'theme' AND h.code = n.code
           WHERE n.lang = ?""",
        [lang],
        db=db,
    )


def data_versions(db: Db = None) -> pd.DataFrame:
    """Every data version, newest first: when it was made and by which load or undo.

    An export names its data version; listing them lets a user rebuild an old export exactly."""
    return _df(
        """SELECT e.seq AS version, e.happened_at, e.action, e.upload_id, e.actor,
                  u.theme, u.period, u.sector, u.file_name
           FROM event e LEFT JOIN upload u ON u.id = e.upload_id
           ORDER BY e.seq DESC""",
        db=db,
    )
