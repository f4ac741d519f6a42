"""Everything that changes the database. Callers pass an open transaction (connection.write)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from operator import itemgetter, methodcaller

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from isc import indicators

REFERENCE_TABLES = {
    # table: (csv name, columns in table order)
    "sector": ("sectors", ["code", "name", "bureau", "kind", "reports", "name_fr", "position"]),
    "body": ("bodies", ["code", "name", "kind", "chaired_by", "composition", "source"]),
    "track": ("tracks", ["code", "name", "supervising_body", "review", "position", "name_fr"]),
    "theme": ("themes", ["code", "name", "track", "state", "valid_from", "valid_to", "successor",
                         "reported_to_isctf_2024", "track_assignment", "source", "name_fr"]),
    "resolution": ("resolutions", ["code", "kind", "number", "title", "annex_label", "conference",
                                   "calls_for_isc"]),
    "sector_resolution": ("sector_resolutions", ["code", "sector", "assembly", "number", "title",
                                                 "revision", "source"]),
    "resolution_link": ("resolution_links", ["pp_resolution", "sector_resolution", "note"]),
    "theme_resolution": ("theme_resolutions", ["theme", "resolution", "confirmed"]),
    "focal_point": ("focal_points", ["theme", "sector", "focal_point", "email", "illustrative", "valid_from",
                                     "valid_to"]),
    "iscg_coordinator": ("iscg_coordinators", ["iscg_theme", "theme", "coordinator_status", "note",
                                               "source"]),
    "app_user": ("users", ["email", "role", "themes", "sectors", "note"]),
    "unit": ("units", ["code", "name", "combine", "bound", "name_fr"]),
}
_BOOL = {"yes": True, "no": False, "true": True, "false": False, "": None}
# Tables whose rows have a display text that may be translated: a `name_<lang>` (or, for tracks,
# `review_<lang>`) column in the CSV, e.g. name_fr or name_ar, goes to ref_text, whatever the language.
LOCALISED_TABLES = ("sector", "body", "track", "theme")
_LOCALISED_COLUMN = re.compile(r"^(name|review)_([a-z]{2,3}(?:-[A-Za-z]{2,4})?)$")


def _cell(value: str | None, column: str):
    if value is None:
        return None
    if column in ("reports", "reported_to_isctf_2024", "calls_for_isc", "illustrative"):
        return _BOOL.get(value.lower())
    return value or None


def replace_reference(con: duckdb.DuckDBPyConnection, tables: dict[str, list[dict]]) -> dict[str, int]:
    """Replace every reference table with the CSV contents; returns row counts."""
    counts = {}
    for table, (name, columns) in REFERENCE_TABLES.items():
        rows = tables[name]
        records = []
        for i, row in enumerate(rows, start=1):
            rec = {c: _cell(row.get(c), c) for c in columns}
            if "position" in columns and rec["position"] is None:
                rec["position"] = i
            records.append(rec)
        con.execute(f"DELETE FROM {table}")
        _insert_text(con, table, columns, [[rec[c] for rec in records] for c in columns])
        counts[table] = len(records)
    texts = []
    for table in LOCALISED_TABLES:
        for row in tables[REFERENCE_TABLES[table][0]]:
            for column, value in row.items():
                m = _LOCALISED_COLUMN.match(column or "")
                if m and value and row.get("code"):
                    texts.append((table, row["code"], m[1], m[2], value))
    con.execute("DELETE FROM ref_text")
    counts["ref_text"] = len(texts)
    texts = list({t[:4]: t for t in texts}.values())  # a repeated key: the last one, as INSERT OR REPLACE kept
    _insert_text(con, "ref_text", ["tbl", "code", "field", "lang", "text"],
                 [list(c) for c in zip(*texts, strict=True)] or None)
    return counts


_TYPES: dict[str, dict[str, str]] = {}  # table -> {column: DuckDB type}, see _column_types


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """The table's column types, read once per process: every database written here has been
    brought to this code's schema (schema.ensure_schema, SCHEMA_VERSION) before any write, and no
    migration writes through this module, so a table's types are the same in all of them. A load
    used to ask information_schema once per table (5 statements a report)."""
    types = _TYPES.get(table)
    if not types:
        types = dict(con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? AND table_schema = 'main'",
            [table],
        ).fetchall())  # fmt: skip
        if types:  # a table not created yet is asked again
            _TYPES[table] = types
    return types


def _insert_text(con: duckdb.DuckDBPyConnection, table: str, names: list[str], columns: list[list] | None) -> None:
    """Rows given as columns of values inserted in one statement, each value as text cast by DuckDB
    to its column's type, as the parameters of an INSERT per row would be: reference data is a few
    hundred rows, and a statement per row was most of a first start's database setup."""
    if not columns or not columns[0]:
        return
    types = _column_types(con, table)
    arrays = [pa.array([None if v is None else str(v) for v in values], pa.string()) for values in columns]
    con.register("_reference", pa.Table.from_arrays(arrays, names=names))
    try:
        cast = ", ".join(f'CAST("{c}" AS {types[c]})' for c in names)
        con.execute(f"INSERT INTO {table} ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in names)}) "
                    f"SELECT {cast} FROM _reference")
    finally:
        con.unregister("_reference")


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()[0]


