"""Reporting periods are calendar quarters written `YYYY-Qn` (e.g. `2025-Q3`).

Everything that compares dates with a period (interpolated targets, overdue activities,
due dates of reports) goes through these helpers so the boundaries are decided once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from isc.settings import GRACE_DAYS, environment

_PERIOD = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)
_PERIOD_REVERSED = re.compile(r"^\s*Q([1-4])\s*[- /]?\s*(\d{4})\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Period:
    year: int
    quarter: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Accept `2025-Q3`, `2025Q3`, `2025 q3` and `Q3 2025`; raise ValueError otherwise."""
        text = str(text)
        if m := _PERIOD.match(text):
            return cls(int(m[1]), int(m[2]))
        if m := _PERIOD_REVERSED.match(text):
            return cls(int(m[2]), int(m[1]))
        raise ValueError(f"not a quarter like 2025-Q3: {text!r}")

    @classmethod
    def containing(cls, day: dt.date) -> Period:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> dt.date:
        nxt = self.next()
        return nxt.start - dt.timedelta(days=1)

    def next(self) -> Period:
        return Period(self.year + self.quarter // 4, self.quarter % 4 + 1)

    def previous(self) -> Period:
        return Period(self.year - (self.quarter == 1), (self.quarter - 2) % 4 + 1)

    def due_date(self, grace_days: int = GRACE_DAYS) -> dt.date:
        """Reports for a quarter are due `grace_days` after it ends."""
        return self.end + dt.timedelta(days=grace_days)


def period_range(first: Period | str, last: Period | str) -> list[Period]:
    a = first if isinstance(first, Period) else Period.parse(first)
    b = last if isinstance(last, Period) else Period.parse(last)
    out = []
    while a <= b:
        out.append(a)
        a = a.next()
    return out


def today() -> dt.date:
    """Today, or the date in $ISC_TODAY (YYYY-MM-DD): tests and demos pin it so that "the last
    quarter that has ended" does not move under them."""
    return environment().today or dt.date.today()


def latest_ended(on: dt.date | None = None) -> Period:
    """The latest quarter that has ended on `on`: its reports are due (or nearly: within the
    grace days after its end). This is the quarter every page opens on."""
    return Period.containing(on or today()).previous()


def available(live_periods: list[str], on: dt.date | None = None) -> list[str]:
    """The quarters a user can choose, oldest first: from the first quarter with a live report
    to the latest that has ended (whose reports are owed, received or not), plus any later
    quarter that already has a live report (an early report is visible when chosen). A quarter
    that only an undone upload ever touched does not exist."""
    if not live_periods:
        return []
    have = sorted(Period.parse(p) for p in live_periods)
    last = max(have[-1], latest_ended(on))
    ended = latest_ended(on)
    return [str(p) for p in period_range(have[0], last) if p <= ended or p in have]


def default_period(choices: list[str], on: dt.date | None = None) -> str | None:
    """The latest quarter that has ended, if it can be chosen; else the latest one before it;
    else (only future quarters have reports) the earliest."""
    if not choices:
        return None
    ended = str(latest_ended(on))
    past = [p for p in choices if p <= ended]
    return past[-1] if past else choices[0]


def sql_start(expr: str) -> str:
    """The first day of the quarter `expr` ('2025-Q3') as a DuckDB DATE expression."""
    return f"make_date(CAST(left({expr}, 4) AS INTEGER), CAST(right({expr}, 1) AS INTEGER) * 3 - 2, 1)"


def sql_end(expr: str) -> str:
    """The last day of the quarter `expr` as a DuckDB DATE expression."""
    return f"CAST({sql_start(expr)} + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE)"


def sql_valid(alias: str, expr: str) -> str:
    """Rows of `alias` (with valid_from / valid_to dates, NULL = open) valid in quarter `expr`."""
    return (f"({alias}.valid_from IS NULL OR {alias}.valid_from <= {sql_end(expr)}) AND "
            f"({alias}.valid_to IS NULL OR {alias}.valid_to >= {sql_start(expr)})")
