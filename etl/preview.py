"""What an upload would change, before it is loaded: a pure comparison of two reports.

`compare(new, current, period_end, previous)` takes the validated ReportData of the file, the
ReportData of the report that is live for the same (theme, period, sector) now (None when
there is none; see isc.db.uploads.live_report) and, optionally, the live report of the same
theme and sector for the previous quarter (isc.db.uploads.previous_report). It says which
activities are new, changed or removed (matched by Activity ID, case-insensitively), how
indicator values move, and how the computed status (isc.status) and the self-assessed status
change: against the report the file replaces, and against last quarter's report
(Preview.previous), so that a new quarter's file is not just "all new". Where no report is
live for the quarter yet, the status change is told against last quarter's status, labelled
with that quarter. Nothing here touches a database or a file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from etl import spec
from isc import status as rule
from isc.i18n import DEFAULT, plural, translate
from isc.periods import Period

ACTIVITY_FIELDS = tuple(c.key for c in spec.ACTIVITIES.columns if c.key != "activity_id")
INDICATOR_FIELDS = tuple(c.key for c in spec.INDICATORS.columns if c.key != "indicator_id")
HEADER_FIELDS = ("self_status", "summary", "prepared_by")
# The catalogue entries of Preview.summary_in() in data/i18n/*.json: preview.<name>; the counted
# ones have a singular and a plural form, preview.<name>.one and preview.<name>.other.
SUMMARY_KEYS = ("new_report", "no_change", "report_sheet_changed", "results_count", "risks_count",
                "new_report_counts", "status_changed", "status_stays", "no_change_since", "status_changed_since",
                "status_stays_since")  # fmt: skip
COUNTED = ("new_activities", "changed_activities", "removed_activities", "new_indicators", "changed_indicators",
           "removed_indicators")  # fmt: skip
_LABELS = {c.key: c.header for s in spec.TABLE_SHEETS for c in s.columns} | {
    f.key: f.label for f in spec.HEADER_FIELDS
}


@dataclass
class Change:
    ref: str  # activity or indicator ID ("" for the report header)
    label: str  # title or name
    field: str  # column header, e.g. "Percent complete"
    old: object
    new: object


@dataclass
class Preview:
    """What loading a file changes against one earlier report.

    `baseline_period` is None when the earlier report is the one live for the same quarter (the
    one the file replaces, or none: `is_new_report`); it is that quarter ("2025-Q2") when the
    earlier report is last quarter's (the Preview in `previous`). Then `status_old` is that
    report's status at the end of its own quarter, and only activities, indicators and the
    status are compared (the narrative, results and risks belong to each quarter)."""

    key: tuple[str, str, str]
    is_new_report: bool
    activities_new: list[dict] = field(default_factory=list)
    activities_removed: list[dict] = field(default_factory=list)
    activity_changes: list[Change] = field(default_factory=list)
    indicators_new: list[dict] = field(default_factory=list)
    indicators_removed: list[dict] = field(default_factory=list)
    indicator_changes: list[Change] = field(default_factory=list)
    header_changes: list[Change] = field(default_factory=list)
    status_old: str = rule.NOT_REPORTED
    status_new: str = rule.NOT_REPORTED
    counts_old: dict[str, int] = field(default_factory=dict)
    counts_new: dict[str, int] = field(default_factory=dict)
    baseline_period: str | None = None
    previous: Preview | None = None  # the same file against last quarter's report, when there is one

    @property
    def status_before(self) -> tuple[str, str | None]:
        """(status, quarter) the computed status is shown as changing from: the replaced report's
        (quarter None), else last quarter's report's (with its quarter), else not reported."""
        if not self.is_new_report or self.previous is None:
            return self.status_old, None
        return self.previous.status_old, self.previous.baseline_period

    @property
    def status_moves(self) -> bool:
        """The computed status differs from status_before."""
        return self.status_before[0] != self.status_new

    @property
    def activities_changed(self) -> list[str]:
        return list(dict.fromkeys(c.ref for c in self.activity_changes))

    @property
    def status_changed(self) -> bool:
        return self.status_old != self.status_new

    @property
    def has_changes(self) -> bool:
        if self.baseline_period is not None:  # against last quarter: activities, indicators, status
            return bool(self.activities_new or self.activities_removed or self.activity_changes
                        or self.indicators_new or self.indicators_removed or self.indicator_changes
                        or self.status_changed)  # fmt: skip
        return bool(
            self.is_new_report
            or self.activities_new
            or self.activities_removed
            or self.activity_changes
            or self.indicators_new
            or self.indicators_removed
            or self.indicator_changes
            or self.header_changes
            or self.status_changed
            or self.counts_old != self.counts_new
        )

    def summary(self) -> list[str]:
        """One line per kind of change, in English words (summary_in)."""
        return self.summary_in(DEFAULT)

    def summary_items(self) -> list[tuple[str, dict]]:
        """One line per kind of change, as catalogue entries (key, values): the one source of
        summary() and summary_in()."""
        since = self.baseline_period
        if self.is_new_report:
            items = [("preview.new_report", {"report": " ".join(self.key)})]
        elif not self.has_changes:
            return [("preview.no_change_since", {"period": since}) if since else ("preview.no_change", {})]
        else:
            items = []
        counts = (len(self.activities_new), len(self.activities_changed), len(self.activities_removed),
                  len(self.indicators_new), len({c.ref for c in self.indicator_changes}), len(self.indicators_removed))
        for n, name in zip(counts, COUNTED, strict=True):
            if n and not (self.is_new_report and name.startswith("new")):
                items.append((f"preview.{name}", {"n": n}))
        if self.header_changes and not since:
            items.append(("preview.report_sheet_changed", {"fields": ", ".join(c.field for c in self.header_changes)}))
        for table in ("results", "risks"):
            a, b = self.counts_old.get(table, 0), self.counts_new.get(table, 0)
            if a != b and not self.is_new_report and not since:
                items.append((f"preview.{table}_count", {"old": a, "new": b}))
        if self.is_new_report:
            tables = ("activities", "indicators", "results", "risks")
            items.append(("preview.new_report_counts", {t: self.counts_new.get(t, 0) for t in tables}))
        before, since = self.status_before if not since else (self.status_old, since)
        if before != self.status_new:
            items.append(("preview.status_changed_since" if since else "preview.status_changed",
                          {"old": before, "new": self.status_new} | ({"period": since} if since else {})))
        else:
            items.append(("preview.status_stays_since" if since else "preview.status_stays",
                          {"new": self.status_new} | ({"period": since} if since else {})))
        return items

    def summary_in(self, lang: str) -> list[str]:
        """The summary in an interface language."""
        lines = []
        for key, values in self.summary_items():
            if key.startswith("preview.status_"):  # status codes -> their names in the language
                values = {k: translate(lang, f"status.{v}") if k in ("old", "new") else v for k, v in values.items()}
            if key.removeprefix("preview.") in COUNTED:
                lines.append(plural(lang, key, values["n"]))
            else:
                lines.append(translate(lang, key, **values))
        return lines


def _norm(v):
    """Compare cell values as the database keeps them: numbers as floats, blanks as None."""
    if isinstance(v, str):
        v = v.strip()
        return v or None
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, dt.datetime):
        return v.date()
    return v


def _key(ident) -> str:
    return str(ident or "").strip().casefold()


def _diff(old: dict, new: dict, fields: tuple[str, ...], ref: str, label: str) -> list[Change]:
    return [
        Change(ref, label, _LABELS.get(f, f), _norm(old.get(f)), _norm(new.get(f)))
        for f in fields
        if _norm(old.get(f)) != _norm(new.get(f))
    ]


def _match(old_rows: list[dict], new_rows: list[dict], id_key: str, fields: tuple[str, ...], label_key: str):
    old = {_key(r.get(id_key)): r for r in old_rows}
    new = {_key(r.get(id_key)): r for r in new_rows}
    added = [r for k, r in new.items() if k not in old]
    removed = [r for k, r in old.items() if k not in new]
    changes = []
    for k, r in new.items():
        if k in old:
            changes += _diff(old[k], r, fields, r.get(id_key), r.get(label_key) or "")
    return added, removed, changes


def _counts(report: spec.ReportData | None) -> dict[str, int]:
    if report is None:
        return {}
    return {s.key: len(getattr(report, s.key)) for s in spec.TABLE_SHEETS}


def computed_status(report: spec.ReportData | None, period_end: dt.date) -> str:
    if report is None:
        return rule.NOT_REPORTED
    return rule.report_status(report.indicators, report.activities, period_end)[0]


def compare(
    new: spec.ReportData,
    current: spec.ReportData | None,
    period_end: dt.date,
    previous: spec.ReportData | None = None,
) -> Preview:
    """What loading `new` changes, compared with the report `current` that is live for its
    quarter now, and (in .previous) with `previous`, last quarter's report of the same theme and
    sector (its header's period says which quarter; its status is taken at that quarter's end)."""
    p = _compare(new, current, period_end)
    if previous is not None:
        since = str(previous.header.get("period") or "")
        p.previous = _compare(new, previous, period_end, since, _period_end(since))
    return p


def _period_end(period: str) -> dt.date | None:
    try:
        return Period.parse(period).end
    except (ValueError, TypeError):
        return None


def _compare(new: spec.ReportData, current: spec.ReportData | None, period_end: dt.date,
             since: str | None = None, since_end: dt.date | None = None) -> Preview:  # fmt: skip
    old = current or spec.ReportData({})
    p = Preview(key=new.key, is_new_report=current is None, baseline_period=since or None)
    p.activities_new, p.activities_removed, p.activity_changes = _match(
        old.activities, new.activities, "activity_id", ACTIVITY_FIELDS, "title"
    )
    p.indicators_new, p.indicators_removed, p.indicator_changes = _match(
        old.indicators, new.indicators, "indicator_id", INDICATOR_FIELDS, "name"
    )
    if current is not None and not since:
        p.header_changes = _diff(current.header, new.header, HEADER_FIELDS, "", "Report")
    p.status_old = computed_status(current, since_end or period_end)
    p.status_new = computed_status(new, period_end)
    p.counts_old, p.counts_new = _counts(current), _counts(new)
    return p
