"""Loading real .xlsx files into a real DuckDB file: load, reload, supersede, undo, reject."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pytest

from etl import load
from etl.load import init_db, load_bytes, undo, uploads_dir
from etl.service import load_files
from isc.db import queries
from isc.filters import Filters
from tests import workbooks as W


@pytest.fixture(autouse=True)
def _outcome_messages_come_out_of_the_catalogue(monkeypatch):
    """Every outcome of load_bytes in these tests names its catalogue entry (load.* in
    data/i18n/, shown on the Upload page in the interface language): English gives exactly the
    message the CLI prints, French fills in without error and says something else."""
    made = []
    original = load.load_bytes

    def recording(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(load, "load_bytes", recording)  # etl.service.load_files goes through it too
    monkeypatch.setitem(globals(), "load_bytes", recording)
    yield
    for out in made:
        assert out.message_key in load.MESSAGE_KEYS, out.message
        assert out.message_in("en") == out.message
        assert out.message_in("fr") != out.message
        assert "message_key" not in out.to_dict() and "message_params" not in out.to_dict()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "db" / "isc.duckdb"
    init_db(path)
    return path


def dump(db: Path) -> dict[str, list[tuple]]:
    """Every table of the database, in a canonical order: equal dumps = equal content."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "ORDER BY table_name"
            ).fetchall()
        ]
        assert {"upload", "report", "activity", "indicator", "event"} <= set(tables)
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def stored_files(db: Path) -> set[str]:
    folder = uploads_dir(db)
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def live_view(db: Path) -> dict:
    """What the dashboard shows for the test report: every read query that touches it."""
    return {
        "status": queries.report_status(Filters(W.PERIOD), db=db).to_dict("records"),
        "activities": queries.activities(W.PERIOD, W.THEME, db=db).to_dict("records"),
        "reasons": queries.status_reasons(W.THEME, W.PERIOD, db=db).to_dict("records"),
        "indicators": queries.indicator_history(W.THEME, db=db).drop(columns="bound").to_dict("records"),
        "results": queries.results(Filters(W.PERIOD, theme=W.THEME), db=db).to_dict("records"),
        "risks": queries.risks(W.THEME, W.PERIOD, db=db).to_dict("records"),
        "reports": queries.summary(db=db)["reports"],
    }


def write(tmp_path: Path, name: str, wb) -> Path:
    return W.save(wb, tmp_path / name)


def test_load_a_real_workbook(db, tmp_path):
    path = write(tmp_path, "clim.xlsx", W.workbook())
    [out] = load_files([path], db=db, uploaded_by="fp@example.org")
    assert out.outcome == "loaded" and out.accepted
    assert out.upload_id == 1 and out.supersedes is None and out.version == 1
    assert out.key == (W.THEME, W.PERIOD, W.SECTOR)
    assert out.message == "loaded as upload #1 (7 rows, status On track)"
    assert out.errors == [] and out.warnings == []

    acts = queries.activities(W.PERIOD, W.THEME, db=db)
    assert acts["activity_id"].tolist() == ["A-01", "A-02", "A-03"]
    first = acts.iloc[0]
    assert first["title"] == "Joint activity 1"
    assert list(first["partners"]) == ["ITU-R"] and list(first["joint_with"]) == ["ITU-D"]
    assert first["percent_complete"] == 40.0
    assert first["end_date"] == dt.date(2026, 6, 30) or str(first["end_date"])[:10] == "2026-06-30"
    status = queries.report_status(Filters(W.PERIOD), db=db).set_index(["theme", "sector"])
    assert status.loc[(W.THEME, W.SECTOR), "computed_status"] == "on_track"
    assert status.loc[(W.THEME, W.SECTOR), "self_status"] == "on_track"

    d = dump(db)
    assert len(d["activity"]) == 3 and len(d["indicator"]) == 2
    assert len(d["result"]) == 1 and len(d["risk"]) == 1
    [upload] = d["upload"]
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    assert upload[2:7] == (sha, "clim.xlsx", f"{sha}.xlsx", len(data), "fp@example.org")
    assert upload[8:11] == (W.THEME, W.PERIOD, W.SECTOR)
    # the original bytes are kept, named by their hash, identical
    stored = uploads_dir(db) / f"{sha}.xlsx"
    assert stored.read_bytes() == data
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha
    assert stored_files(db) == {f"{sha}.xlsx"}
    [event] = d["event"]
    assert event[2:5] == ("load", 1, "fp@example.org")


