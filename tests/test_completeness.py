"""Reporting completeness: on time / late / missing at the period and due-date boundaries."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from etl.load import load_bytes
from etl.reference import Reference
from etl.template import template_bytes
from isc import completeness as comp
from isc.db import coordination

Q3 = "2025-Q3"  # ends 2025-09-30; due 15 days later = 2025-10-15


def _expected(*pairs):
    return pd.DataFrame(
        [
            {
                "theme": t,
                "sector": s,
                "track": "x",
                "focal_point": f"fp {s}",
                "email": f"{s.lower()}@example.org",
            }
            for t, s in pairs
        ]
    )


def _uploads(*rows):
    return pd.DataFrame(rows, columns=["theme", "period", "sector", "first_uploaded_at", "live"])


NOW = dt.datetime(2026, 1, 1)


@pytest.mark.parametrize(
    ("uploaded_at", "expected"),
    [
        (dt.datetime(2025, 10, 15, 0, 0), comp.ON_TIME),  # on the due date
        (dt.datetime(2025, 10, 15, 23, 59, 59), comp.ON_TIME),  # last second of the due date
        (dt.datetime(2025, 10, 16, 0, 0, 0), comp.LATE),  # a second later: the next day
        (dt.datetime(2025, 10, 16, 0, 0, 1), comp.LATE),
        (dt.datetime(2025, 11, 20, 9, 0), comp.LATE),
        (dt.datetime(2025, 9, 30, 12, 0), comp.ON_TIME),  # before the quarter even ended
    ],
)
def test_due_date_boundary(uploaded_at, expected):
    assert comp.classify(uploaded_at, True, Q3, 15, NOW) == expected


def test_due_date_follows_the_grace_days():
    at = dt.datetime(2025, 10, 20, 10, 0)
    assert comp.classify(at, True, Q3, 15, NOW) == comp.LATE
    assert comp.classify(at, True, Q3, 20, NOW) == comp.ON_TIME
    assert comp.classify(at, True, Q3, 19, NOW) == comp.LATE
    assert comp.deadline(Q3, 0) == dt.datetime(2025, 10, 1)


@pytest.mark.parametrize(
    ("period", "first_late_instant"),
    [
        ("2025-Q1", dt.datetime(2025, 4, 16)),  # 31 March + 15 days
        ("2025-Q2", dt.datetime(2025, 7, 16)),  # 30 June + 15
        ("2025-Q4", dt.datetime(2026, 1, 16)),  # crosses the year
        ("2024-Q1", dt.datetime(2024, 4, 16)),  # leap year: March still has 31 days
    ],
)
def test_quarter_boundaries(period, first_late_instant):
    assert comp.deadline(period, 15) == first_late_instant
    just_before = first_late_instant - dt.timedelta(seconds=1)
    assert comp.classify(just_before, True, period, 15, NOW + dt.timedelta(days=365)) == comp.ON_TIME
    assert comp.classify(first_late_instant, True, period, 15, NOW + dt.timedelta(days=365)) == comp.LATE


def test_missing_only_once_the_due_date_has_passed():
    assert comp.classify(None, False, Q3, 15, dt.datetime(2025, 10, 15, 23, 59)) == comp.NOT_DUE
    assert comp.classify(None, False, Q3, 15, dt.datetime(2025, 10, 16, 0, 0)) == comp.MISSING
    # an upload that has been undone (no live report) counts as missing
    assert comp.classify(dt.datetime(2025, 10, 1), False, Q3, 15, NOW) == comp.MISSING


def test_table_and_rates_count_each_expected_report_once():
    expected = _expected(("CLIM", "ITU-R"), ("CLIM", "ITU-T"), ("CLIM", "ITU-D"), ("GEN", "ITU-D"))
    uploads = _uploads(
        ("CLIM", Q3, "ITU-R", pd.Timestamp("2025-10-15 18:00"), True),
        ("CLIM", Q3, "ITU-T", pd.Timestamp("2025-10-16 08:00"), True),
        ("GEN", Q3, "ITU-D", pd.Timestamp("2025-10-10 08:00"), True),
        ("CLIM", "2025-Q4", "ITU-D", pd.Timestamp("2026-01-02 08:00"), True),
        ("OTHER", Q3, "ITU-D", pd.Timestamp("2025-10-02 08:00"), True),  # not expected: ignored
    )
    t = comp.table(expected, uploads, [Q3, "2025-Q4"], 15, now=dt.datetime(2026, 1, 10))
    this = t[t["period"] == Q3].set_index(["theme", "sector"])["status"]
    assert this.to_dict() == {
        ("CLIM", "ITU-R"): comp.ON_TIME,
        ("CLIM", "ITU-T"): comp.LATE,
        ("CLIM", "ITU-D"): comp.MISSING,
        ("GEN", "ITU-D"): comp.ON_TIME,
    }
    q4 = t[t["period"] == "2025-Q4"]["status"].value_counts().to_dict()
    assert q4 == {comp.NOT_DUE: 3, comp.ON_TIME: 1}  # Q4 due 2026-01-15, "now" is 10 January
    r = comp.rates(t, "period").set_index("period")
    assert r.loc[Q3, "expected"] == 4
    assert r.loc[Q3, "completeness"] == 75.0
    assert r.loc[Q3, "on_time_rate"] == 50.0
    assert r.loc["2025-Q4", "expected"] == 1  # not-yet-due reports are left out of the rates
    by_sector = comp.rates(t[t["period"] == Q3], "sector").set_index("sector")
    assert by_sector.loc["ITU-D", "missing"] == 1 and by_sector.loc["ITU-D", "on_time"] == 1
    late_row = t[(t["period"] == Q3) & (t["sector"] == "ITU-T")].iloc[0]
    assert late_row["days_late"] == 1
    overdue = comp.overdue(t, Q3)
    assert overdue[["theme", "sector", "email"]].to_dict("records") == [
        {"theme": "CLIM", "sector": "ITU-D", "email": "itu-d@example.org"}
    ]
    assert overdue["days_overdue"].iloc[0] == (dt.date(2026, 1, 10) - dt.date(2025, 10, 15)).days


def test_themes_outside_their_validity_are_not_expected():
    expected = _expected(("NEW", "ITU-T"))
    expected["valid_from"] = pd.Timestamp("2025-10-01")
    expected["valid_to"] = pd.NaT
    t = comp.table(expected, _uploads(), ["2025-Q3", "2025-Q4"], 15, now=dt.datetime(2026, 6, 1))
    assert t["period"].tolist() == ["2025-Q4"]


def test_first_upload_time_not_the_revision(empty_db):
    """A report first uploaded on time and revised after the due date stays on time."""
    ref = Reference.load()
    theme = "CLIM"
    sector = ref.participants(theme)[0]
    data = template_bytes(ref, theme, Q3, sector, _report())
    data2 = template_bytes(ref, theme, Q3, sector, _report("Revised."))
    assert load_bytes(data, "a.xlsx", db=empty_db, ref=ref, uploaded_at=dt.datetime(2025, 10, 14, 9)).accepted
    assert load_bytes(data2, "b.xlsx", db=empty_db, ref=ref, uploaded_at=dt.datetime(2025, 11, 3, 9)).accepted
    ups = coordination.first_uploads(empty_db)
    row = ups[(ups["theme"] == theme) & (ups["sector"] == sector)].iloc[0]
    assert row["first_uploaded_at"] == pd.Timestamp("2025-10-14 09:00")
    assert row["uploads"] == 2 and bool(row["live"])
    t = comp.table(coordination.expected_reports(empty_db), ups, [Q3], 15, now=dt.datetime(2026, 1, 1))
    mine = t[(t["theme"] == theme) & (t["sector"] == sector)]
    assert mine["status"].tolist() == [comp.ON_TIME]
    assert (t["status"] == comp.MISSING).sum() == len(t) - 1


def _report(extra: str = ""):
    from etl import spec

    header = {"self_status": "On track", "summary": f"Test report. {extra}", "prepared_by": "test"}
    acts = [
        {
            "activity_id": "A-1",
            "title": "Test activity",
            "description": "d",
            "lead_sector": "ITU-T",
            "status": "In progress",
            "start_date": dt.date(2025, 1, 1),
            "end_date": dt.date(2026, 12, 31),
            "percent_complete": 40,
        }
    ]
    inds = [
        {
            "indicator_id": "I-1",
            "name": "Things",
            "unit": "number",
            "baseline": 0,
            "baseline_date": dt.date(2025, 1, 1),
            "target": 10,
            "target_date": dt.date(2026, 12, 31),
            "actual": 3,
            "comment": None,
        }
    ]
    return spec.ReportData(header, acts, inds, [], [])
