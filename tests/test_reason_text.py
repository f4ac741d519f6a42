"""Every sentence the status rule writes is recognised, and reads back in English unchanged."""

from __future__ import annotations

import datetime as dt

import pytest

from isc import reason_text, status
from isc.i18n import translate

END = dt.date(2025, 9, 30)


def indicator(**over) -> dict:
    rec = {"indicator_id": "I-1", "name": "Joint events", "baseline": 0.0, "baseline_date": dt.date(2025, 1, 1),
           "target": 10.0, "target_date": dt.date(2025, 12, 31), "actual": 7.4}  # fmt: skip
    return rec | over


def activity(**over) -> dict:
    rec = {"activity_id": "A-1", "title": "Joint workshop", "status": "In progress",
           "end_date": dt.date(2025, 6, 30), "percent_complete": 40}  # fmt: skip
    return rec | over


def every_reason() -> list[status.Reason]:
    """One reason from every branch of the rule."""
    reasons = [
        status.indicator_status(indicator(actual=None), END),
        status.indicator_status(indicator(actual=12.5), END),
        status.indicator_status(indicator(baseline_date=dt.date(2026, 1, 1), target_date=dt.date(2027, 1, 1)), END),
        status.indicator_status(indicator(actual=2.25), END),
        status.indicator_status(indicator(baseline=10.0, target=2.0, actual=9.5), END),  # falling target
    ]
    for s in ("Planned", "In progress", "Delayed"):
        reasons += status.activity_reasons([activity(status=s, percent_complete=12.5)], END)[1]
    reasons += status.activity_reasons([activity(status="Delayed", end_date=dt.date(2026, 6, 30))], END)[1]
    reasons += status.report_status([], [], END)[1]
    return reasons


def test_the_branches_give_every_kind_of_sentence():
    reasons = every_reason()
    matched = {name for r in reasons for name, p in reason_text.PATTERNS.items() if p.fullmatch(r.detail)}
    assert matched == set(reason_text.PATTERNS)
    assert any(r.label == "Activities" for r in reasons) and any(r.label == "Report" for r in reasons)


@pytest.mark.parametrize("reason", every_reason(), ids=lambda r: r.detail)
def test_english_catalogue_renders_the_same_sentence(reason):
    [(name, m)] = [(n, p.fullmatch(reason.detail)) for n, p in reason_text.PATTERNS.items() if p.fullmatch(reason.detail)]
    values = m.groupdict()
    if "status" in values:
        values["status"] = translate("en", f"reason.activity_status.{values['status'].replace(' ', '_')}")
    assert translate("en", f"reason.{name}", **values) == reason.detail
    assert reason_text.detail(reason.detail, "en") == reason.detail


def test_french_details_and_labels():
    text = status.indicator_status(indicator(actual=2.25), END).detail
    assert reason_text.detail(text, "fr").startswith("valeur réelle 2.25 pour ")
    overdue = next(r.detail for r in status.activity_reasons([activity()], END)[1] if r.ref == "A-1")
    assert reason_text.detail(overdue, "fr") == "en retard\u00a0: échéance 2025-06-30, en cours à 40 %"
    assert reason_text.label("Activities", "fr") == "Activités"
    assert reason_text.label("Joint workshop", "fr") == "Joint workshop"  # data stays as typed
    assert reason_text.detail("a sentence from elsewhere", "fr") == "a sentence from elsewhere"
