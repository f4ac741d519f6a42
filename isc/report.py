"""A theme report as the core knows it: what the validator produces, the loader stores and the
database layer reads back (for the upload preview and a prefilled template).

It lives in the core, not in etl/, so that isc/ never imports the ETL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The Sectors and roles a report's header names a contact for (Report sheet rows, in order).
SECTOR_ROLE_COLUMNS = ("ITU-R", "ITU-T", "ITU-D", "GS", "RO")


@dataclass
class ReportData:
    """One validated theme report, ready to load (plain Python values)."""

    header: dict
    activities: list[dict] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)
    risks: list[dict] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.header["theme"], self.header["period"], self.header["sector"])

    def row_count(self) -> int:
        return len(self.activities) + len(self.indicators) + len(self.results) + len(self.risks)
