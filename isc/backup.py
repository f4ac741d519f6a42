"""Back up and restore the database with the original uploaded files, as one .tar.gz.

The backup is taken while holding the database (after a CHECKPOINT, so the file is complete
without its write-ahead log); every file's sha256 goes into a manifest that restore checks
before anything is replaced. Restore writes beside the target and renames, so an interrupted
restore leaves the old database in place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

from isc.db import backup as db_backup
from isc.db import connection

MANIFEST = "manifest.json"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def backup(out: str | os.PathLike, db: str | os.PathLike | None = None) -> Path:
    """Write a backup archive; returns its path (a folder argument gets a dated file name)."""
    path = connection.db_path(db)
    out = Path(out)
    if out.is_dir() or not out.suffix:
        out.mkdir(parents=True, exist_ok=True)
        out = out / f"isc-backup-{dt.datetime.now():%Y%m%d-%H%M%S}.tar.gz"
    uploads = path.parent / "uploads"
    db_bytes, version = db_backup.snapshot(path)
    files = {"isc.duckdb": db_bytes}
    if uploads.is_dir():
        for f in sorted(uploads.glob("*.xlsx")):
            files[f"uploads/{f.name}"] = f.read_bytes()
    manifest = {
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "data_version": version,
        "files": {name: _sha(data) for name, data in files.items()},
    }
    tmp = out.with_suffix(".partial")
    with tarfile.open(tmp, "w:gz") as tar:
        for name, data in [(MANIFEST, json.dumps(manifest, indent=2).encode()), *files.items()]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, out)
    return out


def restore(archive: str | os.PathLike, db: str | os.PathLike | None = None) -> dict:
    """Replace the database and stored uploads with the archive's, after checking every hash."""
    path = connection.db_path(db)
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        if MANIFEST not in members:
            raise ValueError("not an ISC backup: no manifest.json")
        manifest = json.loads(tar.extractfile(members[MANIFEST]).read())
        files = {}
        for name, digest in manifest["files"].items():
            if name not in members or "/.." in name or name.startswith(("/", "..")):
                raise ValueError(f"backup is missing or has an unsafe entry: {name}")
            data = tar.extractfile(members[name]).read()
            if _sha(data) != digest:
                raise ValueError(f"backup is damaged: {name} does not match its checksum")
            files[name] = data
    path.parent.mkdir(parents=True, exist_ok=True)
    uploads = path.parent / "uploads"
    uploads.mkdir(exist_ok=True)
    for name, data in files.items():
        if name.startswith("uploads/"):
            target = uploads / Path(name).name
            if not target.exists() or _sha(target.read_bytes()) != _sha(data):
                target.write_bytes(data)
    db_backup.put_in_place(files["isc.duckdb"], path)
    return {"data_version": manifest["data_version"], "files": len(files), "created": manifest["created"]}