def _next_event(con, action: str, upload_id: int, actor: str, detail: str, at: dt.datetime,
                issuer: str | None = None, subject: str | None = None) -> int:
    """Record one event; `issuer` and `subject` are the signed-in actor's `iss` and `sub`."""
    batch = _batch_of(con)
    if batch is not None:
        batch.version += 1
        batch.add("event", {"seq": [batch.version], "happened_at": [at], "action": [action],
                            "upload_id": [upload_id], "actor": [actor], "detail": [detail],
                            "actor_issuer": [issuer], "actor_subject": [subject]})
        return batch.version
    seq = data_version(con) + 1
    con.execute(
        "INSERT INTO event (seq, happened_at, action, upload_id, actor, detail, actor_issuer, actor_subject) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, at, action, upload_id, actor, detail, issuer, subject],
    )
    return seq


def live_upload_with_sha(con: duckdb.DuckDBPyConnection, sha256: str) -> dict | None:
    """The live upload whose file has this hash, if any (loading it again changes nothing)."""
    batch = _batch_of(con)
    if batch is not None:
        key = batch.live_sha.get(sha256)
        return None if key is None else dict(batch.live[key][1])
    v = data_version(con)
    row = con.execute(
        "SELECT id, file_name, uploaded_at FROM live_uploads(?) WHERE sha256 = ?", [v, sha256]
    ).fetchone()
    return None if row is None else {"id": row[0], "file_name": row[1], "uploaded_at": row[2]}


def live_upload_for(con, theme: str, period: str, sector: str) -> int | None:
    batch = _batch_of(con)
    if batch is not None:
        live = batch.live.get((theme, period, sector))
        return None if live is None else live[1]["id"]
    v = data_version(con)
    row = con.execute(
        "SELECT id FROM live_uploads(?) WHERE theme = ? AND period = ? AND sector = ?",
        [v, theme, period, sector],
    ).fetchone()
    return row[0] if row else None


@dataclass
class UploadMeta:
    sha256: str
    file_name: str
    stored_name: str
    size_bytes: int
    uploaded_by: str
    template_version: str
    warning_count: int
    illustrative: bool = False
    uploaded_at: dt.datetime | None = None
    issuer: str | None = None  # the uploader's identity provider (`iss`), recorded on the load event
    subject: str | None = None  # and their subject there (`sub`)


def _json(params: dict | None) -> str | None:
    """A reason's params as stored (JSON text; None when the sentence has no values)."""
    return json.dumps(params) if params else None


def _frame(rows: list[dict], columns: list[str], upload_id: int) -> dict[str, list]:
    """The rows as columns (upload_id first)."""
    return {"upload_id": [upload_id] * len(rows), **{c: _column(rows, c) for c in columns}}


def _column(rows: list[dict], key: str) -> list:
    """One column of the rows at C speed (a map of itemgetter; dict.get when a row lacks the key)."""
    try:
        return list(map(itemgetter(key), rows))
    except KeyError:
        return list(map(methodcaller("get", key), rows))


