"""SQL for coordination: meetings (attendance, notes, actions and their history), reminders sent to
focal points, overlap reviews and completeness inputs.

Writes open one short transaction each (connection.write) and apply any missing schema
migration first, so a database made before these tables existed gains them on first use.
Reads return empty frames when the tables are not there yet (a read-only connection cannot
migrate), and NULL for columns a later schema version adds (e.g. meeting.ended_by).
"""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd

from isc.db import connection, schema

Db = str | os.PathLike | None

BODIES = ("ISC-TF", "ISCG")
ACTION_STATUSES = ("open", "done", "dropped")
VERDICTS = ("duplicate", "complementary", "not related")

_MEETING_COLS = [
    "id",
    "body",
    "title",
    "period",
    "starts_at",
    "frozen_version",
    "created_by",
    "ended_at",
    "ended_by",
    "attendance",
    "attendance_by",
]
_ACTION_COLS = [
    "id",
    "meeting_id",
    "theme",
    "text",
    "owner",
    "due_date",
    "status",
    "created_at",
    "updated_at",
    "updated_by",
]
_REVIEW_COLS = ["key_a", "key_b", "verdict", "score", "period", "reviewer", "reviewed_at"]
_HISTORY_COLS = ["id", "action_id", "status", "changed_at", "changed_by"]
_REMINDER_COLS = ["id", "sent_at", "sent_by", "recipient", "period", "reports", "subject", "how"]


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _has(con, table: str) -> bool:
    return (
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchone()[0]
        > 0
    )


def _read_df(sql: str, params, table: str, columns: list[str], db: Db) -> pd.DataFrame:
    with connection.read(db) as con:
        if not _has(con, table):
            return pd.DataFrame(columns=columns)
        return con.execute(sql, params).df()


def _meeting_select(con, alias: str = "") -> str:
    """The meeting columns, NULL for those the database does not have yet (before schema 5)."""
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'meeting'"
        ).fetchall()
    }
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{c}" if c in have else f"NULL AS {c}" for c in _MEETING_COLS)


def _meetings_df(where: str, params, db: Db, alias: str = "", from_: str = "meeting") -> pd.DataFrame:
    with connection.read(db) as con:
        if not _has(con, "meeting"):
            return pd.DataFrame(columns=_MEETING_COLS)
        return con.execute(f"SELECT {_meeting_select(con, alias)} FROM {from_} {where}", params).df()


# ---------------------------------------------------------------- meetings


def start_meeting(
    body: str,
    period: str,
    title: str | None = None,
    created_by: str = "local",
    starts_at: dt.datetime | None = None,
    db: Db = None,
) -> int:
    """Record a meeting and freeze the data version it will show; returns the meeting id."""
    if body not in BODIES:
        raise ValueError(f"body must be one of {BODIES}, not {body!r}")
    with connection.write(db) as con:
        schema.ensure_schema(con)
        version = con.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()[0]
        row = con.execute(
            """INSERT INTO meeting (body, title, period, starts_at, frozen_version, created_by)
               VALUES (?, ?, ?, ?, ?, ?) RETURNING id""",
            [body, title or f"{body} meeting", period, starts_at or _now(), version, created_by],
        ).fetchone()
    return int(row[0])


def end_meeting(meeting_id: int, ended_by: str = "local", ended_at: dt.datetime | None = None,
                db: Db = None) -> None:
    """Close a meeting: who ended it and when (the first end counts; ending twice changes nothing)."""
    with connection.write(db) as con:
        schema.ensure_schema(con)
        con.execute(
            "UPDATE meeting SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL",
            [ended_at or _now(), ended_by, int(meeting_id)],
        )


def set_attendance(meeting_id: int, attendance: str, updated_by: str = "local", db: Db = None) -> None:
    """Who was present (names or bodies, one per line), as typed; `updated_by` is who typed it."""
    with connection.write(db) as con:
        schema.ensure_schema(con)
        con.execute(
            "UPDATE meeting SET attendance = ?, attendance_by = ?, attendance_at = ? WHERE id = ?",
            [(attendance or "").strip(), updated_by, _now(), int(meeting_id)],
        )


