"""The status rule at each of its boundaries (isc/status.py docstring)."""

from __future__ import annotations

import datetime as dt

import pytest

from isc import status as S

# Baseline 0 on 2025-01-01, target 100 on 2025-12-31 (364 days). At END, the halfway point
# in time, the expected value is exactly 50, so progress = actual / 50.
B_DATE, T_DATE = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
END = dt.date(2025, 7, 2)  # 182 days after the baseline date
EPS = 1e-9


def ind(actual, baseline=0.0, target=100.0, baseline_date=B_DATE, target_date=T_DATE):
    return {
        "indicator_id": "I-1",
        "name": "Events",
        "baseline": baseline,
        "target": target,
        "baseline_date": baseline_date,
        "target_date": target_date,
        "actual": actual,
    }


def status(actual, **kw):
    return S.indicator_status(ind(actual, **kw), END).status


def test_expected_value_is_exactly_half_way():
    assert S.expected_value(0, B_DATE, 100, T_DATE, END) == 50.0


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (50.0, S.ON_TRACK),  # progress 1.0
        (45.0, S.ON_TRACK),  # progress exactly 0.90
        (45.0 - EPS, S.AT_RISK),  # just below 0.90
        (40.0, S.AT_RISK),  # progress exactly 0.80
        (40.0 - EPS, S.OFF_TRACK),  # just below 0.80
        (0.0, S.OFF_TRACK),
        (-10.0, S.OFF_TRACK),
        (99.0, S.ON_TRACK),
        (100.0, S.COMPLETED),  # target reached
        (120.0, S.COMPLETED),  # beyond target
    ],
)
def test_rising_indicator_boundaries(actual, expected):
    assert status(actual) == expected


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        # falling target: 100 -> 0; expected at END is 50; progress = (100 - actual) / 50
        (55.0, S.ON_TRACK),  # exactly 0.90
        (55.0 + EPS, S.AT_RISK),
        (60.0, S.AT_RISK),  # exactly 0.80
        (60.0 + EPS, S.OFF_TRACK),
        (0.0, S.COMPLETED),
        (-1.0, S.COMPLETED),
        (100.0, S.OFF_TRACK),
    ],
)
def test_falling_target(actual, expected):
    assert status(actual, baseline=100.0, target=0.0) == expected


def test_progress_detail_text():
    r = S.indicator_status(ind(45.0), END)
    assert r.detail == "actual 45 vs 50 expected by 2025-07-02 (90% of expected progress)"
    assert (r.key, r.params) == (S.PROGRESS, {"actual": "45", "expected": "50", "date": "2025-07-02", "progress": "90"})
    assert (r.kind, r.ref, r.label) == ("indicator", "I-1", "Events")


def test_nothing_expected_yet_is_on_track():
    # the period ends before the baseline date: expected == baseline
    r = S.indicator_status(ind(0.0, baseline_date=dt.date(2026, 1, 1), target_date=dt.date(2027, 1, 1)), END)
    assert (r.status, r.detail) == (S.ON_TRACK, "nothing expected yet")
    # on the baseline date itself, too
    assert S.indicator_status(ind(0.0, baseline_date=END, target_date=T_DATE), END).status == S.ON_TRACK


def test_missing_actual_is_at_risk():
    r = S.indicator_status(ind(None), END)
    assert (r.status, r.detail) == (S.AT_RISK, "no actual value reported")


def test_past_target_date_expects_the_full_target():
    late = dt.date(2026, 3, 31)
    assert S.expected_value(0, B_DATE, 100, T_DATE, late) == 100
    assert S.indicator_status(ind(90.0), late).status == S.ON_TRACK
    assert S.indicator_status(ind(89.0), late).status == S.AT_RISK


def act(i, status="In progress", end=dt.date(2026, 12, 31), pct=50):
    return {
        "activity_id": f"A-{i}",
        "title": f"Activity {i}",
        "status": status,
        "end_date": end,
        "percent_complete": pct,
    }


