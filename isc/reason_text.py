"""The "why" of a computed status, in the reader's language.

isc/status.py writes each reason's detail as an English sentence when a report is loaded, and
the database keeps it (so an old "why" stays what it was at the time). To show it in another
language, the sentence is read back with the patterns below, one per sentence status.py can
write, and rendered from the catalogue key `reason.<name>` with the same values. A detail that
matches no pattern is shown as stored. tests/test_reason_text.py runs every branch of the rule
and checks that each detail is recognised and that English renders back to the same sentence.
"""

from __future__ import annotations

import re

from isc.i18n import DEFAULT, translate

_NUMBER = r"-?[\d.e+]+"
PATTERNS: dict[str, re.Pattern] = {  # the most frequent first
    "progress": re.compile(
        rf"actual (?P<actual>{_NUMBER}) vs (?P<expected>{_NUMBER}) expected by (?P<date>[\d-]+) "
        rf"\((?P<progress>-?\d+)% of expected progress\)"
    ),
    "overdue": re.compile(r"overdue: due (?P<date>[\d-]+), (?P<status>[a-z ]+) at (?P<percent>[\d.]+)%"),
    "target_reached": re.compile(rf"target (?P<target>{_NUMBER}) reached \((?P<actual>{_NUMBER})\)"),
    "no_actual": re.compile(r"no actual value reported"),
    "nothing_expected": re.compile(r"nothing expected yet"),
    "delayed": re.compile(r"reported as delayed"),
    "overdue_share": re.compile(
        r"(?P<overdue>\d+) of (?P<open>\d+) open activities overdue \(over (?P<limit>\d+)%\)"
    ),
    "empty_report": re.compile(r"no indicators and no activities"),
}
# Labels status.py gives to the reasons that are not one indicator or activity.
LABELS = {"Activities": "reason.label.activities", "Report": "reason.label.report"}
KINDS = ("indicator", "activity", "report")


def detail(text: str | None, lang: str = DEFAULT) -> str | None:
    """A stored reason detail in `lang` (unchanged for English or an unknown sentence)."""
    if not isinstance(text, str) or lang == DEFAULT:
        return text
    for name, pattern in PATTERNS.items():
        m = pattern.fullmatch(text)
        if m:
            values = m.groupdict()
            if "status" in values:
                key = values["status"].replace(" ", "_")
                values["status"] = translate(lang, f"reason.activity_status.{key}")
            return translate(lang, f"reason.{name}", **values)
    return text


def label(text: str | None, lang: str = DEFAULT) -> str | None:
    """The label of a reason ("Activities", "Report" are the rule's own words; others are data)."""
    if lang == DEFAULT or text not in LABELS:
        return text
    return translate(lang, LABELS[text])


def kind(text: str | None, lang: str = DEFAULT) -> str | None:
    """"indicator", "activity" or "report" in `lang`."""
    return translate(lang, f"reason.kind.{text}") if lang != DEFAULT and text in KINDS else text
