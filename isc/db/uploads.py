"""Read queries about uploads: history, events, the live report of a key, last period's report.

The Upload and History pages and `python -m etl template --db` read through these functions
only. Reports come back as isc.report.ReportData (the shape the validator produces), so the
preview compares like with like and the template writer can pre-fill from them.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import pandas as pd

from isc.db import connection
from isc.report import SECTOR_ROLE_COLUMNS, ReportData

Db = str | os.PathLike | None

_ACTIVITY_COLS = (
    "row_no",
    "activity_id",
    "title",
    "description",
    "lead_sector",
    "partners",
    "joint_with",
    "status",
    "start_date",
    "end_date",
    "percent_complete",
    "result",
)
_INDICATOR_COLS = (
    "row_no",
    "indicator_id",
    "name",
    "unit",
    "baseline",
    "baseline_date",
    "target",
    "target_date",
    "actual",
    "comment",
)
_RESULT_COLS = ("row_no", "title", "description", "date", "link")
_RISK_COLS = ("row_no", "kind", "description", "severity", "mitigation", "owner", "due_date")


@dataclass
class LiveReport:
    """A report that is (or was, at a given data version) live for a (theme, period, sector),
    with its upload's facts."""

    upload_id: int
    sha256: str
    file_name: str
    uploaded_by: str
    uploaded_at: dt.datetime
    computed_status: str
    report: ReportData

    @property
    def period(self) -> str:
        return str(self.report.header.get("period") or "")


def _version(con) -> int:
    return con.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()[0]


def _records(con, table: str, columns: tuple[str, ...], upload_id: int) -> list[dict]:
    rows = con.execute(
        f"SELECT {', '.join(columns)} FROM {table} WHERE upload_id = ? ORDER BY row_no", [upload_id]
    ).fetchall()
    return [dict(zip(columns, r, strict=True)) for r in rows]


def _activity(rec: dict) -> dict:
    """A stored activity back in template shape: partners/joint_with lists -> role columns."""
    out = {k: v for k, v in rec.items() if k not in ("row_no", "partners", "joint_with")}
    out["row"] = rec["row_no"]
    for code in SECTOR_ROLE_COLUMNS:
        role = None
        if code in (rec.get("partners") or []):
            role = "Partner"
        if code in (rec.get("joint_with") or []):
            role = "Joint"
        out[f"role_{code}"] = role
    return out


def _plain(rec: dict) -> dict:
    out = {k: v for k, v in rec.items() if k != "row_no"}
    out["row"] = rec["row_no"]
    return out


def _report(
    con, upload_id: int, tables: tuple[str, ...] = ("activities", "indicators", "results", "risks")
) -> ReportData:
    h = con.execute(
        "SELECT theme, period, sector, self_status, summary, prepared_by FROM report WHERE upload_id = ?",
        [upload_id],
    ).fetchone()
    tv = con.execute("SELECT template_version FROM upload WHERE id = ?", [upload_id]).fetchone()[0]
    header = dict(zip(("theme", "period", "sector", "self_status", "summary", "prepared_by"), h, strict=True))
    header["template_version"] = tv
    data = ReportData(header)
    if "activities" in tables:
        data.activities = [_activity(r) for r in _records(con, "activity", _ACTIVITY_COLS, upload_id)]
    if "indicators" in tables:
        data.indicators = [_plain(r) for r in _records(con, "indicator", _INDICATOR_COLS, upload_id)]
    if "results" in tables:
        data.results = [_plain(r) for r in _records(con, "result", _RESULT_COLS, upload_id)]
    if "risks" in tables:
        data.risks = [_plain(r) for r in _records(con, "risk", _RISK_COLS, upload_id)]
    return data


_LIVE_COLUMNS = "u.id, u.sha256, u.file_name, u.uploaded_by, u.uploaded_at, r.computed_status"


def _live(con, version: int, where: str, params: list) -> LiveReport | None:
    row = con.execute(
        f"""SELECT {_LIVE_COLUMNS} FROM live_uploads(?) u JOIN report r ON r.upload_id = u.id
            WHERE {where} ORDER BY u.period DESC LIMIT 1""",
        [version, *params],
    ).fetchone()
    return None if row is None else LiveReport(*row, report=_report(con, row[0]))


def _live_now(con, theme: str, period: str, sector: str, version: int) -> LiveReport | None:
    return _live(con, version, "u.theme = ? AND u.period = ? AND u.sector = ?", [theme, str(period), sector])


def _live_before(con, theme: str, period: str, sector: str, version: int) -> LiveReport | None:
    return _live(con, version, "u.theme = ? AND u.sector = ? AND u.period < ?", [theme, sector, str(period)])


def live_report(theme: str, period: str, sector: str, db: Db = None, version: int | None = None) -> LiveReport | None:
    """The live report for this key now (what an upload for the key would replace), or None.
    With `version`, the report that was live at that data version."""
    with connection.read(db) as con:
        return _live_now(con, theme, period, sector, _version(con) if version is None else version)


def previous_report(
    theme: str, period: str, sector: str, db: Db = None, version: int | None = None
) -> LiveReport | None:
    """The previous quarter's live report of this theme and sector: the live report of the latest
    period before `period` (the quarter just before, or an earlier one when that quarter has no
    report), now or at data version `version`. None when there is no earlier report."""
    with connection.read(db) as con:
        return _live_before(con, theme, period, sector, _version(con) if version is None else version)