def attendance_list(text: str | None) -> list[str]:
    """The attendance text as a list: one name or body per line (or separated by semicolons)."""
    out = []
    for line in (text or "").replace(";", "\n").splitlines():
        line = line.strip(" \t-•,")
        if line:
            out.append(line)
    return out


def meetings(db: Db = None) -> pd.DataFrame:
    """All meetings, newest first."""
    return _meetings_df("ORDER BY starts_at DESC, id DESC", [], db)


def meeting(meeting_id: int, db: Db = None) -> dict | None:
    df = _meetings_df("WHERE id = ?", [int(meeting_id)], db)
    return None if df.empty else df.iloc[0].to_dict()


def previous_meeting(meeting_id: int, db: Db = None) -> dict | None:
    """The meeting of the same body held before this one (by start time), if any."""
    df = _meetings_df(
        """WHERE m.id = ? ORDER BY p.starts_at DESC, p.id DESC LIMIT 1""",
        [int(meeting_id)],
        db,
        alias="p",
        from_="""meeting m JOIN meeting p ON p.body = m.body
                 AND (p.starts_at < m.starts_at OR (p.starts_at = m.starts_at AND p.id < m.id))""",
    )
    return None if df.empty else df.iloc[0].to_dict()


def save_note(
    meeting_id: int,
    theme: str,
    notes: str | None,
    decided: str | None = None,
    updated_by: str = "local",
    db: Db = None,
) -> None:
    """Save a theme's notes and decisions at a meeting; None leaves that field as it was."""
    with connection.write(db) as con:
        schema.ensure_schema(con)
        con.execute(
            """INSERT INTO meeting_note VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (meeting_id, theme) DO UPDATE SET
                 notes = coalesce(excluded.notes, meeting_note.notes),
                 decided = coalesce(excluded.decided, meeting_note.decided),
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by""",
            [int(meeting_id), theme, notes, decided, _now(), updated_by],
        )


def notes(meeting_id: int, db: Db = None) -> pd.DataFrame:
    cols = ["meeting_id", "theme", "notes", "decided", "updated_at", "updated_by"]
    return _read_df(
        "SELECT * FROM meeting_note WHERE meeting_id = ? ORDER BY theme",
        [int(meeting_id)],
        "meeting_note",
        cols,
        db,
    )


def add_action(
    meeting_id: int,
    theme: str | None,
    text: str,
    owner: str | None = None,
    due_date: dt.date | None = None,
    created_by: str = "local",
    db: Db = None,
) -> int:
    text = (text or "").strip()
    if not text:
        raise ValueError("an action needs a text")
    now = _now()
    with connection.write(db) as con:
        schema.ensure_schema(con)
        row = con.execute(
            """INSERT INTO action (meeting_id, theme, text, owner, due_date, status, created_at, updated_at,
                                   updated_by)
               VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?) RETURNING id""",
            [int(meeting_id), theme, text, (owner or "").strip() or None, due_date, now, now, created_by],
        ).fetchone()
        con.execute(
            "INSERT INTO action_event (action_id, status, changed_at, changed_by) VALUES (?, 'open', ?, ?)",
            [int(row[0]), now, created_by],
        )
    return int(row[0])


def set_action_status(action_id: int, status: str, updated_by: str = "local", db: Db = None) -> None:
    """Change an action's status; the change (who, when) is added to its history. Setting the
    status it already has records nothing."""
    if status not in ACTION_STATUSES:
        raise ValueError(f"status must be one of {ACTION_STATUSES}, not {status!r}")
    now = _now()
    with connection.write(db) as con:
        schema.ensure_schema(con)
        row = con.execute("SELECT status FROM action WHERE id = ?", [int(action_id)]).fetchone()
        if row is None or row[0] == status:
            return
        con.execute(
            "UPDATE action SET status = ?, updated_at = ?, updated_by = ? WHERE id = ?",
            [status, now, updated_by, int(action_id)],
        )
        con.execute(
            "INSERT INTO action_event (action_id, status, changed_at, changed_by) VALUES (?, ?, ?, ?)",
            [int(action_id), status, now, updated_by],
        )


