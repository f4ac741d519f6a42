"""Backup and restore: one command each, and a restore gives the same dashboard numbers."""

from __future__ import annotations

import subprocess
import sys
import tarfile

import pytest

from etl.load import undo
from isc import backup
from isc.db import queries
from isc.filters import Filters
from tests.conftest import ROOT


def _numbers(db) -> dict:
    return {
        "summary": {k: v for k, v in queries.summary(db).items()},
        "status": queries.status_counts(Filters("2026-Q3"), db)["themes"].tolist(),
        "matrix": queries.theme_sector_matrix(Filters("2025-Q3"), db).to_dict("records"),
    }


def test_restore_gives_the_same_numbers_after_the_data_changed(demo_db, tmp_path):
    before = _numbers(demo_db)
    archive = backup.backup(tmp_path / "backups", demo_db)
    undo(5, db=demo_db, actor="test")
    assert _numbers(demo_db) != before
    info = backup.restore(archive, demo_db)
    assert info["data_version"] == before["summary"]["version"]
    assert _numbers(demo_db) == before


def test_restore_brings_back_the_original_files(demo_db, tmp_path):
    archive = backup.backup(tmp_path / "b.tar.gz", demo_db)
    stored = sorted((demo_db.parent / "uploads").glob("*.xlsx"))
    originals = {p.name: p.read_bytes() for p in stored[:3]}
    for p in stored[:3]:
        p.unlink()
    backup.restore(archive, demo_db)
    for name, data in originals.items():
        assert (demo_db.parent / "uploads" / name).read_bytes() == data


def test_a_damaged_backup_is_refused_and_the_database_is_untouched(demo_db, tmp_path):
    archive = backup.backup(tmp_path / "b.tar.gz", demo_db)
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(bad, "w:gz") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()
            if m.name == "isc.duckdb":
                data = data[:-10] + b"0123456789"
            m.size = len(data)
            import io

            dst.addfile(m, io.BytesIO(data))
    before = demo_db.read_bytes()
    with pytest.raises(ValueError, match="damaged"):
        backup.restore(bad, demo_db)
    assert demo_db.read_bytes() == before


def test_backup_and_restore_commands(demo_db, tmp_path):
    env_db = ["--db", str(demo_db)]
    out = subprocess.run(
        [sys.executable, "-m", "etl", "backup", "--out", str(tmp_path / "bk"), *env_db],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    archive = next((tmp_path / "bk").glob("*.tar.gz"))
    out = subprocess.run(
        [sys.executable, "-m", "etl", "restore", str(archive), *env_db],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "restored" in out.stdout


def test_the_copy_is_complete_without_the_write_ahead_log(demo_db, tmp_path):
    """isc.db.backup.snapshot checkpoints first: the bytes alone hold the latest data version,
    even right after an undo left its changes in the .wal file."""
    from isc.db import backup as db_backup

    undo(5, db=demo_db, actor="test")
    data, version = db_backup.snapshot(demo_db)
    assert version == queries.data_version(demo_db)
    alone = tmp_path / "alone" / "isc.duckdb"
    alone.parent.mkdir()
    alone.write_bytes(data)
    assert queries.data_version(alone) == version
    assert queries.status_counts(Filters("2026-Q3"), alone).equals(queries.status_counts(Filters("2026-Q3"), demo_db))