def insert_report(con: duckdb.DuckDBPyConnection, report, meta: UploadMeta, period_end: dt.date,
                  computed_status: str, reasons: list, indicator_status: list) -> tuple[int, int]:
    """Add one accepted report as a new upload; returns (upload id, data version)."""
    at = meta.uploaded_at or dt.datetime.now().replace(microsecond=0)
    batch = _batch_of(con)
    if batch is not None:
        batch.last_id += 1
        upload_id = batch.last_id
    else:
        upload_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM upload").fetchone()[0]
    h = report.header
    detail = f"{h['theme']} {h['period']} {h['sector']} from {meta.file_name}"
    seq = _next_event(con, "load", upload_id, meta.uploaded_by, detail, at, meta.issuer, meta.subject)
    upload = [upload_id, seq, meta.sha256, meta.file_name, meta.stored_name, meta.size_bytes,
              meta.uploaded_by, at, h["theme"], h["period"], h["sector"], meta.template_version,
              report.row_count(), meta.warning_count, meta.illustrative]
    rep = [upload_id, h["theme"], h["period"], h["sector"], period_end, h.get("self_status"),
           h.get("summary"), h.get("prepared_by"), computed_status, meta.illustrative]
    if batch is not None:
        batch.add("upload", dict(zip(UPLOAD_COLUMNS, ([v] for v in upload), strict=True)))
        batch.add("report", dict(zip(REPORT_COLUMNS, ([v] for v in rep), strict=True)))
        batch.loaded(upload_id, meta.sha256, meta.file_name, at, (h["theme"], h["period"], h["sector"]))
    else:
        con.execute("INSERT INTO upload VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
                    upload)
        con.execute("INSERT INTO report VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rep)
    # Built column by column (a report may hold up to 100,000 activities), at C speed (map of
    # dict.get); partners/joint_with come from the few distinct role combinations. A large report's
    # activities come as an Arrow table (isc.report.Records), which goes in as it is.
    acts_in = report.activities
    sectors = ("ITU-R", "ITU-T", "ITU-D", "GS", "RO")
    table = getattr(acts_in, "table", None)
    if table is not None and batch is None:
        _insert(con, "activity", _activity_arrays(table, upload_id, sectors))
        acts_in = ()
    roles = list(zip(*(_column(acts_in, f"role_{s}") for s in sectors), strict=True))
    combos = {r: ([s for s, v in zip(sectors, r, strict=True) if v == "Partner"],
                  [s for s, v in zip(sectors, r, strict=True) if v == "Joint"]) for r in set(roles)}
    acts = {
        "upload_id": [upload_id] * len(acts_in),
        "row_no": _column(acts_in, "row"),
        **{k: _column(acts_in, k) for k in ("activity_id", "title", "description", "lead_sector")},
        "partners": [combos[r][0] for r in roles],
        "joint_with": [combos[r][1] for r in roles],
        **{k: _column(acts_in, k) for k in ("status", "start_date", "end_date", "percent_complete", "result")},
    }
    if acts_in or table is None:
        _insert(con, "activity", acts)
    inds = [
        {**{k: i.get(k) for k in ("indicator_id", "name", "unit", "baseline", "baseline_date", "target",
                                  "target_date", "actual", "comment")},
         "row_no": i["row"], "status": st.status, "detail_key": st.key, "detail_params": _json(st.params),
         "combine": indicators.combine_code(i.get("combine"))}
        for i, st in zip(report.indicators, indicator_status, strict=True)
    ]
    ind_cols = ["row_no", "indicator_id", "name", "unit", "baseline", "baseline_date", "target",
                "target_date", "actual", "comment", "status", "detail_key", "detail_params", "combine"]
    _insert(con, "indicator", _frame(inds, ind_cols, upload_id))
    res_cols = ["row_no", "title", "description", "date", "link"]
    _insert(con, "result", _frame([{**r, "row_no": r["row"]} for r in report.results], res_cols, upload_id))
    risk_cols = ["row_no", "kind", "description", "severity", "mitigation", "owner", "due_date"]
    _insert(con, "risk", _frame([{**r, "row_no": r["row"]} for r in report.risks], risk_cols, upload_id))
    rows_of_reasons = getattr(reasons, "table", None)  # isc.status.ReasonRows: a large report's reasons
    if rows_of_reasons is not None and batch is None:
        reasons = reasons.head
    why = [{"kind": r.kind, "ref": r.ref, "label": r.label, "status": r.status, "detail_key": r.key,
            "detail_params": _json(r.params), "label_key": r.label_key}
           for r in reasons if r.status != "on_track" or r.kind == "report"]
    why_cols = ["kind", "ref", "label", "status", "detail_key", "detail_params", "label_key"]
    _insert(con, "status_reason", _frame(why, why_cols, upload_id))
    if rows_of_reasons is not None and batch is None:
        kept = rows_of_reasons.filter(pc.or_(pc.not_equal(rows_of_reasons.column("status"), "on_track"),
                                             pc.equal(rows_of_reasons.column("kind"), "report")))
        _insert(con, "status_reason", {"upload_id": pa.repeat(pa.scalar(upload_id, pa.int64()), kept.num_rows),
                                       **{c: kept.column(c) for c in why_cols}})
    return upload_id, seq


def _activity_arrays(table: pa.Table, upload_id: int, sectors: tuple[str, ...]) -> dict:
    """The activity table's columns from validated activities kept as Arrow (isc.report.Records):
    partners and joint_with are the Sectors whose role is Partner (Joint), in Sector order, taken
    from the 32 possible lists by a code with one bit per Sector."""
    def code(role: str) -> pa.Array:
        bits = [pc.multiply(pc.fill_null(pc.equal(table.column(f"role_{s}"), role), False).cast(pa.int32()), 1 << n)
                for n, s in enumerate(sectors)]
        total = bits[0]
        for b in bits[1:]:
            total = pc.add(total, b)
        return total

    lists = pa.array([[s for n, s in enumerate(sectors) if k >> n & 1] for k in range(1 << len(sectors))],
                     pa.list_(pa.string()))
    return {
        "upload_id": pa.repeat(pa.scalar(upload_id, pa.int64()), table.num_rows),
        "row_no": table.column("row"),
        **{k: table.column(k) for k in ("activity_id", "title", "description", "lead_sector")},
        "partners": lists.take(code("Partner")),
        "joint_with": lists.take(code("Joint")),
        **{k: table.column(k) for k in ("status", "start_date", "end_date", "percent_complete", "result")},
    }


_LIST_SEP = "\x1f"  # the unit separator: never in a Sector code


# DuckDB column types -> the Arrow types a column of plain Python values is converted to.
_ARROW_TYPES = {"INTEGER": pa.int32(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(), "VARCHAR": pa.string(),
                "JSON": pa.string(), "DATE": pa.date32(), "BOOLEAN": pa.bool_(), "TIMESTAMP": pa.timestamp("us"),
                "VARCHAR[]": pa.list_(pa.string())}


def _insert(con, table: str, columns: dict[str, list]) -> None:
    """Insert columns of plain Python values (name -> one list per column) in one statement.

    The values become an Arrow table typed with the table's own column types, which DuckDB reads
    without converting a value at a time (a report may hold 100,000 activities): the types are
    never left to a guess from a sample of rows (a list column whose sampled rows are all empty
    was once guessed as NULL[] and a later ['ITU-R'] failed the whole load). A value Arrow will not
    take for its column's type goes the slower way, converted by DuckDB (_insert_cast)."""
    if not columns or not len(next(iter(columns.values()))):
        return
    batch = _batch_of(con)
    if batch is not None:
        batch.add(table, columns)
        return
    types = _column_types(con, table)
    try:
        arrays = [values.cast(_ARROW_TYPES[types[c]]) if isinstance(values, pa.Array | pa.ChunkedArray)
                  else pa.array(values, _ARROW_TYPES[types[c]], from_pandas=True) for c, values in columns.items()]
    except (KeyError, TypeError, ValueError, OverflowError, pa.ArrowException):
        plain = {c: v.to_pylist() if isinstance(v, pa.Array | pa.ChunkedArray) else v for c, v in columns.items()}
        _insert_cast(con, table, pd.DataFrame(plain), types)
        return
    incoming = pa.Table.from_arrays(arrays, names=list(columns))
    con.register("_incoming", incoming)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")


def _insert_cast(con, table: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
    """A frame whose values Arrow would not convert: list columns travel as text joined with
    _LIST_SEP, and DuckDB casts every column to the table's own type in the INSERT ... SELECT."""
    cols = ", ".join(frame.columns)
    incoming, select = frame.copy(deep=False), []
    for c in frame.columns:
        kind = types[c]
        if kind.endswith("[]"):
            incoming[c] = [None if v is None else _LIST_SEP.join(v) for v in frame[c]]
            select.append(f"CASE WHEN {c} IS NULL THEN NULL WHEN {c} = '' THEN []::{kind} "
                          f"ELSE CAST(string_split({c}, chr(31)) AS {kind}) END")
        elif incoming[c].isna().all():
            incoming[c] = pd.Series([None] * len(frame), dtype="string")  # typed, not a NULL column
            select.append(f"CAST({c} AS {kind})")
        else:
            select.append(f"CAST({c} AS {kind})")
    con.register("_incoming", incoming)
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {', '.join(select)} FROM _incoming")
    finally:
        con.unregister("_incoming")


# The upload and report columns insert_report fills, in its order (the upload's undo columns stay NULL).
UPLOAD_COLUMNS = ("id", "seq", "sha256", "file_name", "stored_name", "size_bytes", "uploaded_by", "uploaded_at",
                  "theme", "period", "sector", "template_version", "row_count", "warning_count", "illustrative")
REPORT_COLUMNS = ("upload_id", "theme", "period", "sector", "period_end", "self_status", "summary", "prepared_by",
                  "computed_status", "illustrative")


class Batch:
    """Reports loaded one after another on one connection, in one transaction, whose rows are
    written together when the batch ends: one INSERT per table for all of them rather than about
    thirteen statements per report (the demo's first start loads 600 small reports, a few rows
    each, and its statements were most of its time). Upload ids, data versions and the live uploads
    the loader asks about (live_upload_with_sha, live_upload_for) are kept here as reports are
    added, from the database's own at the start, so every report gets exactly what it would get
    loaded alone, in the same order. Nothing else may write these tables meanwhile (the caller's
    transaction holds them)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.last_id: int = con.execute("SELECT coalesce(max(id), 0) FROM upload").fetchone()[0]
        self.version: int = data_version(con)
        # (theme, period, sector) -> (sha256, what live_upload_with_sha returns); sha256 -> that key
        self.live: dict[tuple[str, str, str], tuple[str, dict]] = {}
        self.live_sha: dict[str, tuple[str, str, str]] = {}
        for uid, name, at, sha, *key in con.execute(
            "SELECT id, file_name, uploaded_at, sha256, theme, period, sector FROM live_uploads(?) ORDER BY seq",
            [self.version],
        ).fetchall():
            self.loaded(uid, sha, name, at, tuple(key))
        self.rows: dict[str, dict[str, list]] = {}  # table -> column -> values, tables in first-added order

    def loaded(self, upload_id: int, sha256: str, file_name: str, at, key: tuple) -> None:
        """An upload is now the live one for its report (the one it replaces no longer is)."""
        old = self.live.get(key)
        if old is not None and self.live_sha.get(old[0]) == key:
            del self.live_sha[old[0]]
        self.live[key] = (sha256, {"id": upload_id, "file_name": file_name, "uploaded_at": at})
        self.live_sha[sha256] = key

    def add(self, table: str, columns: dict[str, list]) -> None:
        held = self.rows.get(table)
        if held is None:
            self.rows[table] = {c: list(v) for c, v in columns.items()}
            return
        if list(held) != list(columns):
            raise ValueError(f"batch rows of {table}: columns {list(columns)}, expected {list(held)}")
        for c, values in columns.items():
            held[c].extend(values)

    def flush(self) -> None:
        rows, self.rows = self.rows, {}
        token = _batch.set(None)
        try:
            for table, columns in rows.items():
                _insert(self.con, table, columns)
        finally:
            _batch.reset(token)


_batch: ContextVar[Batch | None] = ContextVar("isc_writes_batch", default=None)


def _batch_of(con) -> Batch | None:
    """The batch this connection's inserts go to in this thread, if any."""
    batch = _batch.get()
    return batch if batch is not None and batch.con is con else None


@contextmanager
def batch(con: duckdb.DuckDBPyConnection) -> Iterator[Batch]:
    """Reports inserted on `con` in this block (insert_report, in this thread) are written when it
    ends without error (see Batch); the caller's transaction must span the block."""
    if _batch.get() is not None:
        raise RuntimeError("a batch is already open in this thread")
    current = Batch(con)
    token = _batch.set(current)
    try:
        yield current
    finally:
        _batch.reset(token)
    current.flush()


def undo_upload(con: duckdb.DuckDBPyConnection, upload_id: int, actor: str, *, issuer: str | None = None,
                subject: str | None = None) -> int:
    """Mark an upload undone; the one it superseded (if any) is live again. Returns the version.
    `issuer` and `subject` identify the actor at their sign-in provider (recorded on the event)."""
    row = con.execute("SELECT undone_seq FROM upload WHERE id = ?", [upload_id]).fetchone()
    if row is None:
        raise LookupError(f"no upload #{upload_id}")
    if row[0] is not None:
        raise ValueError(f"upload #{upload_id} was already undone")
    at = dt.datetime.now().replace(microsecond=0)
    seq = _next_event(con, "undo", upload_id, actor, f"undo of upload #{upload_id}", at, issuer, subject)
    con.execute("UPDATE upload SET undone_seq = ?, undone_by = ?, undone_at = ? WHERE id = ?",
                [seq, actor, at, upload_id])
    return seq