def actions(meeting_id: int, theme: str | None = None, db: Db = None) -> pd.DataFrame:
    """Actions recorded at a meeting (optionally for one theme), oldest first."""
    return _read_df(
        f"""SELECT {", ".join(_ACTION_COLS)} FROM action
            WHERE meeting_id = ? AND (CAST(? AS VARCHAR) IS NULL OR theme = ?) ORDER BY id""",
        [int(meeting_id), theme, theme],
        "action",
        _ACTION_COLS,
        db,
    )


def carried_actions(meeting_id: int, theme: str | None = None, db: Db = None) -> pd.DataFrame:
    """The actions a meeting takes up: those set at EARLIER meetings of the same body that are
    open, or whose status changed since this meeting started (so an action closed during the
    meeting stays on screen). Oldest first, with the meeting that set each (set_title, set_at)."""
    cols = [*_ACTION_COLS, "set_title", "set_at"]
    return _read_df(
        f"""SELECT {", ".join("a." + c for c in _ACTION_COLS)}, p.title AS set_title, p.starts_at AS set_at
            FROM meeting m
            JOIN meeting p ON p.body = m.body
                 AND (p.starts_at < m.starts_at OR (p.starts_at = m.starts_at AND p.id < m.id))
            JOIN action a ON a.meeting_id = p.id
            WHERE m.id = ? AND (CAST(? AS VARCHAR) IS NULL OR a.theme = ?)
              AND (a.status = 'open' OR a.updated_at >= date_trunc('second', m.starts_at))
            ORDER BY p.starts_at, a.id""",
        [int(meeting_id), theme, theme],
        "action",
        cols,
        db,
    )


def action_register(db: Db = None) -> pd.DataFrame:
    """Every action across meetings with the meeting that set it (body, title, date), newest
    meeting first."""
    cols = [*_ACTION_COLS, "body", "meeting_title", "meeting_at"]
    return _read_df(
        f"""SELECT {", ".join("a." + c for c in _ACTION_COLS)}, m.body, m.title AS meeting_title,
                   m.starts_at AS meeting_at
            FROM action a JOIN meeting m ON m.id = a.meeting_id
            ORDER BY m.starts_at DESC, a.id""",
        [],
        "action",
        cols,
        db,
    )


def action_history(action_id: int | None = None, db: Db = None) -> pd.DataFrame:
    """Status changes (who, when), newest first; of one action, or of all."""
    return _read_df(
        f"""SELECT {", ".join(_HISTORY_COLS)} FROM action_event
            WHERE CAST(? AS INTEGER) IS NULL OR action_id = ? ORDER BY changed_at DESC, id DESC""",
        [action_id, action_id],
        "action_event",
        _HISTORY_COLS,
        db,
    )


# ---------------------------------------------------------------- reminders


