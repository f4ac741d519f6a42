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
)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


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

    def participants(self, theme: str) -> list[str]:
        return [r["sector"] for r in self["focal_points"] if r["theme"] == theme]