def test_reload_same_file_is_a_no_op_that_says_so(db, tmp_path):
    path = write(tmp_path, "clim.xlsx", W.workbook())
    load_files([path], db=db)
    before, files = dump(db), stored_files(db)
    [again] = load_files([path], db=db)
    assert again.outcome == "unchanged" and again.accepted
    assert again.upload_id == 1
    assert again.message == "already loaded as upload #1 (clim.xlsx); nothing changed"
    assert dump(db) == before
    assert stored_files(db) == files
    # also under another name: the content decides
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(path.read_bytes())
    [renamed] = load_files([copy], db=db)
    assert (renamed.outcome, renamed.upload_id) == ("unchanged", 1)
    assert dump(db) == before


def test_corrected_file_supersedes_and_old_stays_in_history(db, tmp_path):
    first = write(tmp_path, "v1.xlsx", W.workbook())
    load_files([first], db=db)
    wb = W.workbook()
    W.set_cell(wb, "Activities", "title", 2, "Corrected title")
    W.set_cell(wb, "Activities", "percent_complete", 2, 90)
    second = write(tmp_path, "v2.xlsx", wb)
    [out] = load_files([second], db=db)
    assert out.outcome == "loaded"
    assert (out.upload_id, out.supersedes, out.version) == (2, 1, 2)
    assert out.message.endswith("; supersedes upload #1, kept in history")

    acts = queries.activities(W.PERIOD, W.THEME, db=db)
    assert acts["title"].tolist() == ["Corrected title", "Joint activity 2", "Joint activity 3"]
    assert acts["percent_complete"].tolist() == [90.0, 40.0, 40.0]
    assert queries.summary(db=db)["reports"] == 1
    assert queries.summary(db=db)["uploads"] == 2
    d = dump(db)
    assert sorted(u[0] for u in d["upload"]) == [1, 2]
    assert all(u[15] is None for u in d["upload"])  # nothing undone
    # the old rows are still there, under upload 1
    assert sorted(a[3] for a in d["activity"] if a[0] == 1) == [
        "Joint activity 1",
        "Joint activity 2",
        "Joint activity 3",
    ]
    assert stored_files(db) == {f"{hashlib.sha256(p.read_bytes()).hexdigest()}.xlsx" for p in (first, second)}
    # as of version 1, the first upload is what was live
    old = queries.activities(W.PERIOD, W.THEME, db=db, version=1)
    assert old["title"].tolist()[0] == "Joint activity 1"


def test_other_sector_does_not_supersede(db, tmp_path):
    load_files([write(tmp_path, "t.xlsx", W.workbook())], db=db)
    [out] = load_files([write(tmp_path, "d.xlsx", W.workbook(sector="ITU-D"))], db=db)
    assert out.outcome == "loaded" and out.supersedes is None
    assert queries.summary(db=db)["reports"] == 2


def test_undo_restores_the_previous_live_report_exactly(db, tmp_path):
    load_files([write(tmp_path, "v1.xlsx", W.workbook())], db=db)
    before = live_view(db)
    wb = W.workbook()
    W.set_cell(wb, "Activities", "status", 2, "Delayed")
    W.set_cell(wb, "Indicators", "actual", 2, 0)
    W.set_header(wb, "self_status", "At risk")
    [out] = load_files([write(tmp_path, "v2.xlsx", wb)], db=db)
    changed = live_view(db)
    assert changed != before
    [mine] = [r for r in changed["status"] if (r["theme"], r["sector"]) == (W.THEME, W.SECTOR)]
    assert (mine["computed_status"], mine["self_status"]) == ("off_track", "at_risk")
    version = undo(out.upload_id, db=db, actor="admin@example.org")
    assert version == 3
    assert live_view(db) == before
    undone = [u for u in dump(db)["upload"] if u[0] == out.upload_id][0]
    assert (undone[15], undone[16]) == (3, "admin@example.org")
    with pytest.raises(ValueError, match="already undone"):
        undo(out.upload_id, db=db)
    with pytest.raises(LookupError, match="no upload #99"):
        undo(99, db=db)


def test_undo_of_the_only_upload_leaves_nothing_live(db, tmp_path):
    [out] = load_files([write(tmp_path, "v1.xlsx", W.workbook())], db=db)
    undo(out.upload_id, db=db)
    assert queries.summary(db=db)["reports"] == 0
    assert queries.activities(W.PERIOD, W.THEME, db=db).empty