def record_reminder(
    recipient: str,
    period: str,
    reports: str,
    subject: str,
    how: str,
    sent_by: str = "local",
    sent_at: dt.datetime | None = None,
    db: Db = None,
) -> int:
    """Record one reminder: to whom, for which period and reports, how ('smtp' or 'eml'), by whom."""
    with connection.write(db) as con:
        schema.ensure_schema(con)
        row = con.execute(
            """INSERT INTO reminder (sent_at, sent_by, recipient, period, reports, subject, how)
               VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            [sent_at or _now(), sent_by, recipient, period, reports, subject, how],
        ).fetchone()
    return int(row[0])


def reminders(period: str | None = None, db: Db = None) -> pd.DataFrame:
    """Reminders recorded, newest first (optionally for one period)."""
    return _read_df(
        f"""SELECT {", ".join(_REMINDER_COLS)} FROM reminder
            WHERE CAST(? AS VARCHAR) IS NULL OR period = ? ORDER BY sent_at DESC, id DESC""",
        [period, period],
        "reminder",
        _REMINDER_COLS,
        db,
    )


# ---------------------------------------------------------------- overlaps


def overlap_candidates(period: str, db: Db = None, version: int | None = None) -> pd.DataFrame:
    """Every activity reported in the period, one row per (reporting sector, activity row)."""
    with connection.read(db) as con:
        v = (
            con.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()[0]
            if version is None
            else version
        )
        return con.execute(
            """SELECT u.theme, h.track, u.period, u.sector AS reported_by, a.activity_id, a.title,
                      a.description, a.lead_sector, a.partners, a.joint_with, a.status, a.start_date,
                      a.end_date
               FROM live_uploads(?) u JOIN activity a ON a.upload_id = u.id
               LEFT JOIN theme h ON h.code = u.theme
               WHERE u.period = ?
               ORDER BY u.theme, a.lead_sector, a.activity_id, u.sector""",
            [int(v), period],
        ).df()


def record_review(
    key_a: str,
    key_b: str,
    verdict: str,
    reviewer: str,
    score: float | None = None,
    period: str | None = None,
    db: Db = None,
) -> None:
    """Record a reviewer's verdict on a pair (stored with the keys in sorted order)."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, not {verdict!r}")
    a, b = sorted((key_a, key_b))
    with connection.write(db) as con:
        schema.ensure_schema(con)
        con.execute(
            "INSERT OR REPLACE INTO overlap_review VALUES (?, ?, ?, ?, ?, ?, ?)",
            [a, b, verdict, score, period, reviewer, _now()],
        )


def reviews(db: Db = None) -> pd.DataFrame:
    return _read_df(
        f"SELECT {', '.join(_REVIEW_COLS)} FROM overlap_review ORDER BY reviewed_at DESC",
        [],
        "overlap_review",
        _REVIEW_COLS,
        db,
    )


# ---------------------------------------------------------------- completeness


def expected_reports(db: Db = None) -> pd.DataFrame:
    """The reports owed: one per focal point assignment (theme x sector) of a current theme, while
    both the theme and the assignment are valid (valid_from/valid_to: the overlap of the two)."""
    with connection.read(db) as con:
        return con.execute(
            """SELECT f.theme, h.name AS theme_name, h.track, t.name AS track_name, f.sector,
                      f.focal_point, f.email, greatest(h.valid_from, f.valid_from) AS valid_from,
                      least(h.valid_to, f.valid_to) AS valid_to
               FROM focal_point f JOIN theme h ON h.code = f.theme JOIN track t ON t.code = h.track
               WHERE h.state IN ('active', 'proposed')
               ORDER BY t.position, h.name, f.sector"""
        ).df()


def first_uploads(db: Db = None, version: int | None = None) -> pd.DataFrame:
    """Per (theme, period, sector) reported by `version`: when it was FIRST uploaded, and whether
    a live upload exists at that version (an undone report counts as missing)."""
    with connection.read(db) as con:
        v = (
            con.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()[0]
            if version is None
            else version
        )
        return con.execute(
            """SELECT u.theme, u.period, u.sector, min(u.uploaded_at) AS first_uploaded_at,
                      count(*) AS uploads,
                      bool_or(l.id IS NOT NULL) AS live
               FROM upload u
               LEFT JOIN live_uploads(?) l ON l.id = u.id
               WHERE u.seq <= ?
               GROUP BY u.theme, u.period, u.sector
               ORDER BY u.period, u.theme, u.sector""",
            [int(v), int(v)],
        ).df()


def report_periods(db: Db = None) -> list[str]:
    """Quarters with a live report (an undone upload leaves none)."""
    from isc.db import queries

    return queries.live_periods(db)
