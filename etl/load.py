"""Validate and load theme-report workbooks: the one path behind the CLI and the Upload page.

A file is read and validated entirely before the database is opened for writing; a rejected
file therefore changes nothing. An accepted file is stored under its sha256 (never under the
name it came with) and loaded in one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl.reader import UnreadableWorkbook, read_workbook
from etl.reference import Reference
from etl.validate import Issue, Validation, validate
from isc import i18n
from isc import status as status_rule
from isc.db import connection, schema, writes
from isc.periods import Period

ANY = object()  # sentinel: no expectation about the live upload
# Outcome.message_key: the catalogue entries of the outcome messages in data/i18n/*.json
MESSAGE_KEYS = ("load.rejected", "load.unchanged", "load.conflict", "load.loaded", "load.loaded_supersedes")


@dataclass
class Outcome:
    """What became of one file, as a catalogue key and its values: `message` is the English
    rendering (the CLI, to_dict), message_in() the interface language's."""

    file_name: str
    sha256: str
    outcome: str  # loaded | unchanged | rejected | conflict | failed
    # load.<...> (or another catalogue entry) in data/i18n/, filled in with message_params
    # ("status" is a status code, shown as its label). Not part of to_dict().
    message_key: str
    message_params: dict = field(default_factory=dict)
    upload_id: int | None = None
    supersedes: int | None = None
    version: int | None = None
    key: tuple[str, str, str] | None = None
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.outcome in ("loaded", "unchanged")

    @property
    def message(self) -> str:
        return self.message_in(i18n.DEFAULT)

    def to_dict(self) -> dict:
        return {"file_name": self.file_name, "sha256": self.sha256, "outcome": self.outcome, "message": self.message,
                "upload_id": self.upload_id, "supersedes": self.supersedes, "version": self.version,
                "key": self.key, "errors": list(self.errors), "warnings": list(self.warnings)}

    def message_in(self, lang: str) -> str:
        """The message in an interface language."""
        values = dict(self.message_params)
        if "status" in values:
            values["status"] = i18n.translate(lang, f"status.{values['status']}")
        return i18n.translate(lang, self.message_key, **values)


def uploads_dir(db: str | os.PathLike | None = None) -> Path:
    """Original files live beside the database, named by their sha256."""
    return connection.db_path(db).parent / "uploads"


