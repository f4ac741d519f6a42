"""The filters every page and query shares, as one value.

A Filters is frozen and hashable, so it is a cache key as it is, and queries take it whole
instead of the same loose arguments each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Filters:
    period: str | None = None  # "2026-Q3"
    track: str | None = None  # track code
    sector: str | None = None  # sector code
    theme: str | None = None  # theme code

    def but(self, **changes) -> Filters:
        """A copy with some fields changed: `f.but(theme=None)`."""
        return replace(self, **changes)

    def sql_params(self) -> dict:
        """The named SQL parameters isc/db/queries.py uses ($p, $tr, $s, $th)."""
        return {"p": self.period, "tr": self.track, "s": self.sector, "th": self.theme}
