"""A theme report as the core knows it: what the validator produces, the loader stores and the
database layer reads back (for the upload preview and a prefilled template).

It lives in the core, not in etl/, so that isc/ never imports the ETL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the core reads a Records table through its own methods only
    import pyarrow as pa

# The Sectors and roles a report's header names a contact for (Report sheet rows, in order).
SECTOR_ROLE_COLUMNS = ("ITU-R", "ITU-T", "ITU-D", "GS", "RO")


class Records(Sequence):
    """Rows of a large table kept as one Arrow table (columns "row", then the template's keys):
    it reads as the list of dicts the validator otherwise gives, each dict made only when the rows
    are read one by one. The status rule and the loader read `table` instead (a report may hold
    100,000 activities)."""

    def __init__(self, table: pa.Table):
        self.table = table
        self._dicts: list[dict] | None = None

    def dicts(self) -> list[dict]:
        if self._dicts is None:
            self._dicts = self.table.to_pylist()
        return self._dicts

    def __len__(self) -> int:
        return self.table.num_rows

    def __getitem__(self, i):
        return self.dicts()[i]

    def __iter__(self):
        return iter(self.dicts())

    def __eq__(self, other) -> bool:
        if isinstance(other, Records):
            other = other.dicts()
        return isinstance(other, list) and len(other) == len(self) and self.dicts() == other

    __hash__ = None

    def __repr__(self) -> str:
        return f"Records({self.table.num_rows} rows)"


@dataclass
class ReportData:
    """One validated theme report, ready to load (plain Python values; a large table may come as
    Records, which reads the same)."""

    header: dict
    activities: list[dict] | Records = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)
    risks: list[dict] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.header["theme"], self.header["period"], self.header["sector"])

    def row_count(self) -> int:
        return len(self.activities) + len(self.indicators) + len(self.results) + len(self.risks)
