"""`python -m etl` as a user runs it: real subprocesses, real files, exit codes 0/1/2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from etl.load import check
from isc.db import queries
from tests import workbooks as W
from tests.test_load import broken_workbook, dump

ROOT = Path(__file__).resolve().parent.parent


def etl(*args, db: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("ISC_DB", None)
    if db is not None:
        env["ISC_DB"] = str(db)
    return subprocess.run(
        [sys.executable, "-m", "etl", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "db" / "isc.duckdb"


def test_template_writes_a_workbook_that_the_validator_reads(tmp_path, db):
    out = tmp_path / "t.xlsx"
    r = etl("template", "--theme", "CLIM", "--period", "2025-Q3", "--sector", "ITU-T", "--out", out, db=db)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"wrote {out}"
    v = check(out.read_bytes(), W.REF)
    # a blank template: the self-assessed status is missing, and a report needs content
    assert [(i.sheet, i.cell, i.message) for i in v.issues] == [
        ("Report", "B5", "Self-assessed status is empty"),
        ("Activities", "A2", "the report has no activity and no indicator; a report needs at least one of them"),
    ]
    assert not db.exists()  # writing a template never touches the database


def test_template_accepts_theme_name_and_other_period_forms(tmp_path):
    out = tmp_path / "t.xlsx"
    r = etl(
        "template",
        "--theme",
        "climate change & environmental sustainability",
        "--period",
        "Q3 2025",
        "--sector",
        "GS",
        "--out",
        out,
    )
    assert r.returncode == 0, r.stderr
    from openpyxl import load_workbook

    ws = load_workbook(out)["Report"]
    assert (ws["B2"].value, ws["B3"].value, ws["B4"].value) == (
        "CLIM - Climate Change & Environmental Sustainability",
        "2025-Q3",
        "GS",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--theme", "NOPE", "--period", "2025-Q3", "--sector", "ITU-T"], "error: unknown theme 'NOPE'"),
        (["--theme", "ENV", "--period", "2025-Q3", "--sector", "ITU-T"], "error: unknown theme 'ENV'"),
        (
            ["--theme", "CLIM", "--period", "2025-Q9", "--sector", "ITU-T"],
            "error: not a quarter like 2025-Q3",
        ),
        (["--theme", "CLIM", "--period", "2025-Q3", "--sector", "ITU-Z"], "error: unknown sector 'ITU-Z'"),
        (["--theme", "CLIM", "--period", "2025-Q3"], "the following arguments are required: --sector"),
    ],
)
def test_template_usage_errors_exit_2(tmp_path, args, message):
    out = tmp_path / "t.xlsx"
    r = etl("template", *args, "--out", out)
    assert r.returncode == 2
    assert message in r.stderr
    assert not out.exists()


def test_no_command_is_a_usage_error():
    assert etl().returncode == 2
    assert etl("frobnicate").returncode == 2


def test_load_good_file_exit_0(tmp_path, db):
    path = W.save(W.workbook(), tmp_path / "good.xlsx")
    r = etl("load", path, "--db", db)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == "good.xlsx: LOADED - loaded as upload #1 (7 rows, status On track)"
    assert queries.summary(db=db)["reports"] == 1
    r2 = etl("load", path, "--db", db)
    assert r2.returncode == 0
    assert "good.xlsx: UNCHANGED - already loaded as upload #1" in r2.stdout


def test_isc_db_environment_variable_is_honoured(tmp_path, db):
    path = W.save(W.workbook(), tmp_path / "good.xlsx")
    r = etl("load", path, "--json", db=db)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["db"] == str(db)
    assert db.exists()
    assert queries.summary(db=db)["uploads"] == 1
    assert (db.parent / "uploads").is_dir()
    # --db wins over ISC_DB
    other = tmp_path / "other" / "x.duckdb"
    r = etl("load", path, "--db", other, db=db)
    assert r.returncode == 0
    assert queries.summary(db=other)["uploads"] == 1
    assert queries.summary(db=db)["uploads"] == 1


def test_broken_workbook_prints_every_problem_and_changes_nothing(tmp_path, db):
    good = W.save(W.workbook(), tmp_path / "good.xlsx")
    assert etl("load", good, db=db).returncode == 0
    before = dump(db)
    bad = W.save(broken_workbook(), tmp_path / "bad.xlsx")
    r = etl("load", bad, db=db)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0] == "bad.xlsx: REJECTED - rejected: 3 error(s), 0 warning(s); nothing was loaded"
    problems = sorted(line.strip() for line in lines[1:])
    assert len(problems) == 3
    assert problems[0].startswith(
        "error   Activities!M3: Percent complete must be between 0 and 100 "
        "(found '150'; expected a number from 0 to 100)"
    )
    assert problems[1].startswith(
        "error   Indicators!D2: Baseline must be a number (found 'abc'; expected a number)"
    )
    assert problems[2].startswith("error   Report!B4: reporting sector 'ITU-X' is unknown (found 'ITU-X'")
    assert dump(db) == before


def test_json_lists_every_error_with_location(tmp_path, db):
    bad = W.save(broken_workbook(), tmp_path / "bad.xlsx")
    good = W.save(W.workbook(sector="ITU-D"), tmp_path / "good.xlsx")
    r = etl("load", good, bad, "--json", "--db", db)
    assert r.returncode == 1
    result = json.loads(r.stdout)
    assert result["accepted"] is False
    assert [f["outcome"] for f in result["files"]] == ["loaded", "rejected"]
    errors = result["files"][1]["errors"]
    assert len(errors) == 3
    for e in errors:
        assert {"sheet", "row", "column", "cell", "value", "expected", "message"} <= set(e)
    by_cell = {(e["sheet"], e["row"], e["column"]): e for e in errors}
    assert set(by_cell) == {("Indicators", 2, "D"), ("Activities", 3, "M"), ("Report", 4, "B")}
    assert (by_cell[("Indicators", 2, "D")]["value"], by_cell[("Indicators", 2, "D")]["expected"]) == (
        "abc",
        "a number",
    )
    assert by_cell[("Report", 4, "B")]["expected"] == "one of: ITU-R, ITU-T, ITU-D, GS, RO"


def test_json_for_a_file_that_is_not_a_workbook(tmp_path, db):
    path = tmp_path / "notes.xlsx"
    path.write_text("just text")
    r = etl("load", path, "--json", "--db", db)
    assert r.returncode == 1
    [f] = json.loads(r.stdout)["files"]
    assert f["outcome"] == "rejected"
    assert [(e["sheet"], e["row"], e["column"]) for e in f["errors"]] == [("(file)", None, None)]
    assert f["errors"][0]["message"].startswith("this is not an Excel workbook (.xlsx)")


def test_load_missing_file_is_a_usage_error(tmp_path, db):
    r = etl("load", tmp_path / "nope.xlsx", "--db", db)
    assert r.returncode == 2
    assert "error: no such file:" in r.stderr
    assert not db.exists()


def test_undo_command(tmp_path, db):
    path = W.save(W.workbook(), tmp_path / "good.xlsx")
    etl("load", path, db=db)
    r = etl("undo", "1", db=db)
    assert (r.returncode, r.stdout.strip()) == (0, "upload #1 undone (data version 2)")
    assert queries.summary(db=db)["reports"] == 0
    r = etl("undo", "1", db=db)
    assert r.returncode == 1 and "already undone" in r.stderr


def test_demo_builds_a_database(tmp_path):
    db = tmp_path / "demo" / "isc.duckdb"
    r = etl("demo", db=db, timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"demo database {db}: ")
    assert r.stdout.strip().endswith("illustrative uploads loaded")
    s = queries.summary(db=db)
    assert s["resolutions"] == 57 and s["themes_2024"] == 16
    assert s["uploads"] > s["reports"] > 100  # revised uploads supersede earlier ones
