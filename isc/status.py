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
the roll-up: the SQL in isc/db/queries.py is generated from this vocabulary by isc/db/rule_sql.py.

A reason (the "why" of a verdict) is a catalogue key and the values it is made of (Reason.key,
Reason.params), stored as such; detail_text() renders it in any language from data/i18n.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from isc import i18n
from isc.settings import OVERDUE_SHARE, TOLERANCE  # the rule's numbers live in isc.settings

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


# The "why" of a verdict is a catalogue key (data/i18n/<lang>.json) and the values it is made of,
# stored as such: every language, English included, renders it from its catalogue.
NO_ACTUAL, TARGET_REACHED, NOTHING_EXPECTED, PROGRESS = (
    "reason.no_actual", "reason.target_reached", "reason.nothing_expected", "reason.progress")
OVERDUE, DELAYED, OVERDUE_SHARE_KEY, EMPTY_REPORT = (
    "reason.overdue", "reason.delayed", "reason.overdue_share", "reason.empty_report")
REASON_KEYS = (NO_ACTUAL, TARGET_REACHED, NOTHING_EXPECTED, PROGRESS, OVERDUE, DELAYED, OVERDUE_SHARE_KEY,
               EMPTY_REPORT)
# The labels of the reasons the rule names itself (the others are the indicator's or activity's own).
LABEL_ACTIVITIES, LABEL_REPORT = "reason.label.activities", "reason.label.report"
# Parameters that are themselves a code with a catalogue entry: parameter -> key prefix.
_CODED_PARAMS = {"status": "reason.activity_status."}


@dataclass(frozen=True)
class Reason:
    kind: str  # "indicator" | "activity" | "report"
    ref: str  # indicator or activity ID
    label: str  # name or title as typed; for the rule's own reasons, label_key in English
    status: str
    key: str  # catalogue key of the "why" (REASON_KEYS)
    params: dict = field(default_factory=dict)  # the values the sentence is made of, as text
    label_key: str | None = None  # catalogue key of the label when the rule names the reason itself

    @property
    def detail(self) -> str:
        """The "why" in English (as every English page and the CLI show it)."""
        return detail_text(self.key, self.params)

    def text(self, lang: str = i18n.DEFAULT) -> str:
        return detail_text(self.key, self.params, lang)


def detail_text(key: str | None, params: dict | str | None, lang: str = i18n.DEFAULT) -> str:
    """A stored "why" (key + params, as a dict or the JSON text the database holds) in `lang`."""
    if not isinstance(key, str) or not key:
        return ""
    if isinstance(params, str):
        params = json.loads(params)
    values = dict(params) if isinstance(params, dict) else {}
    for name, prefix in _CODED_PARAMS.items():
        if name in values and f"{prefix}{values[name]}" in i18n.catalogue(i18n.DEFAULT):
            values[name] = i18n.translate(lang, f"{prefix}{values[name]}")
        elif name in values:
            values[name] = str(values[name]).replace("_", " ")
    return i18n.translate(lang, key, **values) if values else i18n.translate(lang, key)


def label_text(label: str | None, label_key: str | None, lang: str = i18n.DEFAULT) -> str | None:
    """A reason's label in `lang`: the rule's own word, or the indicator's or activity's name as typed."""
    return i18n.translate(lang, label_key) if isinstance(label_key, str) and label_key else label


def kind_text(kind: str | None, lang: str = i18n.DEFAULT) -> str | None:
    """"indicator", "activity" or "report" in `lang`."""
    return i18n.translate(lang, f"reason.kind.{kind}") if kind in ("indicator", "activity", "report") else kind


def _rule_label(key: str) -> str:
    return i18n.translate(i18n.DEFAULT, key)


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
        return Reason("indicator", ref, name, AT_RISK, NO_ACTUAL)
    expected = expected_value(base, ind["baseline_date"], target, ind["target_date"], period_end)
    rising = target >= base
    if (actual >= target) if rising else (actual <= target):
        return Reason("indicator", ref, name, COMPLETED, TARGET_REACHED, {"target": f"{target:g}", "actual": f"{actual:g}"})
    if expected == base:
        return Reason("indicator", ref, name, ON_TRACK, NOTHING_EXPECTED)
    progress = (actual - base) / (expected - base)
    params = {"actual": f"{actual:g}", "expected": f"{expected:.4g}", "date": str(period_end),
              "progress": f"{progress:.0%}"[:-1]}
    if progress >= 1 - TOLERANCE:
        return Reason("indicator", ref, name, ON_TRACK, PROGRESS, params)
    if progress >= 1 - 2 * TOLERANCE:
        return Reason("indicator", ref, name, AT_RISK, PROGRESS, params)
    return Reason("indicator", ref, name, OFF_TRACK, PROGRESS, params)


class ReasonRows(Sequence):
    """Reasons of which the many (one per overdue or delayed activity of a large report) are kept
    as columns: `head`, a list of Reason, then the rows of `table` (the columns of status_reason:
    kind, ref, label, status, detail_key, detail_params as JSON text, label_key). It reads as the
    list of Reason it stands for, each made only when the reasons are read one by one; the loader
    stores `table` as it is."""

    def __init__(self, head: list[Reason], table: pa.Table):
        self.head, self.table = head, table
        self._all: list[Reason] | None = None

    def reasons(self) -> list[Reason]:
        if self._all is None:
            rows = [Reason(r["kind"], r["ref"], r["label"], r["status"], r["detail_key"],
                           json.loads(r["detail_params"]) if r["detail_params"] else {}, r["label_key"])
                    for r in self.table.to_pylist()]
            self._all = [*self.head, *rows]
        return self._all

    def __len__(self) -> int:
        return len(self.head) + self.table.num_rows

    def __getitem__(self, i):
        return self.reasons()[i]

    def __iter__(self):
        return iter(self.reasons())

    def __eq__(self, other) -> bool:
        if isinstance(other, ReasonRows):
            other = other.reasons()
        return isinstance(other, list) and self.reasons() == other

    __hash__ = None

    def __add__(self, other):
        if isinstance(other, list):
            return [*self.reasons(), *other]
        return NotImplemented

    def __radd__(self, other):
        if isinstance(other, list):  # indicators' reasons + these: the table stays a table
            return ReasonRows([*other, *self.head], self.table)
        return NotImplemented


