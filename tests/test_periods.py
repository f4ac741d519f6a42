"""Reporting periods: parsing, boundaries, neighbours across year ends, due dates."""

from __future__ import annotations

import datetime as dt

import pytest

from isc.periods import Period, period_range


@pytest.mark.parametrize(
    "text", ["2025-Q3", "2025Q3", "2025 q3", " 2025-q3 ", "Q3 2025", "q3-2025", "Q3/2025"]
)
def test_parse_accepted_forms(text):
    assert Period.parse(text) == Period(2025, 3)


@pytest.mark.parametrize("text", ["2025-Q5", "2025-Q0", "2025", "Q3", "25-Q3", "2025-03", "", "2025-Q3x"])
def test_parse_rejects(text):
    with pytest.raises(ValueError, match="not a quarter like 2025-Q3"):
        Period.parse(text)


def test_str_round_trip():
    assert str(Period(2025, 3)) == "2025-Q3"
    assert Period.parse(str(Period(1999, 1))) == Period(1999, 1)


@pytest.mark.parametrize(
    ("q", "start", "end"),
    [
        (1, dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        (2, dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
        (3, dt.date(2024, 7, 1), dt.date(2024, 9, 30)),
        (4, dt.date(2024, 10, 1), dt.date(2024, 12, 31)),
    ],
)
def test_start_and_end(q, start, end):
    p = Period(2024, q)
    assert (p.start, p.end) == (start, end)


def test_containing():
    assert Period.containing(dt.date(2025, 3, 31)) == Period(2025, 1)
    assert Period.containing(dt.date(2025, 4, 1)) == Period(2025, 2)
    assert Period.containing(dt.date(2025, 12, 31)) == Period(2025, 4)


def test_next_and_previous_across_year_boundaries():
    assert Period(2025, 4).next() == Period(2026, 1)
    assert Period(2026, 1).previous() == Period(2025, 4)
    assert Period(2025, 1).next() == Period(2025, 2)
    assert Period(2025, 3).previous() == Period(2025, 2)
    p = Period(2023, 2)
    for _ in range(9):
        assert p.next().previous() == p
        p = p.next()
    assert p == Period(2025, 3)


def test_order():
    assert Period(2024, 4) < Period(2025, 1) < Period(2025, 2)
    assert sorted([Period(2025, 1), Period(2024, 4), Period(2024, 1)]) == [
        Period(2024, 1),
        Period(2024, 4),
        Period(2025, 1),
    ]


def test_due_date():
    assert Period(2025, 3).due_date() == dt.date(2025, 10, 15)
    assert Period(2025, 4).due_date() == dt.date(2026, 1, 15)
    assert Period(2025, 1).due_date(0) == dt.date(2025, 3, 31)
    assert Period(2025, 1).due_date(30) == dt.date(2025, 4, 30)


def test_period_range():
    assert [str(p) for p in period_range("2024-Q3", "2025-Q2")] == [
        "2024-Q3",
        "2024-Q4",
        "2025-Q1",
        "2025-Q2",
    ]
    assert period_range(Period(2025, 1), Period(2025, 1)) == [Period(2025, 1)]
    assert period_range("2025-Q2", "2025-Q1") == []
