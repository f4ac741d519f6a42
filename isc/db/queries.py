"""Read queries for the pages and exports. Aggregation happens here, in DuckDB.

Every function takes `db` (path; default $ISC_DB or data/isc.duckdb) and most take `version`
(a data version; None = latest) so a figure can be rebuilt exactly as it was. The filtered ones
take the shared filters as one isc.filters.Filters (period, track, Sector, theme). Functions return
pandas DataFrames (or plain values) and never cache; the pages cache them, keyed by the file
fingerprint, so new data shows on the next rerun.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pandas as pd

from isc import periods as P
from isc import status as rule
from isc.db import connection, rule_sql
from isc.filters import Filters
from isc.settings import GRACE_DAYS

Db = str | os.PathLike | None

def _df(sql: str, params: list | None = None, db: Db = None) -> pd.DataFrame:
    sql, params = _latest_inline(sql, params or [])
    with connection.read(db) as con:
        return con.execute(sql, params).df()


def _value(sql: str, params: list | None = None, db: Db = None):
    sql, params = _latest_inline(sql, params or [])
    with connection.read(db) as con:
        row = con.execute(sql, params).fetchone()
    return row[0] if row else None


def data_version(db: Db = None) -> int:
    return _value(_LATEST_SQL, db=db)


class _Latest:
    """The data version of a query called without one: the latest, which the query's own
    statement reads (_latest_inline), so it costs no read of its own and is the version of the
    very snapshot the query reads."""

    def __repr__(self) -> str:
        return "LATEST"


_LATEST = _Latest()
_LATEST_SQL = "SELECT coalesce(max(seq), 0) FROM event"


def _v(version: int | None, db: Db) -> int | _Latest:
    return _LATEST if version is None else int(version)


def _latest_inline(sql: str, params: list | dict) -> tuple[str, list | dict]:
    """`sql` and `params` with a _LATEST parameter replaced by the subquery that reads it."""
    sub = f"({_LATEST_SQL})"
    if isinstance(params, dict):
        if params.get("v") is not _LATEST:
            return sql, params
        return re.sub(r"\$v\b", sub, sql), {k: v for k, v in params.items() if k != "v"}
    if not any(x is _LATEST for x in params):
        return sql, params
    parts = sql.split("?")  # positional parameters: none of these statements has "?" in a literal
    out, kept = [parts[0]], []
    for value, after in zip(params, parts[1:], strict=True):
        out.append((sub if value is _LATEST else "?") + after)
        if value is not _LATEST:
            kept.append(value)
    return "".join(out), kept


def summary(db: Db = None) -> dict:
    """Counts shown on the home page, and what version of the data they describe."""
    with connection.read(db) as con:
        v = con.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()[0]
        row = con.execute(
            """SELECT
                 (SELECT count(DISTINCT h.code) FROM theme h JOIN focal_point f ON f.theme = h.code
                  WHERE h.state IN ('active', 'proposed')),
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


def live_periods(db: Db = None, version: int | None = None) -> list[str]:
    """Quarters with at least one live report at `version` (an undone upload leaves none)."""
    df = _df("SELECT DISTINCT period FROM live_uploads(?) ORDER BY period", [_v(version, db)], db=db)
    return df["period"].tolist()


def periods(today: dt.date | None = None, db: Db = None, version: int | None = None) -> list[str]:
    """The quarters a user can choose, oldest first (rule: isc.periods.available): those up to
    the last that has ended, from the first live report on, and later ones with a live report."""
    return P.available(live_periods(db, version), today)


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


def _params(f: Filters, db: Db, version: int | None, **extra) -> dict:
    """The SQL parameters of a filtered query: the data version ($v), the filters ($p, $tr, $s,
    $th: Filters.sql_params) and any of its own."""
    return {"v": _v(version, db)} | f.sql_params() | extra


def _owed_sql(periods_sql: str) -> str:
    """CTEs `periods` (from periods_sql, column period), `owed` (one row per report owed: a focal
    point assignment of a current theme, both valid in the period) and `cells` (owed with the live
    report's status, NULL where it is missing). Parameters: $v, $s and whatever periods_sql uses."""
    return f"""periods AS ({periods_sql}),
            owed AS (
              SELECT pr.period, f.theme, f.sector, f.focal_point, f.email
              FROM periods pr CROSS JOIN focal_point f JOIN theme h ON h.code = f.theme
              WHERE h.state IN ('active', 'proposed') AND {P.sql_valid("f", "pr.period")}
                AND {P.sql_valid("h", "pr.period")} AND ($s IS NULL OR f.sector = $s)),
            live AS (
              SELECT r.theme, r.period, r.sector, r.computed_status, r.self_status, r.upload_id, u.uploaded_at
              FROM live_uploads($v) u JOIN report r ON r.upload_id = u.id),
            cells AS (
              SELECT o.*, l.computed_status AS c_status, {rule_sql.sql_self_assessed("l.self_status")} AS s_status,
                     l.upload_id, l.uploaded_at
              FROM owed o LEFT JOIN live l ON l.theme = o.theme AND l.period = o.period AND l.sector = o.sector)"""


