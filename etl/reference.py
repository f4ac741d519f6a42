"""Reference data: the CSV files under data/reference/, read into plain Python.

The secretariat edits those files; nothing about themes, tracks or resolutions is in code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"

TABLES = (
    "sectors",
    "bodies",
    "tracks",
    "themes",
    "resolutions",
    "sector_resolutions",
    "resolution_links",
    "theme_resolutions",
    "focal_points",
    "iscg_coordinators",
    "users",
    "units",
)


class ReferenceError(ValueError):
    """A reference CSV the secretariat edited cannot be read as it stands; the message says where."""


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = []
        for row in reader:
            if None in row:  # more cells than headers: usually a comma in an unquoted text
                raise ReferenceError(
                    f"{path.name}, line {reader.line_num}: {len(reader.fieldnames or []) + len(row[None])} cells "
                    f"for {len(reader.fieldnames or [])} columns; put a text that holds a comma in double quotes")
            rows.append({k: (v or "").strip() for k, v in row.items()})
        return rows


@dataclass(frozen=True)
class Reference:
    tables: dict[str, list[dict[str, str]]]

    @classmethod
    def load(cls, directory: Path | str = REFERENCE_DIR) -> Reference:
        directory = Path(directory)
        return cls({name: read_csv(directory / f"{name}.csv") for name in TABLES})

    def __getitem__(self, name: str) -> list[dict[str, str]]:
        return self.tables[name]

    @cached_property
    def sector_codes(self) -> tuple[str, ...]:
        return tuple(r["code"] for r in self["sectors"])

    @cached_property
    def theme_names(self) -> dict[str, str]:
        """Theme code -> name, for every theme ever listed (history included)."""
        return {r["code"]: r["name"] for r in self["themes"]}

    @cached_property
    def reportable_themes(self) -> dict[str, str]:
        """Themes a report may be filed for: active or proposed ones."""
        return {r["code"]: r["name"] for r in self["themes"] if r["state"] in ("active", "proposed")}

    def participants(self, theme: str, period: str | None = None) -> list[str]:
        """The reporting units that owe a report on `theme` (in `period`, when given)."""
        return [r["sector"] for r in self["focal_points"]
                if r["theme"] == theme and (period is None or assignment_valid(r, period))]

    def assignment(self, theme: str, sector: str, period: str) -> dict[str, str] | None:
        """The focal point assignment of (theme, sector) valid in `period`, or None: no report is
        owed, and none is accepted, without one."""
        for r in self["focal_points"]:
            if r["theme"] == theme and r["sector"] == sector and assignment_valid(r, period):
                return r
        return None


ASSIGNMENTS_MAINTAINER = "the ISC secretariat (data/reference/focal_points.csv)"


def assignment_valid(row: dict[str, str], period: str) -> bool:
    """An assignment is valid in a quarter it overlaps: valid_from <= quarter end and
    (valid_to blank or >= quarter start). Blank dates mean open-ended."""
    from isc.periods import Period

    p = Period.parse(period)
    start, end = (row.get("valid_from") or ""), (row.get("valid_to") or "")
    return (not start or start <= p.end.isoformat()) and (not end or end >= p.start.isoformat())
