"""The "why" of a status is a catalogue key and its values: stored as such, rendered per language.

English renders every branch of the rule to the sentence it always showed; a database written
before schema 7 (English sentences) is carried over once by the migration and shows the same.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from isc import i18n
from isc import status as S
from isc.db import queries, schema

END = dt.date(2025, 9, 30)


def indicator(**over) -> dict:
    rec = {"indicator_id": "I-1", "name": "Joint events", "baseline": 0.0, "baseline_date": dt.date(2025, 1, 1),
           "target": 10.0, "target_date": dt.date(2025, 12, 31), "actual": 7.4}  # fmt: skip
    return rec | over


def activity(**over) -> dict:
    rec = {"activity_id": "A-1", "title": "Joint workshop", "status": "In progress",
           "end_date": dt.date(2025, 6, 30), "percent_complete": 40}  # fmt: skip
    return rec | over


# One reason from every branch of the rule, with the English sentence it has always shown.
BRANCHES = [
    (lambda: [S.indicator_status(indicator(actual=None), END)], ["no actual value reported"]),
    (lambda: [S.indicator_status(indicator(actual=12.5), END)], ["target 10 reached (12.5)"]),
    (lambda: [S.indicator_status(indicator(baseline_date=dt.date(2026, 1, 1), target_date=dt.date(2027, 1, 1)), END)],
     ["nothing expected yet"]),
    (lambda: [S.indicator_status(indicator(actual=2.25), END)],
     ["actual 2.25 vs 7.473 expected by 2025-09-30 (30% of expected progress)"]),
    (lambda: [S.indicator_status(indicator(baseline=10.0, target=2.0, actual=9.5), END)],  # falling target
     ["actual 9.5 vs 4.022 expected by 2025-09-30 (8% of expected progress)"]),
    (lambda: S.activity_reasons([activity(status="Planned", percent_complete=12.5)], END)[1],
     ["1 of 1 open activities overdue (over 25%)", "overdue: due 2025-06-30, planned at 12.5%"]),
    (lambda: S.activity_reasons([activity()], END)[1],
     ["1 of 1 open activities overdue (over 25%)", "overdue: due 2025-06-30, in progress at 40%"]),
    (lambda: S.activity_reasons([activity(status="Delayed", end_date=dt.date(2026, 6, 30))], END)[1],
     ["reported as delayed"]),
    (lambda: S.report_status([], [], END)[1], ["no indicators and no activities"]),
]


@pytest.mark.parametrize(("make", "sentences"), BRANCHES)
def test_english_renders_the_sentences_the_rule_always_showed(make, sentences):
    reasons = make()
    assert [r.detail for r in reasons] == sentences
    assert [S.detail_text(r.key, json.dumps(r.params) if r.params else None) for r in reasons] == sentences


def test_every_reason_key_is_used_and_in_every_catalogue():
    keys = {r.key for make, _ in BRANCHES for r in make()}
    assert keys == set(S.REASON_KEYS)
    for lang in i18n.languages():
        assert set(S.REASON_KEYS) <= i18n.keys(lang)


def test_french_details_labels_and_kinds():
    assert S.indicator_status(indicator(actual=2.25), END).text("fr").startswith("valeur réelle 2.25 pour ")
    share, overdue = S.activity_reasons([activity()], END)[1]
    assert overdue.text("fr") == "en retard\u00a0: échéance 2025-06-30, en cours à 40 %"
    assert (share.label, share.label_key) == ("Activities", S.LABEL_ACTIVITIES)
    assert S.label_text(share.label, share.label_key, "fr") == "Activités"
    assert S.label_text(overdue.label, overdue.label_key, "fr") == "Joint workshop"  # data stays as typed
    assert S.kind_text("activity", "fr") == "activité" and S.kind_text("activity") == "activity"


def _old_database(path) -> None:
    """A schema-6 database holding one report whose reasons are English sentences."""
    con = duckdb.connect(str(path))
    for version in range(1, 7):
        con.execute(schema.MIGRATIONS[version])
    con.execute("INSERT INTO meta VALUES ('schema_version', '6')")
    con.execute("INSERT INTO event (seq, happened_at, action, upload_id, actor) VALUES (1, now(), 'load', 1, 'x')")
    con.execute("INSERT INTO upload (id, seq, theme, period, sector) VALUES (1, 1, 'CLIM', '2025-Q3', 'ITU-T')")
    con.execute("INSERT INTO report (upload_id, theme, period, sector, period_end, computed_status) "
                "VALUES (1, 'CLIM', '2025-Q3', 'ITU-T', DATE '2025-09-30', 'off_track')")
    rows = [
        ("activity", "", "Activities", "off_track", "2 of 7 open activities overdue (over 25%)"),
        ("activity", "A-1", "Joint workshop", "at_risk", "overdue: due 2025-06-30, in progress at 40%"),
        ("indicator", "I-1", "Joint events", "off_track",
         "actual 2.25 vs 7.473 expected by 2025-09-30 (30% of expected progress)"),
        ("indicator", "I-2", "Reports", "at_risk", "no actual value reported"),
        ("activity", "A-2", "Activities", "at_risk", "reported as delayed"),  # an activity titled "Activities"
        ("report", "", "Report", "at_risk", "a sentence from elsewhere"),
    ]
    con.executemany("INSERT INTO status_reason VALUES (1, ?, ?, ?, ?, ?)", rows)
    con.execute("INSERT INTO indicator (upload_id, row_no, indicator_id, name, status, detail) "
                "VALUES (1, 1, 'I-1', 'Joint events', 'completed', 'target 10 reached (12.5)')")
    con.close()
    return rows


def test_the_migration_carries_old_sentences_over(tmp_path):
    path = tmp_path / "v6.duckdb"
    rows = _old_database(path)
    con = duckdb.connect(str(path))
    con.execute("BEGIN")
    assert schema.ensure_schema(con) == schema.SCHEMA_VERSION
    con.execute("COMMIT")
    columns = {r[0] for r in con.execute("DESCRIBE status_reason").fetchall()}
    assert "detail" not in columns and {"detail_key", "detail_params", "label_key"} <= columns
    ind = con.execute("SELECT detail_key, detail_params::VARCHAR FROM indicator").fetchone()
    con.close()
    assert ind[0] == S.TARGET_REACHED and json.loads(ind[1]) == {"target": "10", "actual": "12.5"}

    got = queries.status_reasons("CLIM", "2025-Q3", db=path)
    shown = {(r.kind, r.ref): (S.label_text(r.label, r.label_key), S.detail_text(r.detail_key, r.detail_params))
             for r in got.itertuples()}
    assert shown == {(k, ref): (label, detail) for k, ref, label, _, detail in rows}  # English: as before
    by_ref = got.set_index(["kind", "ref"])
    assert by_ref.loc[("activity", ""), "label_key"] == S.LABEL_ACTIVITIES
    assert by_ref.loc[("report", ""), "label_key"] == S.LABEL_REPORT
    assert not isinstance(by_ref.loc[("activity", "A-2"), "label_key"], str)  # a title, not the rule's word
    assert by_ref.loc[("activity", "A-1"), "detail_key"] == S.OVERDUE
    french = {r.ref: S.detail_text(r.detail_key, r.detail_params, "fr") for r in got.itertuples()}
    assert french["A-1"] == "en retard\u00a0: échéance 2025-06-30, en cours à 40 %"
    assert french["I-2"] == "aucune valeur réelle communiquée"
    assert "a sentence from elsewhere" in french.values()  # unknown: shown as stored


def test_a_loaded_report_stores_key_and_params(tmp_path):
    from etl.load import init_db, load_bytes
    from tests import workbooks as W

    db = tmp_path / "isc.duckdb"
    init_db(db)
    data = W.report()
    data.activities[0].update(status="Delayed")
    data.activities[1].update(end_date=dt.date(2025, 3, 31))  # overdue at the end of the period
    data.indicators[0].update(actual=0)
    out = load_bytes(W.to_bytes(W.workbook(data)), "r.xlsx", uploaded_by="x", db=db)
    assert out.accepted
    got = queries.status_reasons(W.THEME, W.PERIOD, db=db)
    shown = {(r.ref, S.label_text(r.label, r.label_key), S.detail_text(r.detail_key, r.detail_params))
             for r in got.itertuples()}
    assert ("A-01", "Joint activity 1", "reported as delayed") in shown
    assert ("", "Activities", "1 of 3 open activities overdue (over 25%)") in shown
    assert any(ref == "A-02" and d.startswith("overdue: due 2025-03-31, in progress at 40%") for ref, _, d in shown)
    assert any(ref == "I-1" and d.startswith("actual 0 vs ") for ref, _, d in shown)
