"""Reporting completeness and timeliness, counted like DHIS2 reporting rates (pure pandas).

For each period every expected report (a focal point: theme x sector of a current theme) is
  - on time: a live report exists and its FIRST upload was on or before the due date
    (the whole due day counts: 23:59:59 on the due date is on time, 00:00:00 the next day is late);
  - late: a live report exists, first uploaded after the due date;
  - missing: no live report and the due date has passed;
  - not due: no live report yet, but the due date has not passed (left out of the rates).
The due date of a period is `grace_days` after the quarter ends (Period.due_date).
Completeness = (on time + late) / counted; on-time rate = on time / counted, where counted =
expected reports whose due date has passed or which are in.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from isc.periods import Period
from isc.settings import GRACE_DAYS

ON_TIME, LATE, MISSING, NOT_DUE = "on_time", "late", "missing", "not_due"
ORDER = (ON_TIME, LATE, MISSING, NOT_DUE)
# Their words are catalogue entries (completeness.<status>), like every other text.


def deadline(period: str | Period, grace_days: int = GRACE_DAYS) -> dt.datetime:
    """The first instant that is late: midnight at the end of the due date."""
    p = period if isinstance(period, Period) else Period.parse(period)
    return dt.datetime.combine(p.due_date(grace_days) + dt.timedelta(days=1), dt.time(0, 0))


def classify(
    first_uploaded_at, live: bool, period: str | Period, grace_days: int = GRACE_DAYS, now: dt.datetime | None = None
) -> str:
    """The completeness status of one expected report."""
    limit = deadline(period, grace_days)
    if live and first_uploaded_at is not None and not pd.isna(first_uploaded_at):
        return ON_TIME if pd.Timestamp(first_uploaded_at) < pd.Timestamp(limit) else LATE
    now = now or dt.datetime.now()
    return MISSING if pd.Timestamp(now) >= pd.Timestamp(limit) else NOT_DUE


def _expected_in(expected: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Expected reports for a period: themes valid during it."""
    df = expected
    if "valid_from" in df.columns:
        vf = pd.to_datetime(df["valid_from"])
        df = df[vf.isna() | (vf <= pd.Timestamp(period.end))]
    if "valid_to" in df.columns:
        vt = pd.to_datetime(df["valid_to"])
        df = df[vt.isna() | (vt >= pd.Timestamp(period.start))]
    return df


def table(
    expected: pd.DataFrame,
    uploads: pd.DataFrame,
    periods: list[str],
    grace_days: int = GRACE_DAYS,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """One row per expected report per period, with its due date and completeness status.

    `expected`: theme, sector (+ any descriptive columns, optional valid_from/valid_to);
    `uploads`: theme, period, sector, first_uploaded_at, live.
    """
    now = now or dt.datetime.now()
    frames = []
    for text in periods:
        p = Period.parse(text)
        exp = _expected_in(expected, p).copy()
        exp["period"] = str(p)
        exp["due_date"] = p.due_date(grace_days)
        frames.append(exp)
    if not frames:
        return pd.DataFrame(
            columns=[
                *expected.columns,
                "period",
                "due_date",
                "first_uploaded_at",
                "live",
                "status",
                "days_late",
            ]
        )
    df = pd.concat(frames, ignore_index=True)
    up = uploads[["theme", "period", "sector", "first_uploaded_at", "live"]]
    df = df.merge(up, on=["theme", "period", "sector"], how="left")
    df["live"] = df["live"].fillna(False).astype(bool)
    df["status"] = [
        classify(f, live, per, grace_days, now)
        for f, live, per in zip(df["first_uploaded_at"], df["live"], df["period"], strict=True)
    ]
    due_end = pd.to_datetime(df["due_date"]) + pd.Timedelta(days=1)
    late_days = (pd.to_datetime(df["first_uploaded_at"]) - due_end).dt.days + 1
    missing_days = (pd.Timestamp(now) - due_end).dt.days + 1
    df["days_late"] = 0
    late, missing = df["status"] == LATE, df["status"] == MISSING
    df.loc[late, "days_late"] = late_days[late]
    df.loc[missing, "days_late"] = missing_days[missing]
    df["days_late"] = df["days_late"].astype(int)
    return df


def rates(df: pd.DataFrame, by: list[str] | str) -> pd.DataFrame:
    """Counts of each status and the completeness / on-time rates (percent) per group."""
    by = [by] if isinstance(by, str) else list(by)
    counts = (
        df.groupby([*by, "status"])
        .size()
        .unstack("status", fill_value=0)
        .reindex(columns=list(ORDER), fill_value=0)
        .reset_index()
    )
    counted = counts[ON_TIME] + counts[LATE] + counts[MISSING]
    counts["expected"] = counted
    counts["completeness"] = ((counts[ON_TIME] + counts[LATE]) / counted.where(counted > 0) * 100).round(1)
    counts["on_time_rate"] = (counts[ON_TIME] / counted.where(counted > 0) * 100).round(1)
    counts.columns.name = None
    return counts


def overdue(df: pd.DataFrame, period: str | None = None) -> pd.DataFrame:
    """Missing reports (due date passed, nothing in), most overdue first: the reminder list."""
    out = df[df["status"] == MISSING]
    if period is not None:
        out = out[out["period"] == period]
    cols = [
        c
        for c in ("period", "theme", "theme_name", "sector", "focal_point", "email", "due_date", "days_late")
        if c in out.columns
    ]
    return (
        out.sort_values(["days_late", "theme", "sector"], ascending=[False, True, True])[cols]
        .rename(columns={"days_late": "days_overdue"})
        .reset_index(drop=True)
    )
