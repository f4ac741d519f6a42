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
every indicator is completed and every activity Completed or Cancelled. A theme's status for a
period is the worst of its sectors' reports (a single off-track sector puts the theme off
track: the ISC-TF should see it first).
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
ORDER = (COMPLETED, ON_TRACK, AT_RISK, OFF_TRACK)  # later = worse
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
    ind_reasons = [indicator_status(i, period_end) for i in indicators]
    act_status, act_reasons = activity_reasons(activities, period_end)
    if not indicators and not activities:
        return AT_RISK, [Reason("report", "", "Report", AT_RISK, "no indicators and no activities")]
    ind_statuses = [r.status for r in ind_reasons]
    if all(s == COMPLETED for s in ind_statuses) and act_status == COMPLETED:
        status = COMPLETED
    else:
        status = worst([s if s != COMPLETED else ON_TRACK for s in ind_statuses]
                       + [act_status if act_status != COMPLETED else ON_TRACK])
    return status, ind_reasons + act_reasons