def broken_workbook():
    wb = W.workbook()
    W.set_cell(wb, "Indicators", "baseline", 2, "abc")
    W.set_cell(wb, "Activities", "percent_complete", 3, 150)
    W.set_header(wb, "sector", "ITU-X")
    return wb


@pytest.mark.parametrize("kind", ["broken", "empty", "text", "old_version"])
def test_rejection_leaves_the_database_unchanged(db, tmp_path, kind):
    load_files([write(tmp_path, "v1.xlsx", W.workbook())], db=db)
    before, files = dump(db), stored_files(db)
    if kind == "broken":
        path = write(tmp_path, "bad.xlsx", broken_workbook())
    elif kind == "old_version":
        wb = W.workbook()
        W.set_header(wb, "template_version", "0.9")
        path = write(tmp_path, "old.xlsx", wb)
    else:
        path = tmp_path / "bad.xlsx"
        path.write_bytes(b"" if kind == "empty" else b"not,a,workbook\n")
    [out] = load_files([path], db=db)
    assert out.outcome == "rejected" and not out.accepted
    assert out.upload_id is None
    assert out.errors
    assert out.message.startswith(f"rejected: {len(out.errors)} error(s)")
    assert dump(db) == before
    assert stored_files(db) == files


def test_rejection_reports_every_error_with_location(db, tmp_path):
    out = load_bytes(W.to_bytes(broken_workbook()), "bad.xlsx", db=db)
    assert out.outcome == "rejected"
    assert sorted((e["sheet"], e["cell"]) for e in out.errors) == [
        ("Activities", "M3"),
        ("Indicators", "D2"),
        ("Report", "B4"),
    ]
    assert out.message == "rejected: 3 error(s), 0 warning(s); nothing was loaded"


def test_rejection_on_a_fresh_database_stores_nothing(tmp_path):
    db = tmp_path / "fresh" / "isc.duckdb"
    init_db(db)
    before = dump(db)
    out = load_bytes(W.to_bytes(broken_workbook()), "bad.xlsx", db=db)
    assert out.outcome == "rejected"
    assert dump(db) == before
    assert not uploads_dir(db).exists()


def test_warnings_are_counted_and_returned(db):
    wb = W.workbook()
    W.set_cell(wb, "Activities", "lead_sector", 2, "itu-t ")
    out = load_bytes(W.to_bytes(wb), "w.xlsx", db=db)
    assert out.outcome == "loaded"
    assert [(w["cell"], w["message"]) for w in out.warnings] == [("D2", "Lead sector 'itu-t' read as ITU-T")]
    [upload] = dump(db)["upload"]
    assert upload[13] == 1  # warning_count


def test_reloading_a_superseded_file_makes_it_live_again(db, tmp_path):
    first = write(tmp_path, "v1.xlsx", W.workbook())
    load_files([first], db=db)
    wb = W.workbook()
    W.set_cell(wb, "Activities", "title", 2, "Corrected title")
    load_files([write(tmp_path, "v2.xlsx", wb)], db=db)
    [out] = load_files([first], db=db)
    assert (out.outcome, out.upload_id, out.supersedes) == ("loaded", 3, 2)
    assert queries.activities(W.PERIOD, W.THEME, db=db)["title"].tolist()[0] == "Joint activity 1"
    assert len(stored_files(db)) == 2  # one stored copy per distinct content


def test_file_name_is_reduced_to_its_base_name(db):
    out = load_bytes(W.good_bytes(), "C:\\Users\\fp\\..\\report.xlsx", db=db)
    assert out.file_name == "report.xlsx"


def test_conflict_when_the_live_upload_changed(db):
    first = load_bytes(W.good_bytes(), "a.xlsx", db=db)
    before = dump(db)
    wb = W.workbook()
    W.set_cell(wb, "Activities", "title", 2, "Other")
    out = load_bytes(W.to_bytes(wb), "b.xlsx", db=db, expected_live=None)
    assert out.outcome == "conflict" and out.supersedes == first.upload_id
    assert dump(db) == before


