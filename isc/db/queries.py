"""Read queries for the pages and exports. Aggregation happens here, in DuckDB.

Every function takes `db` (path; default $ISC_DB or data/isc.duckdb) and most take `version`
(a data version; None = latest) so a figure can be rebuilt exactly as it was. Functions return
pandas DataFrames (or plain values) and never cache; the pages cache them, keyed by the file
fingerprint, so new data shows on the next rerun.
"""

from __future__ import annotations

import datetime as dt
import os

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


def report_status(period: str, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """One row per expected (theme, sector) for the period: computed and self status."""
    return _df_named(
        f"""WITH live AS ({_live_reports_sql()})
            SELECT f.theme, h.name AS theme_name, h.track, f.sector, f.focal_point, f.email,
                   coalesce(l.computed_status, 'not_reported') AS computed_status,
                   coalesce({_SELF_SQL.format(col='l.self_status')}, 'not_reported') AS self_status,
                   l.upload_id, l.uploaded_at
            FROM focal_point f
            JOIN theme h ON h.code = f.theme
            LEFT JOIN live l ON l.theme = f.theme AND l.sector = f.sector AND l.period = $p
            WHERE h.state IN ('active', 'proposed')
            ORDER BY f.theme, f.sector""",
        {"v": _v(version, db), "p": period},
        db,
    )


def _df_named(sql: str, params: dict, db: Db) -> pd.DataFrame:
    with connection.read(db) as con:
        return con.execute(sql, params).df()


def theme_status(period: str, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """One row per active theme: worst computed and worst self-assessed status across sectors."""
    return _df_named(
        f"""WITH live AS ({_live_reports_sql()} WHERE r.period = $p),
            agg AS (
              SELECT theme,
                     max({_RANK_SQL.format(col='computed_status')}) AS c_rank,
                     max({_RANK_SQL.format(col=_SELF_SQL.format(col='self_status'))}) AS s_rank,
                     count(*) AS sectors_reported
              FROM live GROUP BY theme),
            expected AS (SELECT theme, count(*) AS sectors_expected FROM focal_point GROUP BY theme)
            SELECT h.code AS theme, h.name AS theme_name, h.track, t.name AS track_name,
                   t.supervising_body, t.position AS track_position,
                   coalesce({_UNRANK_SQL.format(col='a.c_rank')}, 'not_reported') AS computed_status,
                   coalesce({_UNRANK_SQL.format(col='a.s_rank')}, 'not_reported') AS self_status,
                   coalesce(a.sectors_reported, 0) AS sectors_reported,
                   coalesce(e.sectors_expected, 0) AS sectors_expected
            FROM theme h JOIN track t ON t.code = h.track
            LEFT JOIN agg a ON a.theme = h.code
            LEFT JOIN expected e ON e.theme = h.code
            WHERE h.state IN ('active', 'proposed') AND coalesce(e.sectors_expected, 0) > 0
            ORDER BY t.position, h.name""",
        {"v": _v(version, db), "p": period},
        db,
    )


def status_counts(period: str, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """Number of themes per computed status (all five statuses, zeros included)."""
    ts = theme_status(period, db, version)
    order = [rule.COMPLETED, rule.ON_TRACK, rule.AT_RISK, rule.OFF_TRACK, rule.NOT_REPORTED]
    counts = ts["computed_status"].value_counts().reindex(order, fill_value=0)
    return pd.DataFrame({"status": order, "label": [rule.LABELS[s] for s in order],
                         "themes": counts.to_numpy()})


def theme_sector_matrix(period: str, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """Long form: theme, sector, computed status (not_reported where a report is missing)."""
    return report_status(period, db, version)[["theme", "theme_name", "track", "sector", "computed_status",
                                               "self_status"]]


def status_reasons(theme: str, period: str, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """Why: the indicators and activities behind each sector's computed status."""
    return _df_named(
        f"""WITH live AS ({_live_reports_sql()} WHERE r.period = $p AND r.theme = $t)
            SELECT l.sector, l.computed_status, l.self_status, s.kind, s.ref, s.label,
                   s.status, s.detail
            FROM live l JOIN status_reason s ON s.upload_id = l.upload_id
            ORDER BY l.sector, {_RANK_SQL.format(col='s.status')} DESC, s.kind, s.ref""",
        {"v": _v(version, db), "p": period, "t": theme},
        db,
    )


def status_history(theme: str, db: Db = None, version: int | None = None) -> pd.DataFrame:
    return _df_named(
        f"""SELECT period, sector, computed_status,
                   {_SELF_SQL.format(col='self_status')} AS self_status
            FROM ({_live_reports_sql()}) WHERE theme = $t ORDER BY period, sector""",
        {"v": _v(version, db), "t": theme},
        db,
    )


def indicator_history(theme: str, db: Db = None, version: int | None = None) -> pd.DataFrame:
    return _df_named(
        f"""SELECT l.period, l.period_end, l.sector, i.indicator_id, i.name, i.unit, i.baseline,
                   i.target, i.target_date, i.actual, i.status
            FROM ({_live_reports_sql()}) l JOIN indicator i ON i.upload_id = l.upload_id
            WHERE l.theme = $t ORDER BY i.name, l.sector, l.period""",
        {"v": _v(version, db), "t": theme},
        db,
    )


def activities(period: str, theme: str | None = None, db: Db = None,
               version: int | None = None) -> pd.DataFrame:
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


def results(theme: str | None = None, period: str | None = None, db: Db = None,
            version: int | None = None) -> pd.DataFrame:
    return _df_named(
        f"""SELECT l.theme, l.period, l.sector, x.title, x.description, x.date, x.link
            FROM ({_live_reports_sql()}) l JOIN result x ON x.upload_id = l.upload_id
            WHERE ($t IS NULL OR l.theme = $t) AND ($p IS NULL OR l.period = $p)
            ORDER BY l.period DESC, l.theme""",
        {"v": _v(version, db), "t": theme, "p": period},
        db,
    )


def risks(theme: str | None = None, period: str | None = None, db: Db = None,
          version: int | None = None) -> pd.DataFrame:
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


def overdue_reports(period: str, today: dt.date, grace_days: int = 15, db: Db = None,
                    version: int | None = None) -> pd.DataFrame:
    """Expected reports for the period with no live report, once its due date has passed."""
    from isc.periods import Period

    due = Period.parse(period).due_date(grace_days)
    df = report_status(period, db, version)
    df = df[df["computed_status"] == rule.NOT_REPORTED].copy()
    df["due_date"] = due
    df["days_overdue"] = max(0, (today - due).days)
    return df[df["days_overdue"] > 0][["theme", "theme_name", "sector", "focal_point", "email", "due_date",
                                       "days_overdue"]]
