"""One uploaded workbook, from its bytes to the database: prepare, then preview, then load.

The Upload page and `python -m etl load` go through here, so a file is judged the same way
wherever it comes from. `prepare` does the expensive work once: it hashes the bytes (sha256),
reads and validates them in the worker process of etl.sandbox (memory and time limits), and,
for a valid file, reads the report it would replace and last quarter's (one data version) to
compute the preview (etl.preview). The result, a `Prepared`, is what the user reviews; `load`
stores exactly that: no second read, validation or hash between what was shown and what is
written. What can change meanwhile is the database, and load_bytes still checks it in its
write transaction (the same file loaded meanwhile: "unchanged"; another upload of the report:
"conflict").

The marked-up copy of a file with problems is made only when asked for (Prepared.annotated),
in the worker process too: most files never need one, and it costs more than the check.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from etl import load as loader
from etl import preview as previewer
from etl import sandbox
from etl.reference import Reference
from etl.validate import Issue, Validation
from isc import auth
from isc.db import uploads
from isc.periods import Period


@dataclass
class Prepared:
    """Everything the check of one file found: kept (in the page's session) until it is loaded."""

    file_name: str
    data: bytes
    sha256: str
    validation: Validation
    db: str | os.PathLike | None = None
    live: uploads.LiveReport | None = None  # the report the file would replace
    previous: uploads.LiveReport | None = None  # last quarter's live report of the theme and Sector
    preview: previewer.Preview | None = None
    refusal: str | None = None  # why this person may not upload this report (English)
    checked_for: str | None = None  # the user whose rights `refusal` was judged by (Identity.user)
    # why there is no marked copy: "cells" (known from the check: `cells` says how many), then,
    # once one was asked for, "memory", "time" or "failed"; None otherwise
    not_marked: str | None = None
    cells: int = 0
    _marked: bytes | None = field(default=None, repr=False)
    _marking: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Valid, and this person may upload it."""
        return self.validation.ok and self.refusal is None

    @property
    def live_id(self) -> int | None:
        return self.live.upload_id if self.live else None

    @property
    def unchanged(self) -> bool:
        """The very same file is the live report already."""
        return self.live is not None and self.live.sha256 == self.sha256

    @property
    def unreadable(self) -> Issue | None:
        """The issue saying why the file could not be read at all (not an .xlsx, damaged...), if so."""
        return next((i for i in self.validation.errors if i.sheet == "(file)"), None)

    @property
    def markable(self) -> bool:
        """A marked copy can be asked for: the file has problems, was read, and is not too large."""
        return bool(self.validation.issues) and self.unreadable is None and self.not_marked is None

    @property
    def annotated(self) -> bytes | None:
        """The file with its problems marked (etl.annotate), made on first use in the worker
        process; None when it cannot be made (`not_marked` then says why)."""
        with self._marking:
            if self._marked is None and self.markable:
                done = sandbox.mark(self.data, self.validation.issues)
                self._marked = done.annotated
                if done.annotated is None:
                    self.not_marked, self.cells = done.not_marked or "failed", done.cells
            return self._marked

    def __getstate__(self) -> dict:  # a lock is not picklable (session state may be pickled)
        return {k: v for k, v in self.__dict__.items() if k != "_marking"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._marking = threading.Lock()


def prepare(
    data: bytes,
    file_name: str,
    ref: Reference | None = None,
    *,
    db: str | os.PathLike | None = None,
    who: auth.Identity | None = None,
    compare: bool = True,
) -> Prepared:
    """Hash, read and validate `data` once, and (for a valid file `who` may upload) compute what
    loading it would change. `compare=False` skips the preview (the command line loads directly)."""
    ref = ref or Reference.load()
    sha = hashlib.sha256(data).hexdigest()
    # In a child process with memory and time limits: one user's file never stalls the others.
    done = sandbox.check(data, ref, mark="later")
    prepared = Prepared(file_name, data, sha, done.validation, db, not_marked=done.not_marked, cells=done.cells,
                        checked_for=who.user if who is not None else None)
    result = done.validation
    if not result.ok:
        return prepared
    theme, period, sector = result.report.key
    if who is not None and not who.may(auth.UPLOAD, theme=theme, sector=sector):
        prepared.refusal = who.refusal(theme, sector) or theme
        return prepared
    if compare:
        prepared.live, prepared.previous = uploads.live_and_previous(theme, period, sector, db=db)
        prepared.preview = previewer.compare(
            result.report,
            prepared.live.report if prepared.live else None,
            Period.parse(period).end,
            prepared.previous.report if prepared.previous else None,
        )
    return prepared


def load(
    prepared: Prepared,
    actor: str = "local",
    *,
    ref: Reference | None = None,
    issuer: str | None = None,
    subject: str | None = None,
    expect_live: bool = True,
    db: str | os.PathLike | None = None,
) -> loader.Outcome:
    """Store what `prepare` found, as it found it. With `expect_live` (the page), nothing is
    loaded when another upload of the report landed since the preview ("conflict"); the command
    line, which shows no preview, loads over whatever is live. A refused file is never loaded."""
    if prepared.refusal:
        raise PermissionError(prepared.refusal)
    return loader.load_bytes(
        prepared.data,
        prepared.file_name,
        db=prepared.db if db is None else db,
        uploaded_by=actor,
        ref=ref,
        expected_live=prepared.live_id if expect_live else loader.ANY,
        issuer=issuer,
        subject=subject,
        validation=prepared.validation,
        sha256=prepared.sha256,
    )


def load_files(paths: list[str | os.PathLike], *, db: str | os.PathLike | None = None,
               uploaded_by: str = "local") -> list[loader.Outcome]:
    """`python -m etl load`: each file prepared (no preview: there is nobody to show it to) and
    loaded over whatever is live."""
    ref = Reference.load()
    loader.init_db(db, ref)
    outcomes = []
    for p in paths:
        path = Path(p)
        try:
            data = path.read_bytes()
        except OSError as exc:
            outcomes.append(loader.cannot_read(path, exc))
            continue
        prepared = prepare(data, path.name, ref, db=db, compare=False)
        outcomes.append(load(prepared, uploaded_by, ref=ref, expect_live=False))
    return outcomes