@contextmanager
def _gc_paused() -> Iterator[None]:
    """A large report allocates a million small objects that all survive until the load is done;
    the cyclic garbage collector would scan them again and again (a third of the load time).
    Nothing here makes reference cycles, so collection simply waits until the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check(data: bytes, ref: Reference) -> Validation:
    """Read and validate without touching any database."""
    with _gc_paused():
        try:
            raw = read_workbook(data)
        except UnreadableWorkbook as exc:
            return Validation(None, [Issue("error", "(file)", None, None, "", exc.key, exc.params)])
        return validate(raw, ref)


def init_db(db: str | os.PathLike | None = None, ref: Reference | None = None,
            con: duckdb.DuckDBPyConnection | None = None) -> None:
    """Create or migrate the schema and refresh the reference tables from the CSV files (in the
    transaction `con` holds, when given: the demo build's first)."""
    ref = ref or Reference.load()
    with contextlib.nullcontext(con) if con is not None else connection.write(db) as c:
        schema.ensure_schema(c)
        writes.replace_reference(c, ref.tables)


class _Original:
    """The original file of an upload, stored so that it exists exactly when the upload does:
    written under a temporary name before the transaction, given its name (an atomic rename) only
    once the report's rows are in, just before the commit, and removed again if the transaction
    fails. A load that fails leaves no file behind; a kill leaves at most a temporary file, which
    the next load removes (or, killed between the rename and the commit, an unreferenced copy)."""

    def __init__(self, data: bytes, sha: str, db: str | os.PathLike | None):
        self.folder = uploads_dir(db)
        self.name = f"{sha}.xlsx"
        self.target = self.folder / self.name
        self.created = False
        self.folder.mkdir(parents=True, exist_ok=True)
        _sweep_temporary(self.folder)
        self.tmp = self.folder / f".{sha}.{os.getpid()}.{threading.get_ident()}.tmp"
        if not self.target.exists():
            self.tmp.write_bytes(data)

    def place(self) -> None:
        if self.tmp.exists() and not self.target.exists():
            os.replace(self.tmp, self.target)
            self.created = True

    def discard(self, placed_too: bool = False) -> None:
        self.tmp.unlink(missing_ok=True)
        if placed_too and self.created:
            self.target.unlink(missing_ok=True)


def _sweep_temporary(folder: Path) -> None:
    """Remove the temporary files of loads whose process is gone (killed mid-load)."""
    for tmp in folder.glob(".*.tmp"):
        parts = tmp.name.split(".")
        try:
            os.kill(int(parts[2]), 0)
        except (IndexError, ValueError, ProcessLookupError):
            tmp.unlink(missing_ok=True)
        except PermissionError:  # a process of another user: alive
            pass


def original_file(stored_name: str, db: str | os.PathLike | None = None) -> Path | None:
    """The stored original of an upload (upload.stored_name), or None when it is not in the file
    store (removed, or a backup restored without it). Pages show the stored name only, never
    this path: a server's folders are nobody's business. A name that is not a plain file name
    inside the store is never followed."""
    name = str(stored_name or "")
    if not name or name != Path(name).name or name.startswith("."):
        return None
    path = uploads_dir(db) / name
    return path if path.is_file() else None


def store_original(data: bytes, sha: str, db: str | os.PathLike | None = None) -> str:
    folder = uploads_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{sha}.xlsx"
    target = folder / name
    if not target.exists():
        tmp = folder / f".{sha}.{os.getpid()}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return name


def load_bytes(
    data: bytes,
    file_name: str,
    *,
    db: str | os.PathLike | None = None,
    uploaded_by: str = "local",
    ref: Reference | None = None,
    illustrative: bool = False,
    uploaded_at: dt.datetime | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    expected_live: int | None | object = ANY,
    issuer: str | None = None,
    subject: str | None = None,
    validation: Validation | None = None,
    sha256: str | None = None,
) -> Outcome:
    """Validate and load one workbook.

    `issuer` and `subject` are the signed-in uploader's `iss` and `sub` at their provider,
    recorded beside `uploaded_by` on the load event.

    `expected_live` is the live upload id (or None) the uploader saw in the preview; when it
    is given and another upload for the same report landed since, nothing is loaded and the
    outcome is "conflict", so of two simultaneous uploads of one report exactly one wins.

    `validation` and `sha256`, when given, are what etl.service.prepare found for these very bytes:
    they are stored as they are, the file is not read, validated or hashed again.
    """
    ref = ref or Reference.load()
    sha = sha256 or hashlib.sha256(data).hexdigest()
    display_name = Path(str(file_name).replace("\\", "/")).name[:255] or "upload.xlsx"
    result = validation if validation is not None else check(data, ref)  # the Upload page checked it
    errors = [i.to_dict() for i in result.errors]
    warnings = [i.to_dict() for i in result.warnings]
    if not result.ok:
        return Outcome(display_name, sha, "rejected", "load.rejected",
                       {"errors": len(errors), "warnings": len(warnings)}, errors=errors, warnings=warnings)
    report = result.report
    period = Period.parse(report.header["period"])
    with _gc_paused():
        computed, ind_status, others = status_rule.assess_report(report.indicators, report.activities, period.end)
        reasons = ind_status + others
    original = _Original(data, sha, db)
    meta = writes.UploadMeta(sha, display_name, original.name, len(data), uploaded_by,
                             report.header["template_version"], len(warnings), illustrative, uploaded_at,
                             issuer=issuer, subject=subject)

    def _apply(c: duckdb.DuckDBPyConnection) -> Outcome:
        same = writes.live_upload_with_sha(c, sha)
        if same:
            return Outcome(display_name, sha, "unchanged", "load.unchanged",
                           {"id": same["id"], "file": same["file_name"]},
                           upload_id=same["id"], key=report.key, warnings=warnings)
        previous = writes.live_upload_for(c, *report.key)
        if expected_live is not ANY and previous != expected_live:
            return Outcome(display_name, sha, "conflict", "load.conflict",
                           {"previous": previous, "report": " ".join(report.key)},
                           supersedes=previous, key=report.key, warnings=warnings)
        upload_id, version = writes.insert_report(c, report, meta, period.end, computed, reasons, ind_status)
        original.place()  # the rows are in: the file gets its name, then the transaction commits
        return Outcome(display_name, sha, "loaded", "load.loaded_supersedes" if previous else "load.loaded",
                       {"id": upload_id, "rows": report.row_count(), "status": computed, "previous": previous},
                       upload_id, previous, version, report.key, warnings=warnings)

    try:
        with _gc_paused():
            if con is not None:
                return _apply(con)
            with connection.write(db) as c:
                schema.ensure_schema(c)
                return _apply(c)
    except BaseException:
        original.discard(placed_too=True)  # nothing was committed: no file either
        raise
    finally:
        original.discard()


# Faults of the machine, not of the file: the words the Upload page shows for them (load.fault_*).
FAULT_KEYS = ("load.fault_disk_full", "load.fault_read_only", "load.fault_busy")


def fault(exc: BaseException) -> str | None:
    """The catalogue key of a plain sentence for a load that failed because of the server's disk
    or database file (full, read-only, locked by another program); None for anything else."""
    import errno

    if isinstance(exc, connection.DatabaseBusy):
        return "load.fault_busy"
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    if code in (errno.ENOSPC, errno.EDQUOT) or "no space left" in text or "disk quota" in text:
        return "load.fault_disk_full"
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "read-only" in text or "permission denied" in text:
        return "load.fault_read_only"
    if isinstance(exc, duckdb.Error) and ("could not set lock" in text or "conflicting lock" in text):
        return "load.fault_busy"
    return None


def cannot_read(path: Path, exc: OSError) -> Outcome:
    """The outcome of a file the CLI could not open (missing, not permitted)."""
    issue = Issue("error", "(file)", None, None, str(path), "file_cannot_read", {"error": exc.strerror})
    return Outcome(path.name, "", "rejected", "load.cannot_read", {"path": str(path), "error": exc.strerror},
                   errors=[issue.to_dict()])


def undo(upload_id: int, *, db: str | os.PathLike | None = None, actor: str = "local",
         issuer: str | None = None, subject: str | None = None) -> int:
    with connection.write(db) as con:
        return writes.undo_upload(con, upload_id, actor, issuer=issuer, subject=subject)