def report_status(f: Filters, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """One row per report owed for the period (theme x Sector): computed and self status,
    'not_reported' where it is missing."""
    return _df_named(
        f"""WITH {_owed_sql("SELECT $p AS period")}
            SELECT c.theme, h.name AS theme_name, h.track, c.sector, c.focal_point, c.email,
                   coalesce(c.c_status, '{rule.NOT_REPORTED}') AS computed_status,
                   coalesce(c.s_status, '{rule.NOT_REPORTED}') AS self_status,
                   c.upload_id, c.uploaded_at
            FROM cells c
            JOIN theme h ON h.code = c.theme
            JOIN track t ON t.code = h.track
            LEFT JOIN sector s ON s.code = c.sector
            WHERE {_FILTERS_SQL}
            ORDER BY t.position, h.name, s.position""",
        _params(f, db, version),
        db,
    )


def _df_named(sql: str, params: dict, db: Db) -> pd.DataFrame:
    sql, params = _latest_inline(sql, params)
    used = set(re.findall(r"\$(\w+)", sql))
    with connection.read(db) as con:
        return con.execute(sql, {k: v for k, v in params.items() if k in used}).df()


def _theme_status_sql(periods_sql: str) -> str:
    """Theme status per (theme, period) for the periods that `periods_sql` selects (column period):
    the roll-up of isc.status over the reports owed. With a sector filter ($s), that Sector's
    report only. Parameters: $v, $tr, $s, $th and whatever periods_sql uses."""
    return f"""WITH {_owed_sql(periods_sql)},
            agg AS (
              SELECT theme, period,
                     {rule_sql.sql_theme_status("c_status", "count(*)")} AS computed_status,
                     {rule_sql.sql_theme_status("s_status", "count(*)")} AS self_status,
                     count(c_status) AS sectors_reported, count(*) AS sectors_expected,
                     coalesce(list(sector ORDER BY sector) FILTER (WHERE c_status IS NOT NULL), [])
                       AS sectors_in,
                     coalesce(list(sector ORDER BY sector) FILTER (WHERE c_status IS NULL), [])
                       AS sectors_missing
              FROM cells GROUP BY theme, period)
            SELECT a.period, h.code AS theme, h.name AS theme_name, h.track, t.name AS track_name,
                   t.supervising_body, t.position AS track_position, a.computed_status, a.self_status,
                   a.sectors_reported, a.sectors_expected, a.sectors_in, a.sectors_missing
            FROM agg a JOIN theme h ON h.code = a.theme JOIN track t ON t.code = h.track
            WHERE {_FILTERS_SQL}"""


def theme_status(f: Filters, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """One row per active theme: worst computed and worst self-assessed status across sectors."""
    df = _df_named(
        f"""SELECT * EXCLUDE (period) FROM ({_theme_status_sql("SELECT $p AS period")})
            ORDER BY track_position, theme_name""",
        _params(f, db, version),
        db,
    )
    return df


_STATUSES_SQL = rule_sql.sql_statuses()


def status_counts(f: Filters, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """Number of themes per computed status (all five statuses, zeros included)."""
    df = _df_named(
        f"""WITH ts AS ({_theme_status_sql("SELECT $p AS period")})
            SELECT s.status, count(ts.theme) AS themes
            FROM ({_STATUSES_SQL}) s LEFT JOIN ts ON ts.computed_status = s.status
            GROUP BY s.status, s.pos ORDER BY s.pos""",
        _params(f, db, version),
        db,
    )
    df.insert(1, "label", [rule.LABELS[s] for s in df["status"]])
    df["themes"] = df["themes"].astype("int64")
    return df


def track_progress(f: Filters, db: Db = None, version: int | None = None) -> pd.DataFrame:
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
        _params(f, db, version),
        db,
    )


def track_trend(
    f: Filters | None = None, db: Db = None, version: int | None = None, today: dt.date | None = None
) -> pd.DataFrame:
    """Per period and track: themes, themes on track or completed, and their share (%).

    Periods: the quarters that have ended (isc.periods.available, without a quarter still under
    way, whose few early reports would read as a fall); f.period is not used."""
    f = f or Filters()
    ended = P.latest_ended(today)
    chosen = [p for p in periods(today, db, version) if P.Period.parse(p) <= ended]
    return _df_named(
        f"""WITH ts AS ({_theme_status_sql("SELECT unnest($ps::VARCHAR[]) AS period")})
            SELECT period, track, track_name, count(*) AS themes,
                   count(*) FILTER (WHERE computed_status IN ('on_track', 'completed')) AS on_track,
                   round(100.0 * count(*) FILTER (WHERE computed_status IN ('on_track', 'completed'))
                         / count(*), 1) AS share
            FROM ts GROUP BY period, track, track_name, track_position
            ORDER BY period, track_position""",
        _params(f, db, version, ps=chosen),
        db,
    )


def status_changes(f: Filters, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """Themes whose computed status differs from the previous period, worse moves first.

    `change` is isc.status.change: a lighter status while a Sector that reported last time is silent
    now is "no report this time", never "better"; `silent` lists those Sectors."""
    period = f.period
    prev = str(P.Period.parse(period).previous())
    both = _df_named(
        f"""SELECT * FROM ({_theme_status_sql("SELECT unnest([$p, $q]) AS period")})""",
        _params(f, db, version, q=prev),
        db,
    )
    cur = both[both["period"] == period].set_index("theme")
    old = both[both["period"] == prev].set_index("theme")
    rows = []
    for code, r in cur.iterrows():
        if code not in old.index:
            continue
        o = old.loc[code]
        silent = [x for x in o["sectors_in"] if x not in set(r["sectors_in"])]
        how = rule.change(o["computed_status"], r["computed_status"], bool(silent))
        if how is None:
            continue
        rows.append({"theme": code, "theme_name": r["theme_name"], "track_name": r["track_name"],
                     "previous_status": o["computed_status"], "status": r["computed_status"], "change": how,
                     "silent": silent, "sectors_reported": r["sectors_reported"],
                     "sectors_expected": r["sectors_expected"], "_track": r["track_position"]})
    cols = ["theme", "theme_name", "track_name", "previous_status", "status", "change", "silent",
            "sectors_reported", "sectors_expected"]
    if not rows:
        return pd.DataFrame(columns=cols)
    order = {c: i for i, c in enumerate(rule.CHANGES)}
    df = pd.DataFrame(rows)
    df["_order"] = df["change"].map(order)
    return df.sort_values(["_order", "_track", "theme_name"], kind="stable")[cols].reset_index(drop=True)


def status_deltas(f: Filters, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """status_counts with the comparable count of the previous period (`previous`): a theme that
    looks lighter only because a Sector fell silent ("no report this time") is counted under its
    current status in both, so no headline delta reads silence as progress. `silent` is how many
    such themes there are (the same on every row)."""
    now = status_counts(f, db, version)
    before = status_counts(f.but(period=str(P.Period.parse(f.period).previous())), db, version)
    before = before.set_index("status")["themes"].copy()
    changes = status_changes(f, db, version)
    silent = changes[changes["change"] == "no report this time"]
    for r in silent.itertuples():
        before[r.previous_status] -= 1
        before[r.status] += 1
    return now.assign(previous=now["status"].map(before).astype("int64"), silent=len(silent))


def theme_sector_matrix(f: Filters, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """Long form: theme, sector, computed status (not_reported where a report is missing)."""
    return report_status(f, db, version)[
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

    The "why" is `detail_key` + `detail_params` (JSON text) and the rule's own labels have a
    `label_key`: isc.status.detail_text / label_text render them in a language.
    theme=None with `themes` gives the reasons of several themes at once (column `theme`)."""
    return _df_named(
        f"""WITH live AS ({_live_reports_sql()} WHERE r.period = $p AND ($t IS NULL OR r.theme = $t)
                          AND ($ts IS NULL OR list_contains($ts, r.theme)))
            SELECT l.sector, l.computed_status, l.self_status, s.kind, s.ref, s.label,
                   s.status, s.detail_key, s.detail_params::VARCHAR AS detail_params, s.label_key, l.theme
            FROM live l JOIN status_reason s ON s.upload_id = l.upload_id
            ORDER BY l.theme, l.sector, {rule_sql.sql_rank("s.status")} DESC, s.kind, s.ref""",
        {"v": _v(version, db), "p": period, "t": theme, "ts": list(themes) if themes is not None else None},
        db,
    )


def status_history(theme: str, db: Db = None, version: int | None = None) -> pd.DataFrame:
    return _df_named(
        f"""SELECT period, sector, computed_status,
                   {rule_sql.sql_self_assessed("self_status")} AS self_status
            FROM ({_live_reports_sql()}) WHERE theme = $t ORDER BY period, sector""",
        {"v": _v(version, db), "t": theme},
        db,
    )


def indicator_history(theme: str, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """Every Sector's value of each indicator of a theme, per period, with how the indicator
    combines across Sectors (`combine`: the row's own choice, else its unit's default; see
    isc.indicators) and the unit's bound."""
    return _df_named(
        f"""SELECT l.period, l.period_end, l.sector, i.indicator_id, i.name, i.unit, i.baseline,
                   i.baseline_date, i.target, i.target_date, i.actual, i.status,
                   coalesce(i.combine, u.combine, 'per_sector') AS combine, u.bound
            FROM ({_live_reports_sql()}) l JOIN indicator i ON i.upload_id = l.upload_id
            LEFT JOIN unit u ON u.code = i.unit
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


def results(f: Filters, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """Results reported, newest period first: of one period or all (f.period None), filtered by
    theme, track and Sector."""
    return _df_named(
        f"""SELECT l.theme, h.name AS theme_name, l.period, l.sector, x.title, x.description, x.date, x.link
            FROM ({_live_reports_sql()}) l JOIN result x ON x.upload_id = l.upload_id
            JOIN theme h ON h.code = l.theme
            WHERE ($th IS NULL OR l.theme = $th) AND ($p IS NULL OR l.period = $p)
              AND ($tr IS NULL OR h.track = $tr) AND ($s IS NULL OR l.sector = $s)
            ORDER BY l.period DESC, l.theme, l.sector, x.row_no""",
        _params(f, db, version),
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
    f: Filters, today: dt.date, grace_days: int = GRACE_DAYS, db: Db = None, version: int | None = None
) -> pd.DataFrame:
    """Expected reports for the period with no live report, once its due date has passed."""
    due = P.Period.parse(f.period).due_date(grace_days)
    df = report_status(f, db, version)
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


def sector_participation(f: Filters, db: Db = None, version: int | None = None) -> pd.DataFrame:
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
        _params(f, db, version),
        db,
    )


def sector_matrix(f: Filters, db: Db = None, version: int | None = None) -> pd.DataFrame:
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
        _params(f.but(sector=None), db, version),
        db,
    )


def sector_status_mix(f: Filters, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """Per sector: its expected reports of the period by computed status (zeros included)."""
    return _df_named(
        f"""WITH {_owed_sql("SELECT $p AS period")},
            rs AS (SELECT c.sector, coalesce(c.c_status, '{rule.NOT_REPORTED}') AS status
                   FROM cells c JOIN theme h ON h.code = c.theme WHERE {_FILTERS_SQL})
            SELECT s.code AS sector, st.status, count(rs.sector) AS count
            FROM sector s CROSS JOIN ({_STATUSES_SQL}) st
            LEFT JOIN rs ON rs.sector = s.code AND rs.status = st.status
            WHERE ($s IS NULL OR s.code = $s)
            GROUP BY s.code, s.position, st.status, st.pos ORDER BY s.position, st.pos""",
        _params(f, db, version),
        db,
    )


def sector_summary(f: Filters, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """One row per sector: themes it owes a report on in the period (reports_owed) and how many
    came in (reports_received), activities by role."""
    return _df_named(
        f"""WITH {_owed_sql("SELECT $p AS period")},
            fp AS (SELECT c.sector, c.theme, c.upload_id FROM cells c JOIN theme h ON h.code = c.theme
                   WHERE {_FILTERS_SQL}),
            acts AS ({_ACTIVITIES_SQL}),
            roles AS (
              SELECT lead_sector AS sector, 'led' AS role FROM acts
              UNION ALL SELECT unnest(joint_with), 'joint' FROM acts
              UNION ALL SELECT unnest(partners), 'partnered' FROM acts)
            SELECT s.code AS sector, s.name,
                   (SELECT count(DISTINCT theme) FROM fp WHERE fp.sector = s.code) AS themes,
                   (SELECT count(*) FROM fp WHERE fp.sector = s.code) AS reports_owed,
                   (SELECT count(upload_id) FROM fp WHERE fp.sector = s.code) AS reports_received,
                   (SELECT count(*) FILTER (WHERE role = 'led') FROM roles WHERE roles.sector = s.code) AS led,
                   (SELECT count(*) FILTER (WHERE role = 'joint') FROM roles WHERE roles.sector = s.code)
                     AS joint,
                   (SELECT count(*) FILTER (WHERE role = 'partnered') FROM roles WHERE roles.sector = s.code)
                     AS partnered
            FROM sector s ORDER BY s.position""",
        _params(f.but(sector=None), db, version),
        db,
    )


# --- resolutions -------------------------------------------------------------------------------


def resolution_coverage(f: Filters, db: Db = None, version: int | None = None) -> pd.DataFrame:
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
        _params(f.but(sector=None), db, version),
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
