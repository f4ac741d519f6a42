"""The theme-report workbook, declared once.

The template writer and the validator both read this declaration, so a column added here
appears in the template, is validated, and is loaded, with nothing else to keep in step.
Bump TEMPLATE_VERSION whenever a sheet or column changes: files stamped with an older
version are then recognised and rejected with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass

from isc import report

TEMPLATE_VERSION = "1.1"
# Files stamped with these versions are still read: 1.1 only added what 1.0 files may lack
# (optional columns, the hidden key sheet).
COMPATIBLE_TEMPLATE_VERSIONS = ("1.0", "1.1")

STATUSES = ("On track", "At risk", "Off track", "Completed", "Not started")
ACTIVITY_STATUSES = ("Planned", "In progress", "Delayed", "Completed", "Cancelled")
SECTOR_ROLES = ("Partner", "Joint")
SEVERITIES = ("Low", "Medium", "High")
RISK_KINDS = ("Risk", "Request for decision")
UNITS = ("%", "number", "events", "participants", "countries", "publications", "CHF", "days")
# Units with a natural bound: an indicator's baseline, target and actual lie from 0 to it
# (a percentage; a number of countries, at most the 194 Member States).
UNIT_BOUNDS: dict[str, float] = {"%": 100, "countries": 194}
# How an indicator's values of several Sectors combine into one figure for the theme; blank means
# the default of its unit (data/reference/units.csv).
COMBINE_CHOICES = ("Sum", "Maximum", "Average", "Per Sector only")


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: str = "text"  # text | number | percent | date | enum | sector
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int = 2000
    width: int = 18
    help: str = ""
    # May be absent from files made with an earlier template version (then read as blank).
    optional: bool = False


@dataclass(frozen=True)
class TableSheet:
    """A sheet with a header row (row 1) and one record per following row."""

    name: str
    key: str
    columns: tuple[Column, ...]
    help: str
    max_rows: int = 100_000
    required: bool = True


@dataclass(frozen=True)
class HeaderField:
    label: str
    key: str
    kind: str = "text"
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int = 4000
    help: str = ""


REPORT_SHEET = "Report"
INSTRUCTIONS_SHEET = "Instructions"
LISTS_SHEET = "Lists"
# A very hidden, protected sheet written by the template: what the file was made for. Cells
# A1:B5 hold the pairs ("template_version", v), ("theme", code), ("period", "2025-Q3"),
# ("sector", code), ("made_at", ISO timestamp). Files without it (older templates) are read
# without the key check.
KEY_SHEET = "_key"
KEY_FIELDS = ("template_version", "theme", "period", "sector", "made_at")

# Dropdown values in other languages -> the canonical (English) value the loader stores:
# CHOICE_ALIASES[lang][label] = canonical. The template in that language offers these labels;
# the validator accepts them in any file. The template offers the first label of each value;
# later labels of the same value are other spellings accepted on upload.
CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "fr": {
        # STATUSES
        "En bonne voie": "On track",
        "À risque": "At risk",
        "Hors trajectoire": "Off track",
        "Terminé": "Completed",
        "Non commencé": "Not started",
        # ACTIVITY_STATUSES (and "Terminé" above)
        "Prévu": "Planned",
        "En cours": "In progress",
        "En retard": "Delayed",
        "Annulé": "Cancelled",
        # SECTOR_ROLES
        "Partenaire": "Partner",
        "Conjoint": "Joint",
        # SEVERITIES
        "Faible": "Low",
        "Modéré": "Medium",
        "Élevé": "High",
        # RISK_KINDS
        "Risque": "Risk",
        "Demande de décision": "Request for decision",
        # UNITS
        "%": "%",
        "nombre": "number",
        "événements": "events",
        "participants": "participants",
        "pays": "countries",
        "publications": "publications",
        "CHF": "CHF",
        "jours": "days",
        # COMBINE_CHOICES
        "Somme": "Sum",
        "Maximum": "Maximum",
        "Moyenne": "Average",
        "Par Secteur uniquement": "Per Sector only",
        # other spellings (feminine agreement with "activité", "gravité")
        "Terminée": "Completed",
        "Prévue": "Planned",
        "Retardée": "Delayed",
        "Annulée": "Cancelled",
        "Conjointe": "Joint",
        "Modérée": "Medium",
        "Élevée": "High",
    },
}

HEADER_FIELDS: tuple[HeaderField, ...] = (
    HeaderField("Template version", "template_version", help="Filled in by the template; do not change."),
    HeaderField("Theme", "theme", "theme", help="Pick the theme from the list."),
    HeaderField("Period", "period", "period", help="Reporting quarter, e.g. 2025-Q3."),
    HeaderField("Reporting sector", "sector", "sector", help="The Sector, the GS or the regional offices."),
    HeaderField("Self-assessed status", "self_status", "enum", choices=STATUSES),
    HeaderField("Narrative summary", "summary", required=False, help="Progress in a few sentences."),
    HeaderField("Prepared by", "prepared_by", required=False, max_length=200),
)

SECTOR_ROLE_COLUMNS = report.SECTOR_ROLE_COLUMNS

ACTIVITIES = TableSheet(
    "Activities",
    "activities",
    (
        Column("Activity ID", "activity_id", required=True, max_length=40, width=12,
               help="A short stable code (e.g. A-01); keep it from one quarter to the next."),
        Column("Title", "title", required=True, max_length=300, width=40),
        Column("Description", "description", max_length=4000, width=40),
        Column("Lead sector", "lead_sector", "sector", required=True, width=12),
        *(
            Column(f"{code} role", f"role_{code}", "enum", choices=SECTOR_ROLES, width=11,
                   help=f"Partner or Joint if {code} takes part; blank otherwise.")
            for code in SECTOR_ROLE_COLUMNS
        ),
        Column("Status", "status", "enum", required=True, choices=ACTIVITY_STATUSES, width=13),
        Column("Start date", "start_date", "date", width=12),
        Column("End date", "end_date", "date", width=12),
        Column("Percent complete", "percent_complete", "percent", width=10, help="0 to 100."),
        Column("Result achieved", "result", max_length=4000, width=40),
    ),
    "One row per activity of the theme that your sector leads or takes part in.",
)

INDICATORS = TableSheet(
    "Indicators",
    "indicators",
    (
        Column("Indicator ID", "indicator_id", required=True, max_length=40, width=12),
        Column("Name", "name", required=True, max_length=300, width=40),
        Column("Unit", "unit", "enum", required=True, choices=UNITS, width=12),
        Column("Baseline", "baseline", "number", required=True, width=11),
        Column("Baseline date", "baseline_date", "date", required=True, width=13),
        Column("Target", "target", "number", required=True, width=11),
        Column("Target date", "target_date", "date", required=True, width=13),
        Column("Actual", "actual", "number", width=11, help="Value at the end of the period."),
        Column("Comment", "comment", max_length=2000, width=30),
        Column("Combine across Sectors", "combine", "enum", choices=COMBINE_CHOICES, width=14, optional=True,
               help="How this indicator adds up with other Sectors' values; blank = the unit's default."),
    ),
    "One row per indicator; the actual value is the value at the end of the reporting period.",
    required=True,
)

RESULTS = TableSheet(
    "Results",
    "results",
    (
        Column("Title", "title", required=True, max_length=300, width=40),
        Column("Description", "description", max_length=4000, width=50),
        Column("Date", "date", "date", width=12),
        Column("Link", "link", max_length=500, width=30),
    ),
    "Concrete results achieved this period (publications, events, agreements).",
)

RISKS = TableSheet(
    "Risks",
    "risks",
    (
        Column("Type", "kind", "enum", required=True, choices=RISK_KINDS, width=18),
        Column("Description", "description", required=True, max_length=4000, width=50),
        Column("Severity", "severity", "enum", choices=SEVERITIES, width=10),
        Column("Mitigation or decision requested", "mitigation", max_length=4000, width=40),
        Column("Owner", "owner", max_length=200, width=18),
        Column("Due date", "due_date", "date", width=12),
    ),
    "Risks to the theme, and requests for a decision by the ISC-TF or a supervising body.",
)

TABLE_SHEETS: tuple[TableSheet, ...] = (ACTIVITIES, INDICATORS, RESULTS, RISKS)
SHEET_ORDER = (INSTRUCTIONS_SHEET, REPORT_SHEET, *(s.name for s in TABLE_SHEETS), LISTS_SHEET)

# The validator's output lives in the core (isc.report): the database layer reads reports back in
# the same shape without importing the ETL.
ReportData = report.ReportData
