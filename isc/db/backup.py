"""The database's side of a backup (isc.backup): a complete copy of the file, and a restored copy
put in its place, each while this process holds the file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from isc.db import connection


def snapshot(db: str | os.PathLike | None = None) -> tuple[bytes, int]:
    """The database file's bytes and its data version. A CHECKPOINT first writes the
    write-ahead log into the file, so the bytes are complete without it."""
    path = connection.db_path(db)
    with connection.exclusive(path) as con:
        con.execute("CHECKPOINT")
        version = con.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()[0]
        return path.read_bytes(), int(version)


def put_in_place(data: bytes, db: str | os.PathLike | None = None) -> None:
    """Replace the database file with `data`: written beside it and renamed, so an interrupted
    restore leaves the old file whole; the old write-ahead log goes (it belongs to the old file)."""
    with connection.held(db) as path:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".restore")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        Path(str(path) + ".wal").unlink(missing_ok=True)
        os.replace(tmp, path)
