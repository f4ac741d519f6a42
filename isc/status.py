"""The status rule: one function that says whether a report is on track, and why.

A report (one theme, one sector, one quarter) gets a computed status from its indicators and
activities, shown beside the focal point's self-assessed status.

Indicators. The expected value at the end of the period is the target interpolated on a
straight line from (baseline date, baseline) to (target date, target). Progress is the share
of the expected movement achieved: (actual - baseline) / (expected - baseline).
  - progress >= 1 - TOLERANCE (0.90)             -> on track
  - 1 - 2*TOLERANCE (0.80) <= progress < 0.90    -> at risk
  - progress < 0.80                              -> off track
  - actual has reached the target                -> completed (for that indicator)
  - no actual value reported                     -> at risk ("no value")
  Where nothing was expected yet (period ends before the baseline date), the indicator is on
  track. The rule works for falling targets too (the signs cancel).

Activities. An activity is overdue when its end date is before the end of the period and it
is neither Completed nor Cancelled. Delayed means status "Delayed".
  - more than OVERDUE_SHARE (25%) of open activities overdue -> off track
  - any overdue or delayed activity                           -> at risk

The report's status is the worst of its indicators and activities; "completed" only when
every indicator is completed and every activity Completed or Cancelled.

Themes: the roll-up. A report is owed for each (theme, Sector) with a focal point assignment
valid in the period (data/reference/focal_points.csv). For a theme and a period, with m reports
owed and n received (live):
  - n = 0                                         -> not reported
  - otherwise the worst of the n reports received (a single off-track Sector puts the theme off
    track: the ISC-TF should see it first); "completed" only when all m are in and completed
    (a theme whose Sectors have not all reported is at best on track);
  - n < m: the status is marked incomplete ("n of m Sectors reported") wherever it is shown, and
    the missing reports count as "not reported" in the Sector view and in completeness.
A change between two periods is "better" only when no Sector that reported before is silent
now; otherwise a lighter status is "no report this time" (silence never reads as progress).

This module is the only place that knows the order of statuses, the self-assessed mapping and
the roll-up: the SQL in isc/db/queries.py is generated from the functions at the end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

TOLERANCE = 0.10
OVERDUE_SHARE = 0.25

COMPLETED, ON_TRACK, AT_RISK, OFF_TRACK, NOT_REPORTED = (
    "completed",
    "on_track",
    "at_risk",
    "off_track",
    "not_reported",
)
ORDER = (COMPLETED, ON_TRACK, AT_RISK, OFF_TRACK)  # statuses of a report; later = worse
ALL = (*ORDER, NOT_REPORTED)  # every status a theme or a Sector's cell can have, in display order
# What to look at first (meeting agendas, "off track and at risk" lists): worst first; a theme
# nobody reported on comes after the ones known to be in trouble.
ATTENTION = (OFF_TRACK, AT_RISK, NOT_REPORTED, ON_TRACK, COMPLETED)
LABELS = {
    COMPLETED: "Completed",
    ON_TRACK: "On track",
    AT_RISK: "At risk",
    OFF_TRACK: "Off track",
    NOT_REPORTED: "Not reported",
}
SELF_STATUS = {
    "On track": ON_TRACK,
    "At risk": AT_RISK,
    "Off track": OFF_TRACK,
    "Completed": COMPLETED,
    "Not started": ON_TRACK,
}


@dataclass(frozen=True)
class Reason:
    kind: str  # "indicator" | "activity"
    ref: str  # indicator or activity ID
    label: str  # name or title
    status: str
    detail: str


def attention_rank(status: str) -> int:
    """0 for the status to look at first (off track); unknown values last."""
    return ATTENTION.index(status) if status in ATTENTION else len(ATTENTION)


def self_assessed(label: str | None) -> str:
    """The status code of a focal point's self-assessed status ("Not started" counts as on track)."""
    return SELF_STATUS.get(label or "", NOT_REPORTED)


def theme_status(received: list[str], owed: int) -> str:
    """The roll-up: a theme's status from the statuses of the reports received and the number owed."""
    got = [s for s in received if s in ORDER]
    if not got:
        return NOT_REPORTED
    if len(got) >= owed and all(s == COMPLETED for s in got):
        return COMPLETED
    return worst([ON_TRACK if s == COMPLETED else s for s in got])


# The kinds of change, in the order "What changed" lists them.
CHANGES = ("worse", "no report this time", "not reported", "better", "reported again")


def change(previous: str, current: str, silent_now: bool) -> str | None:
    """How a theme's status moved between two periods: None (same), "worse", "better",
    "no report this time" (lighter, but a Sector that reported before is silent now),
    "not reported" (nothing came in) or "reported again" (nothing came in before)."""
    if previous == current:
        return None
    if current == NOT_REPORTED:
        return "not reported"
    if previous == NOT_REPORTED:
        return "reported again"
    if ORDER.index(current) > ORDER.index(previous):
        return "worse"
    return "no report this time" if silent_now else "better"


def worst(statuses) -> str:
    statuses = [s for s in statuses if s in ORDER]
    return max(statuses, key=ORDER.index) if statuses else ON_TRACK


def expected_value(baseline: float, baseline_date: dt.date, target: float,
                   target_date: dt.date, on: dt.date) -> float:
    """The target interpolated linearly to `on`, clamped to [baseline, target] in time."""
    span = (target_date - baseline_date).days
    if span <= 0 or on >= target_date:
        return target
    if on <= baseline_date:
        return baseline
    return baseline + (target - baseline) * (on - baseline_date).days / span


