"""Validation issues in the interface language (the Upload page in French): every issue names its
catalogue entries, validate.<key>.message / .expected / .fix / .value in data/i18n/, and the values
they are filled in with; the English entries give back exactly the English texts that the CLI
prints, so the page and `python -m etl load` say the same thing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from etl import validate
from etl.load import check
from etl.reference import Reference
from isc import i18n
from tests import hostile_corpus

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ("expected", "message", "fix")  # a catalogue entry exactly when the issue has the text


def assert_renders(issue: validate.Issue) -> None:
    """The English catalogue, filled in with the issue's params, gives back the issue's texts;
    the French one fills in without error and says something else."""
    assert issue.key in validate.ISSUE_KEYS, str(issue)
    en, fr = i18n.catalogue("en"), i18n.catalogue("fr")
    for part in TEXTS:
        name = f"validate.{issue.key}.{part}"
        english = getattr(issue, part)
        if not english:
            assert name not in en, (name, str(issue))
            continue
        assert name in en, (name, str(issue))
        assert en[name].format(**issue.params) == english, (name, str(issue))
        assert fr[name].format(**issue.params).strip(), name
        if part == "message":
            assert fr[name].format(**issue.params) != english, (name, str(issue))
    name = f"validate.{issue.key}.value"  # a value the validator wrote itself ("merged cells")
    if name in en:
        assert en[name].format(**issue.params) == issue.value, (name, str(issue))
        assert fr[name].format(**issue.params).strip(), name


@pytest.fixture(scope="module")
def corpus_issues() -> list[validate.Issue]:
    ref = Reference.load()
    return [i for case in hostile_corpus.build(ref) for i in check(case.data, ref).issues]


def test_every_issue_of_the_hostile_corpus_comes_out_of_the_catalogue(corpus_issues):
    assert len(corpus_issues) > 40
    for issue in corpus_issues:
        assert_renders(issue)
    assert len({i.key for i in corpus_issues}) > 25


def test_keys_and_params_are_not_part_of_the_cli_output(corpus_issues):
    issue = next(i for i in corpus_issues if i.params)
    assert "key" not in issue.to_dict() and "params" not in issue.to_dict()
    assert str(issue).startswith(issue.severity.upper())


def test_the_catalogue_holds_exactly_the_issue_keys_of_the_code():
    for lang in ("en", "fr"):
        names = {k.split(".")[1] for k in i18n.keys(lang) if k.startswith("validate.")}
        assert names == validate.ISSUE_KEYS, names ^ validate.ISSUE_KEYS
        assert all(f"validate.{n}.message" in i18n.keys(lang) for n in names)
    # every key is written in the code that makes the issue (no stale entry in ISSUE_KEYS)
    literals = set()
    for path in (ROOT / "etl" / "validate.py", ROOT / "etl" / "reader.py", ROOT / "etl" / "sandbox.py",
                 ROOT / "etl" / "load.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "ISSUE_KEYS":
                continue  # the list itself
            literals |= {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert not validate.ISSUE_KEYS - literals, validate.ISSUE_KEYS - literals


def test_the_french_texts_quote_the_values_from_the_file_as_they_are():
    issue = validate.Issue("error", "Activities", 3, "C", "itu-x", "sector_unknown",
                           {"label": "Lead sector", "text": "itu-x", "choices": "GS, ITU-R"})
    assert_renders(issue)
    assert (issue.message, issue.expected, issue.fix) == (
        "Lead sector 'itu-x' is unknown", "one of: GS, ITU-R", "Pick the sector from the dropdown.")
    fr = i18n.catalogue("fr")
    assert fr["validate.sector_unknown.message"].format(**issue.params) == "Lead sector 'itu-x' est inconnu"
    assert fr["validate.sector_unknown.expected"].format(**issue.params) == "l'une des valeurs : GS, ITU-R"


def _provoked(monkeypatch) -> list[validate.Issue]:
    """Issues of the kinds the hostile corpus does not produce, each provoked once."""
    import datetime as dt

    from etl import reader
    from tests import workbooks as W

    def edited(*edits) -> bytes:
        wb = W.workbook()
        for edit in edits:
            (W.set_header if len(edit) == 2 else W.set_cell)(wb, *edit)
        return W.to_bytes(wb)

    files = [
        edited(("Activities", "status", 2, "Completed"), ("Activities", "percent_complete", 2, 50)),
        edited(("Activities", "start_date", 2, "01.02.2025")),
        edited(("self_status", None), ("sector", "itu-t"), ("period", "2010-Q1")),
        edited(("Indicators", "baseline", 2, True), ("Activities", "percent_complete", 3, 0.5)),
        edited(("Activities", "lead_sector", 2, "ITU-X"), ("Indicators", "target_date", 2, dt.date(2001, 1, 1))),
        edited(("theme", "AI - Artificial Intelligence")),
        b"PK\x03\x04 not really a zip",
    ]
    import warnings

    from tests import damaged_zips

    with warnings.catch_warnings():  # zipfile warns about the duplicate part it is given on purpose
        warnings.simplefilter("ignore")
        files += list(damaged_zips.one_of_each(W.to_bytes(W.workbook())).values())
    issues = [i for data in files for i in check(data, Reference.load()).issues]
    # too many rows: the row count is checked before any cell is read
    raw = reader.read_workbook(W.to_bytes(W.workbook()))
    raw.sheets["Activities"] += [raw.sheets["Activities"][1]] * 100_000
    issues += validate.validate(raw, Reference.load()).issues
    # an Excel serial date left unformatted (the template formats the cell as a date)
    raw = reader.read_workbook(W.to_bytes(W.workbook()))
    rows = raw.sheets["Activities"]
    rows[1] = [45900 if v == dt.date(2026, 6, 30) else v for v in rows[1]]
    issues += validate.validate(raw, Reference.load()).issues
    good = W.to_bytes(W.workbook())
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 1000)
    issues += check(good, Reference.load()).issues
    monkeypatch.undo()
    monkeypatch.setattr(reader, "MAX_INFLATED_BYTES", 1000)
    issues += check(good, Reference.load()).issues
    monkeypatch.undo()

    class Broken:
        @staticmethod
        def from_filelike(_):
            raise ValueError("unexpected end of sheet")

    monkeypatch.setattr(reader, "CalamineWorkbook", Broken)
    issues += check(good, Reference.load()).issues
    monkeypatch.undo()
    # out of time, out of memory: the check in its child process (etl.sandbox; a real file that
    # runs out of memory there is in tests/test_bounded_cost.py)
    from etl import sandbox

    issues += sandbox.check(good, Reference.load(), seconds=0.001).validation.issues
    issues += sandbox.refusal("memory").issues
    # a file the CLI cannot open
    from etl import load

    issue = load.cannot_read(Path("missing.xlsx"), FileNotFoundError(2, "No such file or directory")).errors[0]
    issues.append(validate.Issue("error", "(file)", None, None, issue["value"], "file_cannot_read",
                                 {"error": "No such file or directory"}))
    assert validate.Issue.to_dict(issues[-1]) == issue
    return issues


def test_every_kind_of_issue_comes_out_of_the_catalogue(corpus_issues, monkeypatch):
    provoked = _provoked(monkeypatch)
    for issue in provoked:
        assert_renders(issue)
    assert {i.key for i in corpus_issues + provoked} == validate.ISSUE_KEYS, (
        validate.ISSUE_KEYS - {i.key for i in corpus_issues + provoked}
    )
