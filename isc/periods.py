"""Reporting periods are calendar quarters written `YYYY-Qn` (e.g. `2025-Q3`).

Everything that compares dates with a period (interpolated targets, overdue activities,
due dates of reports) goes through these helpers so the boundaries are decided once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

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

    def due_date(self, grace_days: int = 15) -> dt.date:
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