def _activity_reasons_columnar(table: pa.Table, period_end: dt.date) -> tuple[str, ReasonRows]:
    """activity_reasons for activities kept as an Arrow table (isc.report.Records): the same status
    and the same reasons, in the same order, as columns."""
    status, end = table.column("status"), table.column("end_date")
    open_ = pc.invert(pc.fill_null(pc.is_in(status, value_set=pa.array(["Completed", "Cancelled"])), False))
    overdue = pc.and_(open_, pc.fill_null(pc.less(end, pa.scalar(period_end, end.type)), False))
    delayed = pc.and_(pc.and_(open_, pc.invert(overdue)), pc.fill_null(pc.equal(status, "Delayed"), False))
    picked = pc.indices_nonzero(pc.or_(overdue, delayed))
    rows = table.select(["activity_id", "title", "status", "end_date", "percent_complete"]).take(picked)
    late = overdue.take(picked)
    n = rows.num_rows
    params = None
    if n:
        # {"date": ..., "status": ..., "percent": ...} as json.dumps writes it, from the few values
        # of status and percent (each one formatted once) and the dates
        def coded(column, fmt) -> pa.Array:
            values = pc.unique(column)
            texts = pa.array([json.dumps(fmt(v)) for v in values.to_pylist()], pa.string())
            return texts.take(pc.index_in(column, value_set=values))

        def state(v) -> str:
            return (v or "").lower().replace(" ", "_")

        def percent(v) -> str:
            return f"{v or 0:g}"

        dates = pc.binary_join_element_wise('"', rows.column("end_date").cast(pa.string()), '"', "")  # as str(date)
        params = pc.binary_join_element_wise('{"date": ', dates, ', "status": ', coded(rows.column("status"), state),
                                             ', "percent": ', coded(rows.column("percent_complete"), percent), "}", "")
        params = pc.if_else(late, params, pa.nulls(n, pa.string()))
    reasons = pa.table({
        "kind": pa.repeat(pa.scalar("activity"), n),
        "ref": pc.fill_null(rows.column("activity_id"), ""),
        "label": pc.fill_null(rows.column("title"), ""),
        "status": pa.repeat(pa.scalar(AT_RISK), n),
        "detail_key": pc.if_else(late, OVERDUE, DELAYED) if n else pa.nulls(0, pa.string()),
        "detail_params": params if n else pa.nulls(0, pa.string()),
        "label_key": pa.nulls(n, pa.string()),
    })
    out = ReasonRows([], reasons)
    opened = pc.sum(open_).as_py() or 0
    if not table.num_rows:
        return ON_TRACK, out
    if not opened:
        return COMPLETED, out
    late_count = pc.sum(late).as_py() or 0 if n else 0
    if late_count / opened > OVERDUE_SHARE:
        share = {"overdue": str(late_count), "open": str(opened), "limit": f"{OVERDUE_SHARE:.0%}"[:-1]}
        out.head.insert(0, Reason("activity", "", _rule_label(LABEL_ACTIVITIES), OFF_TRACK, OVERDUE_SHARE_KEY, share,
                                  LABEL_ACTIVITIES))
        return OFF_TRACK, out
    return (AT_RISK if n else ON_TRACK), out


def activity_reasons(activities: list[dict], period_end: dt.date) -> tuple[str, list[Reason]]:
    table = getattr(activities, "table", None)  # isc.report.Records: a large report's activities
    if table is not None:
        return _activity_reasons_columnar(table, period_end)
    open_ = [a for a in activities if a.get("status") not in ("Completed", "Cancelled")]
    reasons = []
    overdue = 0
    for a in open_:
        ref, title = a.get("activity_id") or "", a.get("title") or ""
        end = a.get("end_date")
        if end is not None and end < period_end:
            overdue += 1
            reasons.append(Reason("activity", ref, title, AT_RISK, OVERDUE, {
                "date": str(end), "status": (a.get("status") or "").lower().replace(" ", "_"),
                "percent": f"{a.get('percent_complete') or 0:g}"}))
        elif a.get("status") == "Delayed":
            reasons.append(Reason("activity", ref, title, AT_RISK, DELAYED))
    if not activities:
        return ON_TRACK, reasons
    if not open_:
        return COMPLETED, reasons
    if open_ and overdue / len(open_) > OVERDUE_SHARE:
        share = {"overdue": str(overdue), "open": str(len(open_)), "limit": f"{OVERDUE_SHARE:.0%}"[:-1]}
        reasons.insert(0, Reason("activity", "", _rule_label(LABEL_ACTIVITIES), OFF_TRACK, OVERDUE_SHARE_KEY, share,
                                 LABEL_ACTIVITIES))
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
        return AT_RISK, [], [Reason("report", "", _rule_label(LABEL_REPORT), AT_RISK, EMPTY_REPORT,
                                    label_key=LABEL_REPORT)]
    ind_statuses = [r.status for r in ind_reasons]
    if all(s == COMPLETED for s in ind_statuses) and act_status == COMPLETED:
        status = COMPLETED
    else:
        status = worst([s if s != COMPLETED else ON_TRACK for s in ind_statuses]
                       + [act_status if act_status != COMPLETED else ON_TRACK])
    return status, ind_reasons, act_reasons
