"""The DuckDB schema, versioned: each migration runs once, in order, in one transaction.

Reports are never updated in place. Every accepted upload adds rows keyed by its upload id and
takes the next number of a data version (`event.seq`). The live report for a (theme, period,
sector) at version V is the latest upload loaded at or before V and not undone by V, which is
what makes supersede, undo and reproducible "as of" exports the same mechanism.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import duckdb

SCHEMA_VERSION = 8

_V1 = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);

CREATE TABLE sector (code VARCHAR PRIMARY KEY, name VARCHAR, bureau VARCHAR, kind VARCHAR,
    reports BOOLEAN, name_fr VARCHAR, position INTEGER);
CREATE TABLE body (code VARCHAR PRIMARY KEY, name VARCHAR, kind VARCHAR, chaired_by VARCHAR,
    composition VARCHAR, source VARCHAR);
CREATE TABLE track (code VARCHAR PRIMARY KEY, name VARCHAR, supervising_body VARCHAR,
    review VARCHAR, position INTEGER, name_fr VARCHAR);
CREATE TABLE theme (code VARCHAR PRIMARY KEY, name VARCHAR, track VARCHAR, state VARCHAR,
    valid_from DATE, valid_to DATE, successor VARCHAR, reported_to_isctf_2024 BOOLEAN,
    track_assignment VARCHAR, source VARCHAR, name_fr VARCHAR);
CREATE TABLE resolution (code VARCHAR PRIMARY KEY, kind VARCHAR, number INTEGER, title VARCHAR,
    annex_label VARCHAR, conference VARCHAR, calls_for_isc BOOLEAN);
CREATE TABLE sector_resolution (code VARCHAR PRIMARY KEY, sector VARCHAR, assembly VARCHAR,
    number VARCHAR, title VARCHAR, revision VARCHAR, source VARCHAR);
CREATE TABLE resolution_link (pp_resolution VARCHAR, sector_resolution VARCHAR, note VARCHAR);
CREATE TABLE theme_resolution (theme VARCHAR, resolution VARCHAR, confirmed VARCHAR);
CREATE TABLE focal_point (theme VARCHAR, sector VARCHAR, focal_point VARCHAR, email VARCHAR,
    illustrative BOOLEAN);
CREATE TABLE iscg_coordinator (iscg_theme VARCHAR, theme VARCHAR, coordinator_status VARCHAR,
    note VARCHAR, source VARCHAR);
CREATE TABLE app_user (email VARCHAR, role VARCHAR, themes VARCHAR, sectors VARCHAR, note VARCHAR);

CREATE TABLE event (seq INTEGER PRIMARY KEY, happened_at TIMESTAMP, action VARCHAR, upload_id INTEGER,
    actor VARCHAR, detail VARCHAR);
CREATE TABLE upload (id INTEGER PRIMARY KEY, seq INTEGER, sha256 VARCHAR, file_name VARCHAR,
    stored_name VARCHAR, size_bytes BIGINT, uploaded_by VARCHAR, uploaded_at TIMESTAMP,
    theme VARCHAR, period VARCHAR, sector VARCHAR, template_version VARCHAR, row_count INTEGER,
    warning_count INTEGER, illustrative BOOLEAN, undone_seq INTEGER, undone_by VARCHAR,
    undone_at TIMESTAMP);
CREATE TABLE report (upload_id INTEGER PRIMARY KEY, theme VARCHAR, period VARCHAR,
    sector VARCHAR, period_end DATE, self_status VARCHAR, summary VARCHAR, prepared_by VARCHAR,
    computed_status VARCHAR, illustrative BOOLEAN);
CREATE TABLE activity (upload_id INTEGER, row_no INTEGER, activity_id VARCHAR, title VARCHAR,
    description VARCHAR, lead_sector VARCHAR, partners VARCHAR[], joint_with VARCHAR[],
    status VARCHAR, start_date DATE, end_date DATE, percent_complete DOUBLE, result VARCHAR);
CREATE TABLE indicator (upload_id INTEGER, row_no INTEGER, indicator_id VARCHAR, name VARCHAR,
    unit VARCHAR, baseline DOUBLE, baseline_date DATE, target DOUBLE, target_date DATE,
    actual DOUBLE, comment VARCHAR, status VARCHAR, detail VARCHAR);
CREATE TABLE result (upload_id INTEGER, row_no INTEGER, title VARCHAR, description VARCHAR,
    date DATE, link VARCHAR);
CREATE TABLE risk (upload_id INTEGER, row_no INTEGER, kind VARCHAR, description VARCHAR,
    severity VARCHAR, mitigation VARCHAR, owner VARCHAR, due_date DATE);
CREATE TABLE status_reason (upload_id INTEGER, kind VARCHAR, ref VARCHAR, label VARCHAR,
    status VARCHAR, detail VARCHAR);

-- The live upload for each (theme, period, sector) at data version v.
CREATE MACRO live_uploads(v) AS TABLE
    SELECT * FROM upload
    WHERE seq <= v AND (undone_seq IS NULL OR undone_seq > v)
    QUALIFY row_number() OVER (PARTITION BY theme, period, sector ORDER BY seq DESC) = 1;
"""