def test_large_report_round_trips_through_the_bulk_insert(db):
    """Over 200 rows the activities go through a registered frame, not a VALUES list."""
    acts = [
        W.activity(
            i,
            percent_complete=None if i % 7 == 0 else i % 100,
            end_date=None if i % 5 == 0 else dt.date(2026, 1, 1) + dt.timedelta(days=i),
            **{"role_GS": "Partner" if i % 2 else None},
        )
        for i in range(1, 301)
    ]
    rep = W.report()
    rep.activities = acts
    out = load_bytes(W.to_bytes(W.workbook(rep)), "big.xlsx", db=db)
    assert out.outcome == "loaded", out.errors[:3]
    rows = {r[2]: r for r in dump(db)["activity"]}
    assert len(rows) == 300
    a7, a10, a11 = rows["A-07"], rows["A-10"], rows["A-11"]
    assert a7[11] is None and a10[11] == 10.0
    assert a10[10] is None and a11[10] == dt.date(2026, 1, 12)
    assert (a11[6], a11[7]) == (["ITU-R", "GS"], ["ITU-D"])
    assert (a10[6], a10[7]) == (["ITU-R"], ["ITU-D"])
    assert (a11[1], a11[3], a11[5], a11[8]) == (12, "Joint activity 11", "ITU-T", "In progress")


def _sparse_report(n: int):
    """n activities, most with no partner and no joint Sector, a few (late in the file) with."""
    acts = [
        W.activity(i, **{"role_ITU-D": "Joint" if i in (n - 10, n - 3) else None,
                         "role_ITU-R": "Partner" if i in (n - 5, n - 1) else None})
        for i in range(1, n + 1)
    ]
    rep = W.report()
    rep.activities = acts
    return rep


def test_large_report_with_sparse_partner_lists_loads(db):
    """5,000 activities, partners and joint Sectors on four rows near the end (DuckDB once
    guessed the list columns' type from the empty ones and refused the load)."""
    out = load_bytes(W.to_bytes(W.workbook(_sparse_report(5000))), "sparse.xlsx", db=db)
    assert out.outcome == "loaded", out.errors[:3]
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = {r[0]: (r[1], r[2]) for r in con.execute("SELECT row_no, partners, joint_with FROM activity").fetchall()}
    finally:
        con.close()
    assert len(rows) == 5000
    with_lists = {k: v for k, v in rows.items() if v != ([], [])}
    assert sorted(v for v in with_lists.values()) == sorted(
        [(["ITU-R"], []), (["ITU-R"], []), ([], ["ITU-D"]), ([], ["ITU-D"])])
    assert stored_files(db) == {f"{out.sha256}.xlsx"}


def test_failed_insert_leaves_no_file_and_no_rows(db, monkeypatch):
    """An insert that fails inside the transaction rolls everything back, the original included."""
    from isc.db import writes

    before, files = dump(db), stored_files(db)

    def failing(con, table, frame):
        raise duckdb.ConversionException("Failed to cast value (provoked)")

    monkeypatch.setattr(writes, "_insert", failing)
    with pytest.raises(duckdb.ConversionException):
        load_bytes(W.good_bytes(), "a.xlsx", db=db)
    assert dump(db) == before
    assert stored_files(db) == files  # no original, no temporary file


def test_a_second_upload_of_a_stored_file_keeps_it_when_it_fails(db, monkeypatch):
    """The original of an earlier (undone) upload is not removed by a failed reload of it."""
    from isc.db import writes

    first = load_bytes(W.good_bytes(), "a.xlsx", db=db)
    undo(first.upload_id, db=db)
    monkeypatch.setattr(writes, "_insert", lambda *a: (_ for _ in ()).throw(duckdb.IOException("disk full")))
    with pytest.raises(duckdb.IOException):
        load_bytes(W.good_bytes(), "a.xlsx", db=db)
    assert stored_files(db) == {f"{first.sha256}.xlsx"}


def test_a_killed_load_leaves_a_temporary_file_that_the_next_load_removes(db, tmp_path):
    folder = uploads_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / f".{'0' * 64}.999999999.1.tmp"  # no process has this id
    stale.write_bytes(b"half a file")
    out = load_bytes(W.good_bytes(), "a.xlsx", db=db)
    assert out.outcome == "loaded"
    assert stored_files(db) == {f"{out.sha256}.xlsx"}


def test_original_file_is_found_by_its_stored_name_only(db):
    data = W.good_bytes()  # once: two workbooks written a second apart differ in their zip times
    out = load_bytes(data, "a.xlsx", db=db)
    name = f"{out.sha256}.xlsx"
    assert load.original_file(name, db).read_bytes() == data
    (uploads_dir(db) / name).unlink()
    assert load.original_file(name, db) is None  # missing: the page says so, without a server path
    for hostile in ("../isc.duckdb", "/etc/passwd", "", None, ".hidden.tmp"):
        assert load.original_file(hostile, db) is None
