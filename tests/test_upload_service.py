"""etl.service: a file is hashed, read and validated once (prepare), and Load stores exactly what
the check produced; the database is still asked, in the write, whether anything changed that
matters (the same file loaded meanwhile, another upload of the same report); the marked copy is
made only when asked for."""

from __future__ import annotations

from collections import Counter

import pytest

from etl import load, sandbox, service
from etl.reference import Reference
from isc import auth
from isc.db import uploads
from tests import workbooks as W

REF = Reference.load()


@pytest.fixture
def counted(monkeypatch) -> Counter:
    """Counts the reads, validations and hashes of the bytes under test. The check runs in-process
    here (exactly what the sandbox's child runs: etl.load.check), so that the counters see it."""
    calls: Counter = Counter()

    def counting(name, func):
        def wrapped(*args, **kwargs):
            calls[name] += 1
            return func(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(load, "read_workbook", counting("read", load.read_workbook))
    monkeypatch.setattr(load, "validate", counting("validate", load.validate))
    monkeypatch.setattr(sandbox, "check", lambda data, ref, mark=True, **kw: sandbox.Checked(load.check(data, ref)))
    real_sha = service.hashlib.sha256

    def sha256(data=b"", *args, **kwargs):
        if isinstance(data, bytes) and len(data) > 1000:  # a workbook's bytes, not a short key
            calls["hash"] += 1
        return real_sha(data, *args, **kwargs)

    monkeypatch.setattr(service.hashlib, "sha256", sha256)
    return calls


def test_prepare_then_load_reads_validates_and_hashes_the_file_once(empty_db, counted):
    data = W.good_bytes()
    prepared = service.prepare(data, "report.xlsx", REF, db=empty_db)
    assert prepared.ok and prepared.preview is not None and prepared.preview.is_new_report
    assert counted == {"read": 1, "validate": 1, "hash": 1}
    outcome = service.load(prepared, "someone", ref=REF)
    assert outcome.outcome == "loaded", outcome.message
    assert outcome.sha256 == prepared.sha256
    assert counted == {"read": 1, "validate": 1, "hash": 1}  # Load added none


def test_the_cli_path_reads_validates_and_hashes_once_too(empty_db, counted, tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(W.good_bytes())
    [outcome] = service.load_files([path], db=empty_db)
    assert outcome.outcome == "loaded", outcome.message
    assert counted == {"read": 1, "validate": 1, "hash": 1}


def test_load_refuses_when_the_database_changed_meanwhile(empty_db):
    data = W.good_bytes()
    first = service.prepare(data, "a.xlsx", REF, db=empty_db)
    same = service.prepare(data, "b.xlsx", REF, db=empty_db)
    assert service.load(first, ref=REF).outcome == "loaded"
    again = service.load(same, ref=REF)  # the same file, loaded while this one was reviewed
    assert again.outcome == "unchanged" and again.message.startswith("already loaded as upload #")
    other = service.prepare(W.to_bytes(W.workbook(W.report(summary="Another text"))), "c.xlsx", REF, db=empty_db)
    changed = service.prepare(W.to_bytes(W.workbook(W.report(summary="Yet another text"))), "d.xlsx", REF, db=empty_db)
    assert service.load(other, ref=REF).outcome == "loaded"
    late = service.load(changed, ref=REF)  # previewed against the report `other` replaced
    assert late.outcome == "conflict" and "was loaded while you were reviewing" in late.message
    assert uploads.live_report(*other.validation.report.key, db=empty_db).sha256 == other.sha256


def test_a_refused_file_gets_no_preview_and_is_never_loaded(empty_db):
    who = auth.Identity("fp@example.org", configured=True, signed_in=True, role=auth.FOCAL_POINT,
                        themes=frozenset({"NOPE"}), sectors=frozenset({"ITU-T"}))
    prepared = service.prepare(W.good_bytes(), "a.xlsx", REF, db=empty_db, who=who)
    assert prepared.validation.ok and not prepared.ok and prepared.preview is None
    assert prepared.refusal and prepared.checked_for == who.user
    with pytest.raises(PermissionError):
        service.load(prepared, who.actor, ref=REF)


def test_the_marked_copy_is_made_only_when_asked_for(empty_db, monkeypatch):
    wb = W.workbook()
    W.set_cell(wb, "Activities", "percent_complete", 2, 250)
    marks = Counter()
    real_mark = sandbox.mark

    def mark(data, issues, **kw):
        marks["mark"] += 1
        return real_mark(data, issues, **kw)

    monkeypatch.setattr(sandbox, "mark", mark)
    prepared = service.prepare(W.to_bytes(wb), "bad.xlsx", REF, db=empty_db)
    assert not prepared.ok and prepared.markable and not marks
    marked = prepared.annotated
    assert marked and marked[:2] == b"PK" and marks["mark"] == 1
    assert prepared.annotated is marked and marks["mark"] == 1  # made once


def test_an_unreadable_file_is_not_offered_a_marked_copy(empty_db):
    prepared = service.prepare(b"plain text", "notes.xlsx", REF, db=empty_db)
    assert prepared.unreadable is not None and not prepared.markable and prepared.annotated is None
    assert prepared.unreadable.message.startswith("this is not an Excel workbook")