def indicator_status(ind: dict, period_end: dt.date) -> Reason:
    name, ref = ind.get("name") or "", ind.get("indicator_id") or ""
    base, target, actual = ind.get("baseline"), ind.get("target"), ind.get("actual")
    if actual is None:
        return Reason("indicator", ref, name, AT_RISK, "no actual value reported")
    expected = expected_value(base, ind["baseline_date"], target, ind["target_date"], period_end)
    rising = target >= base
    if (actual >= target) if rising else (actual <= target):
        return Reason("indicator", ref, name, COMPLETED, f"target {target:g} reached ({actual:g})")
    if expected == base:
        return Reason("indicator", ref, name, ON_TRACK, "nothing expected yet")
    progress = (actual - base) / (expected - base)
    detail = f"actual {actual:g} vs {expected:.4g} expected by {period_end} ({progress:.0%} of expected progress)"
    if progress >= 1 - TOLERANCE:
        return Reason("indicator", ref, name, ON_TRACK, detail)
    if progress >= 1 - 2 * TOLERANCE:
        return Reason("indicator", ref, name, AT_RISK, detail)
    return Reason("indicator", ref, name, OFF_TRACK, detail)


def activity_reasons(activities: list[dict], period_end: dt.date) -> tuple[str, list[Reason]]:
    open_ = [a for a in activities if a.get("status") not in ("Completed", "Cancelled")]
    reasons = []
    overdue = 0
    for a in open_:
        ref, title = a.get("activity_id") or "", a.get("title") or ""
        end = a.get("end_date")
        if end is not None and end < period_end:
            overdue += 1
            reasons.append(Reason("activity", ref, title, AT_RISK,
                                  f"overdue: due {end}, {a.get('status', '').lower()}"
                                  f" at {a.get('percent_complete') or 0:g}%"))
        elif a.get("status") == "Delayed":
            reasons.append(Reason("activity", ref, title, AT_RISK, "reported as delayed"))
    if not activities:
        return ON_TRACK, reasons
    if not open_:
        return COMPLETED, reasons
    if open_ and overdue / len(open_) > OVERDUE_SHARE:
        share = f"{overdue} of {len(open_)} open activities overdue (over {OVERDUE_SHARE:.0%})"
        reasons.insert(0, Reason("activity", "", "Activities", OFF_TRACK, share))
        return OFF_TRACK, reasons
    return (AT_RISK if reasons else ON_TRACK), reasons


def report_status(indicators: list[dict], activities: list[dict],
                  period_end: dt.date) -> tuple[str, list[Reason]]:
    """The computed status of one report, and every indicator and activity that drove it."""
    status, ind_reasons, other = assess_report(indicators, activities, period_end)
    return status, ind_reasons + other


def assess_report(indicators: list[dict], activities: list[dict],
                  period_end: dt.date) -> tuple[str, list[Reason], list[Reason]]:
    """The computed status of one report, each indicator's verdict (in row order, stored with the
    indicator) and the other reasons: the one pass the loader makes."""
    ind_reasons = [indicator_status(i, period_end) for i in indicators]
    act_status, act_reasons = activity_reasons(activities, period_end)
    if not indicators and not activities:
        return AT_RISK, [], [Reason("report", "", "Report", AT_RISK, "no indicators and no activities")]
    ind_statuses = [r.status for r in ind_reasons]
    if all(s == COMPLETED for s in ind_statuses) and act_status == COMPLETED:
        status = COMPLETED
    else:
        status = worst([s if s != COMPLETED else ON_TRACK for s in ind_statuses]
                       + [act_status if act_status != COMPLETED else ON_TRACK])
    return status, ind_reasons, act_reasons


# --- the same rules as SQL expressions (DuckDB), generated from the definitions above ---------


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_rank(expr: str) -> str:
    """Rank of a report status (0 = completed ... 3 = off track); NULL for anything else."""
    return "CASE " + expr + "".join(f" WHEN {_quote(s)} THEN {i}" for i, s in enumerate(ORDER)) + " END"


def sql_unrank(expr: str) -> str:
    return "CASE " + expr + "".join(f" WHEN {i} THEN {_quote(s)}" for i, s in enumerate(ORDER)) + " END"


def sql_self_assessed(expr: str) -> str:
    """The status code of a self-assessed label (NULL when there is no report)."""
    return "CASE " + expr + "".join(f" WHEN {_quote(k)} THEN {_quote(v)}" for k, v in SELF_STATUS.items()) + " END"


def sql_attention_rank(expr: str) -> str:
    return "CASE " + expr + "".join(f" WHEN {_quote(s)} THEN {i}" for i, s in enumerate(ATTENTION)) + \
        f" ELSE {len(ATTENTION)} END"


def sql_theme_status(status: str, owed: str) -> str:
    """theme_status() as a DuckDB aggregate over one row per owed report, `status` NULL where
    the report is missing; `owed` is the number of reports owed (e.g. count(*))."""
    on_track_rank = ORDER.index(ON_TRACK)
    ranked = f"greatest({sql_rank(status)}, {on_track_rank})"
    return (f"CASE WHEN count({status}) = 0 THEN {_quote(NOT_REPORTED)} "
            f"WHEN count({status}) >= {owed} AND bool_and({status} = {_quote(COMPLETED)}) "
            f"THEN {_quote(COMPLETED)} "
            f"ELSE {sql_unrank(f'max({ranked}) FILTER (WHERE {status} IS NOT NULL)')} END")


def sql_statuses() -> str:
    """Every status with its display position: a table (status, pos) to join counts onto."""
    rows = ", ".join(f"({_quote(s)}, {i})" for i, s in enumerate(ALL))
    return f"SELECT * FROM (VALUES {rows}) s(status, pos)"