# Coordination records (issue 6): meetings with their notes and actions, and overlap reviews.
_V2 = """
CREATE SEQUENCE meeting_id_seq START 1;
CREATE TABLE meeting (id INTEGER PRIMARY KEY DEFAULT nextval('meeting_id_seq'), body VARCHAR NOT NULL,
    title VARCHAR, period VARCHAR, starts_at TIMESTAMP NOT NULL, frozen_version INTEGER NOT NULL,
    created_by VARCHAR, ended_at TIMESTAMP);
CREATE TABLE meeting_note (meeting_id INTEGER NOT NULL, theme VARCHAR NOT NULL, notes VARCHAR,
    decided VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR, PRIMARY KEY (meeting_id, theme));
CREATE SEQUENCE action_id_seq START 1;
CREATE TABLE action (id INTEGER PRIMARY KEY DEFAULT nextval('action_id_seq'), meeting_id INTEGER NOT NULL,
    theme VARCHAR, text VARCHAR NOT NULL, owner VARCHAR, due_date DATE, status VARCHAR NOT NULL DEFAULT 'open',
    created_at TIMESTAMP, updated_at TIMESTAMP, updated_by VARCHAR);
CREATE TABLE overlap_review (key_a VARCHAR NOT NULL, key_b VARCHAR NOT NULL, verdict VARCHAR NOT NULL,
    score DOUBLE, period VARCHAR, reviewer VARCHAR, reviewed_at TIMESTAMP, PRIMARY KEY (key_a, key_b));
"""

# Localised reference text (issue 8): one row per name_<lang> (or review_<lang>) cell of sectors,
# bodies, tracks and themes in data/reference/, so that a new language needs a CSV column, not a
# schema change.
_V3 = """
CREATE TABLE ref_text (tbl VARCHAR NOT NULL, code VARCHAR NOT NULL, field VARCHAR NOT NULL, lang VARCHAR NOT NULL,
    text VARCHAR NOT NULL, PRIMARY KEY (tbl, code, field, lang));
"""

# Trustworthy numbers (issue 11): focal point assignments have a validity (a report is owed only
# while one is valid), indicators say how they combine across Sectors, and units carry their
# default combination and bound (data/reference/units.csv).
_V4 = """
ALTER TABLE focal_point ADD COLUMN valid_from DATE;
ALTER TABLE focal_point ADD COLUMN valid_to DATE;
ALTER TABLE indicator ADD COLUMN combine VARCHAR;
CREATE TABLE unit (code VARCHAR PRIMARY KEY, name VARCHAR, combine VARCHAR NOT NULL, bound DOUBLE,
    name_fr VARCHAR);
"""

# The secretariat's loop (issue 13): meeting records (who ended it, attendance), the history of
# every action's status (one row per change, the first one 'open' when it was set), and the
# reminders sent to focal points. Actions recorded before this version get their history from
# what the action row knows: 'open' when created, then its present status when it was changed.
_V5 = """
ALTER TABLE meeting ADD COLUMN ended_by VARCHAR;
ALTER TABLE meeting ADD COLUMN attendance VARCHAR;
CREATE SEQUENCE action_event_id_seq START 1;
CREATE TABLE action_event (id INTEGER PRIMARY KEY DEFAULT nextval('action_event_id_seq'),
    action_id INTEGER NOT NULL, status VARCHAR NOT NULL, changed_at TIMESTAMP, changed_by VARCHAR);
INSERT INTO action_event (action_id, status, changed_at, changed_by)
    SELECT id, 'open', created_at, NULL FROM action ORDER BY id;
INSERT INTO action_event (action_id, status, changed_at, changed_by)
    SELECT id, status, updated_at, updated_by FROM action WHERE status <> 'open' ORDER BY id;
CREATE SEQUENCE reminder_id_seq START 1;
CREATE TABLE reminder (id INTEGER PRIMARY KEY DEFAULT nextval('reminder_id_seq'),
    sent_at TIMESTAMP NOT NULL, sent_by VARCHAR, recipient VARCHAR NOT NULL, period VARCHAR,
    reports VARCHAR, subject VARCHAR, how VARCHAR);
"""

# Identity (issue 18): who did what, with the provider's issuer (`iss`) and subject (`sub`)
# beside the e-mail in `actor` (NULL for "local" and for events recorded before sign-in). The
# upload row keeps its columns: its load event (event.upload_id, action 'load') carries them.
_V6 = """
ALTER TABLE event ADD COLUMN actor_issuer VARCHAR;
ALTER TABLE event ADD COLUMN actor_subject VARCHAR;
"""