def live_and_previous(
    theme: str, period: str, sector: str, db: Db = None, version: int | None = None
) -> tuple[LiveReport | None, LiveReport | None]:
    """live_report() and previous_report() read together, at one data version: what an upload
    for this key would replace, and the last quarter's report it is compared with too."""
    with connection.read(db) as con:
        v = _version(con) if version is None else version
        return _live_now(con, theme, period, sector, v), _live_before(con, theme, period, sector, v)


def prefill_report(theme: str, period: str, sector: str, db: Db = None) -> ReportData | None:
    """Last period's report to pre-fill a template: the latest live report of this theme and
    sector for a period before `period`. Activities and indicators are kept (actual values as
    last known), as are the self-assessed status and who prepared it; the narrative summary,
    results and risks are left for the new quarter. None when there is no earlier report."""
    with connection.read(db) as con:
        row = con.execute(
            """SELECT id FROM live_uploads(?) WHERE theme = ? AND sector = ? AND period < ?
               ORDER BY period DESC LIMIT 1""",
            [_version(con), theme, sector, str(period)],
        ).fetchone()
        if row is None:
            return None
        data = _report(con, row[0], ("activities", "indicators"))
    data.header = {
        "theme": theme,
        "period": str(period),
        "sector": sector,
        "self_status": data.header.get("self_status"),
        "summary": None,
        "prepared_by": data.header.get("prepared_by"),
        "prefilled_from": data.header.get("period"),
    }
    return data


def history(db: Db = None) -> pd.DataFrame:
    """Every upload, newest first, with its outcome now: live, superseded (by which) or undone."""
    with connection.read(db) as con:
        return con.execute(
            """WITH live AS (SELECT id, theme, period, sector FROM live_uploads(
                                (SELECT coalesce(max(seq), 0) FROM event)))
               SELECT u.id, u.uploaded_at, u.uploaded_by, u.file_name, u.sha256, u.size_bytes,
                      u.theme, u.period, u.sector, u.row_count, u.warning_count, u.illustrative,
                      CASE WHEN u.undone_seq IS NOT NULL THEN 'undone'
                           WHEN l.id = u.id THEN 'live' ELSE 'superseded' END AS outcome,
                      CASE WHEN u.undone_seq IS NULL AND l.id <> u.id THEN l.id END AS superseded_by,
                      u.undone_by, u.undone_at, u.stored_name, r.computed_status
               FROM upload u
               LEFT JOIN live l ON l.theme = u.theme AND l.period = u.period AND l.sector = u.sector
               LEFT JOIN report r ON r.upload_id = u.id
               ORDER BY u.id DESC"""
        ).df()


def events(db: Db = None) -> pd.DataFrame:
    """The event log, newest first: every load and every undo, with who and when."""
    with connection.read(db) as con:
        return con.execute(
            "SELECT seq AS version, happened_at, action, upload_id, actor, detail FROM event ORDER BY seq DESC"
        ).df()


def upload(upload_id: int, db: Db = None) -> dict | None:
    """One upload's facts, with its outcome and the upload an undo would make live again."""
    with connection.read(db) as con:
        v = _version(con)
        cols = (
            "id",
            "seq",
            "sha256",
            "file_name",
            "stored_name",
            "size_bytes",
            "uploaded_by",
            "uploaded_at",
            "theme",
            "period",
            "sector",
            "row_count",
            "undone_seq",
            "undone_by",
            "undone_at",
        )
        row = con.execute(f"SELECT {', '.join(cols)} FROM upload WHERE id = ?", [upload_id]).fetchone()
        if row is None:
            return None
        out = dict(zip(cols, row, strict=True))
        live = con.execute(
            "SELECT id FROM live_uploads(?) WHERE theme = ? AND period = ? AND sector = ?",
            [v, out["theme"], out["period"], out["sector"]],
        ).fetchone()
        out["live_id"] = live[0] if live else None
        out["outcome"] = (
            "undone"
            if out["undone_seq"] is not None
            else "live"
            if out["live_id"] == upload_id
            else "superseded"
        )
        prev = con.execute(
            """SELECT id, file_name, uploaded_by, uploaded_at FROM upload
               WHERE theme = ? AND period = ? AND sector = ? AND id <> ? AND seq < ?
                 AND undone_seq IS NULL ORDER BY seq DESC LIMIT 1""",
            [out["theme"], out["period"], out["sector"], upload_id, out["seq"]],
        ).fetchone()
        out["previous"] = (
            dict(zip(("id", "file_name", "uploaded_by", "uploaded_at"), prev, strict=True)) if prev else None
        )
    return out


def app_user(email: str, db: Db = None) -> dict | None:
    """The reference-data entry (app_user table) for this e-mail, compared case-insensitively."""
    with connection.read(db) as con:
        row = con.execute(
            "SELECT email, role, themes, sectors FROM app_user WHERE lower(trim(email)) = lower(trim(?))",
            [email],
        ).fetchone()
    return None if row is None else dict(zip(("email", "role", "themes", "sectors"), row, strict=True))


def upload_count(db: Db = None) -> int:
    with connection.read(db) as con:
        return con.execute("SELECT count(*) FROM upload").fetchone()[0]
