"""Shared fixtures: one demo database built per test session, copied for each test that writes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from etl.demo import build_demo
from isc import settings
from isc.periods import Period

ROOT = Path(__file__).resolve().parent.parent
# Fixed so that tests do not depend on today's date: the demo's last quarter is the latest that has
# ended on ISC_TODAY (the quarter every page opens on; inherited by the servers and CLIs tests start).
DEMO_LAST_PERIOD = Period(2026, 3)
os.environ["ISC_TODAY"] = "2026-11-30"


@pytest.fixture(autouse=True)
def _environment_read_afresh():
    """isc.settings.environment() reads ISC_* once per process; a test that sets ISC_DB or ISC_TODAY
    with monkeypatch (the demo_db and empty_db fixtures do) must see its own values."""
    settings.environment.cache_clear()
    yield
    settings.environment.cache_clear()


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory) -> Path:
    """The demo database, built once (about 25 s). Never write to it: use `demo_db`."""
    folder = tmp_path_factory.mktemp("demo_master")
    path = folder / "isc.duckdb"
    build_demo(path, last=DEMO_LAST_PERIOD)
    return path


@pytest.fixture
def demo_db(demo_master: Path, tmp_path: Path, monkeypatch) -> Path:
    """A private copy of the demo database (with its stored uploads); ISC_DB points at it."""
    target = tmp_path / "db" / "isc.duckdb"
    target.parent.mkdir()
    shutil.copy2(demo_master, target)
    wal = Path(str(demo_master) + ".wal")
    if wal.exists():
        shutil.copy2(wal, Path(str(target) + ".wal"))
    uploads = demo_master.parent / "uploads"
    if uploads.exists():
        shutil.copytree(uploads, target.parent / "uploads")
    monkeypatch.setenv("ISC_DB", str(target))
    settings.environment.cache_clear()
    return target


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch) -> Path:
    """A fresh database with the schema and reference data, and no reports."""
    from etl.load import init_db

    path = tmp_path / "db" / "isc.duckdb"
    init_db(path)
    monkeypatch.setenv("ISC_DB", str(path))
    settings.environment.cache_clear()
    return path