# Reasons as key + params (issue 16): the "why" of a verdict (status_reason, and each indicator's
# own) was an English sentence written at load time; it is now the catalogue key and the values
# isc.status made it from, so every language renders it from data/i18n. The sentences stored
# before are read back once, here, with the patterns of the sentences the rule used to write (a
# sentence that matches none is kept as typed under reason.as_stored). The label of the rule's own
# reasons ("Activities", "Report") gets its catalogue key.
_V7_COLUMNS = """
ALTER TABLE status_reason ADD COLUMN detail_key VARCHAR;
ALTER TABLE status_reason ADD COLUMN detail_params JSON;
ALTER TABLE status_reason ADD COLUMN label_key VARCHAR;
ALTER TABLE indicator ADD COLUMN detail_key VARCHAR;
ALTER TABLE indicator ADD COLUMN detail_params JSON;
"""
_NUMBER = r"-?[\d.e+]+"
_OLD_SENTENCES: dict[str, re.Pattern] = {
    "reason.progress": re.compile(
        rf"actual (?P<actual>{_NUMBER}) vs (?P<expected>{_NUMBER}) expected by (?P<date>[\d-]+) "
        rf"\((?P<progress>-?\d+)% of expected progress\)"
    ),
    "reason.overdue": re.compile(r"overdue: due (?P<date>[\d-]+), (?P<status>[a-z ]+) at (?P<percent>[\d.]+)%"),
    "reason.target_reached": re.compile(rf"target (?P<target>{_NUMBER}) reached \((?P<actual>{_NUMBER})\)"),
    "reason.no_actual": re.compile(r"no actual value reported"),
    "reason.nothing_expected": re.compile(r"nothing expected yet"),
    "reason.delayed": re.compile(r"reported as delayed"),
    "reason.overdue_share": re.compile(
        r"(?P<overdue>\d+) of (?P<open>\d+) open activities overdue \(over (?P<limit>\d+)%\)"
    ),
    "reason.empty_report": re.compile(r"no indicators and no activities"),
}
_OLD_LABELS = {("activity", "Activities"): "reason.label.activities", ("report", "Report"): "reason.label.report"}


def _old_sentence(text: str | None) -> tuple[str | None, str | None]:
    """(key, params as JSON) of a sentence the status rule wrote before version 7."""
    if text is None:
        return None, None
    for key, pattern in _OLD_SENTENCES.items():
        m = pattern.fullmatch(text)
        if m:
            params = m.groupdict()
            if "status" in params:  # an activity status code, as isc.status stores it now
                params["status"] = params["status"].replace(" ", "_")
            return key, json.dumps(params) if params else None
    return "reason.as_stored", json.dumps({"text": text})


def _v7(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_V7_COLUMNS)
    for table in ("status_reason", "indicator"):
        texts = [r[0] for r in con.execute(f"SELECT DISTINCT detail FROM {table} WHERE detail IS NOT NULL").fetchall()]
        if texts:
            con.execute("CREATE TEMP TABLE _v7_detail (detail VARCHAR, k VARCHAR, p VARCHAR)")
            con.executemany("INSERT INTO _v7_detail VALUES (?, ?, ?)", [(t, *_old_sentence(t)) for t in texts])
            con.execute(f"UPDATE {table} SET detail_key = d.k, detail_params = d.p::JSON FROM _v7_detail d "
                        f"WHERE {table}.detail = d.detail")
            con.execute("DROP TABLE _v7_detail")
        con.execute(f"ALTER TABLE {table} DROP COLUMN detail")
    for (kind, label), key in _OLD_LABELS.items():
        con.execute("UPDATE status_reason SET label_key = ? WHERE kind = ? AND label = ? AND coalesce(ref, '') = ''",
                    [key, kind, label])


# Who recorded a meeting's attendance, and when (issue 16: every write on the Meeting page records
# its actor). Attendance typed before this version has no one recorded.
_V8 = """
ALTER TABLE meeting ADD COLUMN attendance_by VARCHAR;
ALTER TABLE meeting ADD COLUMN attendance_at TIMESTAMP;
"""

# A migration is SQL, or a function of the connection when rows need Python to be carried over.
MIGRATIONS: dict[int, str | Callable[[duckdb.DuckDBPyConnection], None]] = {
    1: _V1, 2: _V2, 3: _V3, 4: _V4, 5: _V5, 6: _V6, 7: _v7, 8: _V8,
}


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchone()[0]
    if not exists:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def ensure_schema(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the migrations this file lacks (the caller holds a transaction)."""
    have = current_version(con)
    if have > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema version {have} is newer than this code ({SCHEMA_VERSION})"
        )
    for version in range(have + 1, SCHEMA_VERSION + 1):
        step = MIGRATIONS[version]
        if callable(step):
            step(con)
        else:
            con.execute(step)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)]
        )
    return SCHEMA_VERSION