PAST = dt.date(2025, 3, 31)


def test_overdue_share_exactly_25_percent_is_at_risk():
    acts = [act(1, end=PAST)] + [act(i) for i in range(2, 5)]  # 1 of 4 open overdue
    status, reasons = S.activity_reasons(acts, END)
    assert status == S.AT_RISK
    assert [r.ref for r in reasons] == ["A-1"]
    assert reasons[0].detail == "overdue: due 2025-03-31, in progress at 50%"
    assert (reasons[0].key, reasons[0].params["status"]) == (S.OVERDUE, "in_progress")  # a code, said per language


def test_overdue_share_just_above_25_percent_is_off_track():
    acts = [act(1, end=PAST), act(2, end=PAST)] + [act(i) for i in range(3, 9)]  # 2 of 8 = 25%
    assert S.activity_reasons(acts, END)[0] == S.AT_RISK
    acts.pop()  # 2 of 7 open = 28.6%
    status, reasons = S.activity_reasons(acts, END)
    assert status == S.OFF_TRACK
    assert reasons[0].detail == "2 of 7 open activities overdue (over 25%)"
    assert (reasons[0].label, reasons[0].label_key) == ("Activities", S.LABEL_ACTIVITIES)


def test_completed_and_cancelled_activities_are_not_open():
    acts = [
        act(1, end=PAST, status="Completed"),
        act(2, end=PAST, status="Cancelled"),
        act(3, end=PAST),
        act(4),
        act(5),
        act(6),
    ]  # 1 of 4 open overdue
    assert S.activity_reasons(acts, END)[0] == S.AT_RISK


def test_end_date_on_period_end_is_not_overdue():
    assert S.activity_reasons([act(1, end=END)], END) == (S.ON_TRACK, [])
    assert S.activity_reasons([act(1, end=END - dt.timedelta(days=1))], END)[0] == S.OFF_TRACK


def test_delayed_activity_is_at_risk():
    status, reasons = S.activity_reasons([act(1, status="Delayed"), act(2)], END)
    assert status == S.AT_RISK
    assert [(r.ref, r.detail) for r in reasons] == [("A-1", "reported as delayed")]


def test_all_activities_completed():
    acts = [act(1, status="Completed"), act(2, status="Cancelled")]
    assert S.activity_reasons(acts, END) == (S.COMPLETED, [])


def test_no_activities_is_on_track():
    assert S.activity_reasons([], END) == (S.ON_TRACK, [])


def test_report_status_completed_only_when_everything_is():
    done = [act(1, status="Completed")]
    assert S.report_status([ind(100.0)], done, END)[0] == S.COMPLETED
    assert S.report_status([ind(100.0)], done + [act(2)], END)[0] == S.ON_TRACK
    assert S.report_status([ind(100.0), ind(50.0)], done, END)[0] == S.ON_TRACK


def test_report_status_is_the_worst():
    assert S.report_status([ind(50.0), ind(42.0)], [act(1)], END)[0] == S.AT_RISK
    assert S.report_status([ind(50.0)], [act(1, end=PAST)], END)[0] == S.OFF_TRACK
    assert S.report_status([ind(10.0)], [act(1)], END)[0] == S.OFF_TRACK


def test_empty_report_is_at_risk():
    status, reasons = S.report_status([], [], END)
    assert status == S.AT_RISK
    assert reasons[0].detail == "no indicators and no activities"


def test_worst_and_labels():
    assert S.worst([S.ON_TRACK, S.COMPLETED, S.AT_RISK]) == S.AT_RISK
    assert S.worst([S.COMPLETED, S.OFF_TRACK, S.AT_RISK]) == S.OFF_TRACK
    assert S.worst([]) == S.ON_TRACK
    assert S.LABELS[S.NOT_REPORTED] == "Not reported"
    assert (S.TOLERANCE, S.OVERDUE_SHARE) == (0.10, 0.25)
