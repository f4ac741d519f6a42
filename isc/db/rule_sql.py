"""The status rule (isc.status) as DuckDB SQL expressions, generated from its vocabulary.

isc.status says what the order of statuses, the self-assessed mapping and the roll-up are; this
module writes the same rules as SQL so that aggregation can happen in DuckDB. SQL lives only under
isc/db/. tests/test_trust.py checks each expression against its Python twin.
"""

from __future__ import annotations

from isc.status import ALL, ATTENTION, COMPLETED, NOT_REPORTED, ON_TRACK, ORDER, SELF_STATUS


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_rank(expr: str) -> str:
    """Rank of a report status (0 = completed ... 3 = off track); NULL for anything else."""
    return "CASE " + expr + "".join(f" WHEN {_quote(s)} THEN {i}" for i, s in enumerate(ORDER)) + " END"


def sql_unrank(expr: str) -> str:
    """The status of a rank (sql_rank's inverse), for taking the worst rank back to a status."""
    return "CASE " + expr + "".join(f" WHEN {i} THEN {_quote(s)}" for i, s in enumerate(ORDER)) + " END"


def sql_self_assessed(expr: str) -> str:
    """The status code of a self-assessed label (NULL when there is no report)."""
    return "CASE " + expr + "".join(f" WHEN {_quote(k)} THEN {_quote(v)}" for k, v in SELF_STATUS.items()) + " END"


def sql_attention_rank(expr: str) -> str:
    """isc.status.attention_rank(): what to look at first sorts first; unknown values last."""
    return "CASE " + expr + "".join(f" WHEN {_quote(s)} THEN {i}" for i, s in enumerate(ATTENTION)) + \
        f" ELSE {len(ATTENTION)} END"


def sql_theme_status(status: str, owed: str) -> str:
    """theme_status() as a DuckDB aggregate over one row per owed report, `status` NULL where
    the report is missing; `owed` is the number of reports owed (e.g. count(*))."""
    on_track_rank = ORDER.index(ON_TRACK)
    ranked = f"greatest({sql_rank(status)}, {on_track_rank})"
    return (f"CASE WHEN count({status}) = 0 THEN {_quote(NOT_REPORTED)} "
            f"WHEN count({status}) >= {owed} AND bool_and({status} = {_quote(COMPLETED)}) "
            f"THEN {_quote(COMPLETED)} "
            f"ELSE {sql_unrank(f'max({ranked}) FILTER (WHERE {status} IS NOT NULL)')} END")


def sql_statuses() -> str:
    """Every status with its display position: a table (status, pos) to join counts onto."""
    rows = ", ".join(f"({_quote(s)}, {i})" for i, s in enumerate(ALL))
    return f"SELECT * FROM (VALUES {rows}) s(status, pos)"
