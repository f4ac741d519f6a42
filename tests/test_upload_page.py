"""The Upload and Upload history pages, driven with AppTest through the real file_uploader widget.

Whole flow: a bad file shows every error and offers the annotated workbook; a good file shows
the preview and nothing is written until Load; Load goes through etl.load.load_bytes; the
history shows the upload and Undo, once confirmed, brings back exactly the previous data. Then
who may do what when sign-in is configured (at.user); files of any type (.ods, .csv, .xls)
answered by the validator in the interface language; the preview against the report an upload
replaces and against last quarter's; the undo confirmation.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from etl.reference import Reference
from etl.template import build_template
from isc.db import queries, uploads
from isc.filters import Filters
from pages.common import md
from tests import workbooks as W
from tests.conftest import DEMO_LAST_PERIOD
from tests.test_annotate import highlighted

ROOT = Path(__file__).resolve().parent.parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
THEME, SECTOR, PERIOD = "CLIM", "ITU-T", str(DEMO_LAST_PERIOD)
REF = Reference.load()


def app(page: str = "pages/upload.py", user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    if user is not None:
        at.user = user
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def app_in(lang: str, monkeypatch) -> AppTest:
    """The Upload page with the interface language chosen in the URL (?lang=fr), kept inside the
    st.navigation shell after switch_page(), as in tests/test_i18n.py (the shell chooses the language)."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/upload.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.file_uploader(key="upload_files").set_value([(name, data, XLSX) for name, data in files])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def walk(node, skip_expanders: bool = False):
    """The elements under an AppTest node in page order (optionally not those in expanders)."""
    from streamlit.testing.v1.element_tree import Block, Expander

    if skip_expanders and isinstance(node, Expander):
        return
    if isinstance(node, Block):
        for idx in sorted(node.children):
            yield from walk(node.children[idx], skip_expanders)
    else:
        yield node


def frames(at: AppTest, column: str, in_expanders: bool = False) -> list:
    """The tables on the page that have this column, in page order (dataframes have no keys);
    by default not those in expanders (the comparison with last quarter's report)."""
    return [
        d.value for d in walk(at.main, skip_expanders=not in_expanders)
        if type(d).__name__ == "Dataframe" and column in d.value.columns
    ]  # fmt: skip


def sections(at: AppTest) -> dict[str, list]:
    """The elements of each uploaded file's section, by its "#### file name" heading."""
    out: dict[str, list] = {}
    current = None
    for e in walk(at.main):
        value = getattr(e, "value", None)
        if type(e).__name__ == "Markdown" and isinstance(value, str) and value.startswith("#### "):
            current = out.setdefault(value[5:].replace("\\", ""), [])
        elif current is not None:
            current.append(e)
    return out


def problems(elements) -> str:
    """What a file section says is wrong: its error boxes and the Error column of its tables."""
    parts = [e.value for e in elements if type(e).__name__ == "Error"]
    for e in elements:
        if type(e).__name__ == "Dataframe" and e.value.shape[1] >= 5:
            parts += [str(v) for v in e.value.iloc[:, 4]]
    return " | ".join(parts)


def edited_report(actual: float = 1.0, title: str = "Renamed in this quarter") -> bytes:
    """The live CLIM/ITU-T report of the last demo period, with one value and one title changed."""
    live = uploads.live_report(THEME, PERIOD, SECTOR)
    wb = build_template(REF, THEME, PERIOD, SECTOR, live.report)
    W.set_cell(wb, "Indicators", "actual", 2, actual)
    W.set_cell(wb, "Activities", "title", 3, title)
    return W.to_bytes(wb)


def bad_report() -> bytes:
    wb = build_template(REF, THEME, PERIOD, SECTOR, uploads.live_report(THEME, PERIOD, SECTOR).report)
    W.set_cell(wb, "Activities", "percent_complete", 3, 140)
    W.set_cell(wb, "Indicators", "actual", 2, "lots")
    W.set_cell(wb, "Activities", "start_date", 4, "someday")
    W.set_cell(wb, "Activities", "lead_sector", 2, "itu-r ")
    return W.to_bytes(wb)


def snapshot() -> dict:
    """What the dashboard shows for the report under test (repr: activity rows hold arrays)."""
    return {
        k: repr(v)
        for k, v in {
            "status": queries.report_status(Filters(PERIOD)).to_dict("records"),
            "activities": queries.activities(PERIOD, THEME).to_dict("records"),
            "reasons": queries.status_reasons(THEME, PERIOD).to_dict("records"),
            "indicators": queries.indicator_history(THEME).to_dict("records"),
            "reports": queries.summary()["reports"],
        }.items()
    }


def test_whole_flow_bad_file_good_file_preview_load_history_undo(demo_db):
    at = app()
    assert any("Sign-in is not configured: uploads are recorded as 'local'" in w for w in texts(at.warning))
    # 1. template: the chosen report is pre-filled from the last period's report, or from the
    # report loaded now for the quarter, when there is one (a correction starts from it)
    at.selectbox(key="tpl_theme").set_value(THEME)
    at.selectbox(key="tpl_sector").set_value(SECTOR)
    at.run()
    offered = at.selectbox(key="tpl_period").options
    fresh = next(p for p in offered if uploads.live_report(THEME, p, SECTOR) is None
                 and uploads.prefill_report(THEME, p, SECTOR))  # fmt: skip
    at.selectbox(key="tpl_period").set_value(fresh)
    at.run()
    expected = uploads.prefill_report(THEME, fresh, SECTOR).header["prefilled_from"]
    assert any(
        f"Pre-filled with the activities and indicators of the {expected} report" in c
        for c in texts(at.caption)
    )
    assert at.get("download_button")[0].label == "Download the template"
    if PERIOD in offered:
        at.selectbox(key="tpl_period").set_value(PERIOD)
        at.run()
        live = uploads.live_report(THEME, PERIOD, SECTOR)
        assert any(
            c.startswith("A report is already loaded for this quarter: the template is pre-filled with it "
                         f"(upload #{live.upload_id}, file {md(live.file_name)}, by {live.uploaded_by}")
            for c in texts(at.caption)
        )  # fmt: skip

    before = snapshot()
    version = queries.data_version()

    # 2-3. a bad file: every error listed, apart from warnings, and the annotated workbook offered
    bad = bad_report()
    upload(at, ("climate_Q3.xlsx", bad))
    assert any(e.startswith("**3 error(s)**") for e in texts(at.error))
    [errors] = frames(at, "Error")
    assert sorted(errors["Cell"]) == sorted(
        [
            W.cell("Activities", "percent_complete", 3),
            W.cell("Indicators", "actual", 2),
            W.cell("Activities", "start_date", 4),
        ]
    )
    assert list(errors.columns) == ["Sheet", "Cell", "Value", "Expected", "Error", "How to fix"]
    [warnings] = frames(at, "Warning")
    assert W.cell("Activities", "lead_sector", 2) in warnings["Cell"].tolist()
    labels = [b.label for b in at.get("download_button")]
    assert "Download your file with the problems marked" in labels
    [checked] = at.session_state["upload_checked"].values()
    marked = highlighted(checked.annotated)
    assert {cell for (_, cell), kind in marked.items() if kind == "error"} == set(errors["Cell"])
    assert not [b for b in at.button if b.label.startswith("Load")]
    assert queries.data_version() == version

    # 4. a good file: the preview, and still nothing written
    good = edited_report(actual=1.0)
    upload(at, ("climate_Q3_fixed.xlsx", good))
    assert any("No errors" in s for s in texts(at.success))
    [changes] = frames(at, "Indicator ID")
    assert changes[["Indicator ID", "Field", "After"]].values.tolist() == [["I-1", "Actual", "1"]]
    [act] = [f for f in frames(at, "Activity ID") if "Field" in f.columns]
    assert act[["Field", "After"]].values.tolist() == [["Title", "Renamed in this quarter"]]
    assert any("1 changed indicator" in m for m in texts(at.markdown))
    assert queries.data_version() == version

    # Load: etl.load.load_bytes, recorded as "local"
    [load] = [b for b in at.button if b.label == "Load climate_Q3_fixed.xlsx"]
    load.click()
    at.run()
    assert not at.exception
    new_id = 604 if version == 603 else None
    [ok] = [s for s in texts(at.success) if s.startswith("Loaded:")]
    assert "loaded as upload #" in ok and "supersedes upload #" in ok
    assert queries.data_version() == version + 1
    acts = queries.activities(PERIOD, THEME)
    assert "Renamed in this quarter" in acts["title"].tolist()
    h = uploads.history()
    top = h.iloc[0]
    assert top["file_name"] == "climate_Q3_fixed.xlsx" and top["uploaded_by"] == "local"
    assert top["outcome"] == "live" and (new_id is None or top["id"] == new_id)

    # 5. history: the upload is there, the original is byte for byte, undo restores the data
    at.switch_page("pages/history.py")
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Uploads"] == str(len(h))
    assert at.selectbox(key="history_upload").value == top["id"]
    from etl.load import uploads_dir

    assert (uploads_dir() / top["stored_name"]).read_bytes() == good
    [undo] = [b for b in at.button if b.label == f"Undo upload #{top['id']}"]
    undo.click()
    at.run()
    assert queries.data_version() == version + 1  # asked, not undone yet
    [yes] = [b for b in at.button if b.label == f"Yes, undo upload #{top['id']}"]
    yes.click()
    at.run()
    assert any(f"Upload #{top['id']} undone" in s for s in texts(at.success))
    assert snapshot() == before
    ev = uploads.events()
    assert ev.iloc[0]["action"] == "undo" and ev.iloc[0]["actor"] == "local"
    assert uploads.history().iloc[0]["outcome"] == "undone"
    assert not [b for b in at.button if b.label.startswith("Undo")]  # now undone: no second undo


def test_several_files_at_once_each_judged_on_its_own(demo_db):
    at = app()
    upload(
        at,
        ("bad.xlsx", bad_report()),
        ("good.xlsx", edited_report(actual=3.0)),
        ("not_excel.xlsx", b"this is plain text"),
    )
    assert any("3 file(s): 1 can be loaded, 2 cannot." in c for c in texts(at.caption))
    assert [b.label for b in at.button if b.label.startswith("Load")] == ["Load good.xlsx"]
    assert "This is not an Excel workbook (.xlsx)" in problems(sections(at)["not_excel.xlsx"])


def test_load_stores_what_the_check_prepared_without_reading_the_file_again(demo_db, monkeypatch):
    """The page keeps each file's etl.service.Prepared by its sha256; Load stores it as it is: the
    file is not read, validated or hashed again (any of them would fail here)."""
    import hashlib

    from etl import load, service

    good = edited_report(actual=2.0)
    at = upload(app(), ("good.xlsx", good))
    sha = hashlib.sha256(good).hexdigest()
    prepared = at.session_state["upload_checked"][sha]
    assert isinstance(prepared, service.Prepared) and prepared.sha256 == sha and prepared.preview is not None

    def again(*args, **kwargs):
        raise AssertionError("the file was read, validated or hashed again")

    monkeypatch.setattr(load, "check", again)
    monkeypatch.setattr(load, "read_workbook", again)
    monkeypatch.setattr(load, "validate", again)
    monkeypatch.setattr(load.hashlib, "sha256", lambda data=b"", *a: again() if data == good else hashlib.new(
        "sha256", data, *a))
    [button] = [b for b in at.button if b.label == "Load good.xlsx"]
    button.click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.startswith("Loaded:") for s in texts(at.success))
    assert uploads.live_report(THEME, PERIOD, SECTOR).sha256 == sha


def test_the_same_file_again_has_nothing_to_load(demo_db):
    live = uploads.live_report(THEME, PERIOD, SECTOR)
    from etl.load import uploads_dir

    original = (uploads_dir() / f"{live.sha256}.xlsx").read_bytes()
    at = upload(app(), ("again.xlsx", original))
    assert any("This exact file is already loaded" in i for i in texts(at.info))
    assert not [b for b in at.button if b.label.startswith("Load")]


def test_signed_in_focal_point_is_refused_other_sectors_and_recorded_by_email(demo_db):
    user = {"is_logged_in": True, "email_verified": True, "email": "fp.climate@example.org", "name": "Climate FP"}
    at = app(user=user)
    assert any("Signed in as **fp.climate@example.org**" in i for i in texts(at.info))
    assert not any("Sign-in is not configured" in w for w in texts(at.warning))
    # the template offers only what they may upload
    theme_box = at.selectbox(key="tpl_theme")
    assert theme_box.value == THEME and len(theme_box.options) == 1
    assert at.selectbox(key="tpl_sector").options == ["ITU-T", "ITU-D"]
    # a report for ITU-R is refused with a message naming what they may upload
    live_r = uploads.live_report(THEME, PERIOD, "ITU-R")
    wb = build_template(REF, THEME, PERIOD, "ITU-R", live_r.report if live_r else W.report())
    upload(at, ("itu_r.xlsx", W.to_bytes(wb)))
    [refusal] = [e for e in texts(at.error) if "may not upload" in e]
    assert "theme CLIM for sector ITU-R" in refusal
    assert "You may upload theme(s) CLIM for sector(s) ITU-D, ITU-T." in refusal
    assert not [b for b in at.button if b.label.startswith("Load")]
    # their own sector loads, recorded under their e-mail
    upload(at, ("mine.xlsx", edited_report(actual=2.0)))
    [b for b in at.button if b.label == "Load mine.xlsx"][0].click()
    at.run()
    top = uploads.history().iloc[0]
    assert top["file_name"] == "mine.xlsx" and top["uploaded_by"] == "fp.climate@example.org"


def test_focal_point_may_undo_only_their_own_uploads(demo_db):
    user = {"is_logged_in": True, "email_verified": True, "email": "fp.climate@example.org"}
    at = app("pages/history.py", user=user)
    newest = uploads.history().iloc[0]
    assert newest["uploaded_by"] == "demo" and newest["outcome"] == "live"
    assert any(
        f"Only an administrator or demo, who uploaded it, may undo upload #{newest['id']}" in i
        for i in texts(at.info)
    )
    assert not [b for b in at.button if b.label.startswith("Undo")]
    admin = app("pages/history.py", user={"is_logged_in": True, "email_verified": True, "email": "admin@example.org"})
    assert [b.label for b in admin.button if b.label.startswith("Undo")] == [f"Undo upload #{newest['id']}"]


def test_signed_out_user_sees_sign_in_and_no_uploader(demo_db):
    at = app(user={"is_logged_in": False})
    assert any("Sign in to upload" in w for w in texts(at.warning))
    assert [b.label for b in at.button if b.label == "Sign in"] == ["Sign in"]
    assert len(at.file_uploader) == 0


def test_unknown_signed_in_user_may_not_upload(demo_db):
    at = app(user={"is_logged_in": True, "email_verified": True, "email": "stranger@example.org"})
    assert len(at.file_uploader) == 0
    assert any("not listed as a focal point" in i for i in texts(at.info))


@pytest.mark.parametrize("period", [str(DEMO_LAST_PERIOD.next())])
def test_prefill_report_is_last_periods_live_report(demo_db, period):
    pre = uploads.prefill_report(THEME, period, SECTOR)
    live = uploads.live_report(THEME, PERIOD, SECTOR)
    assert pre.header["prefilled_from"] == PERIOD and pre.header["period"] == period
    assert pre.activities == live.report.activities and pre.indicators == live.report.indicators
    assert pre.results == [] and pre.risks == [] and pre.header["summary"] is None
    assert uploads.prefill_report(THEME, "2015-Q1", SECTOR) is None
    # the pre-filled template validates as it is
    from etl.load import check

    wb = build_template(REF, THEME, PERIOD, SECTOR, pre)
    v = check(W.to_bytes(wb), REF)
    assert v.ok and [a["activity_id"] for a in v.report.activities] == [
        a["activity_id"] for a in pre.activities
    ]
    assert [i["actual"] for i in v.report.indicators] == [i["actual"] for i in pre.indicators]
    assert isinstance(pre.activities[0]["start_date"], dt.date)


def test_cli_template_with_db_is_prefilled_from_last_period(demo_db, tmp_path, capsys):
    from etl.cli import main

    period = str(DEMO_LAST_PERIOD.next())
    out = tmp_path / "prefilled.xlsx"
    assert (
        main(
            [
                "template",
                "--theme",
                THEME,
                "--period",
                period,
                "--sector",
                SECTOR,
                "--out",
                str(out),
                "--db",
                str(demo_db),
            ]
        )
        == 0
    )
    assert "(pre-filled from the previous report)" in capsys.readouterr().out
    from openpyxl import load_workbook

    wb = load_workbook(out)
    live = uploads.live_report(THEME, PERIOD, SECTOR)
    ids = [r[0] for r in wb["Activities"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert ids == [a["activity_id"] for a in live.report.activities]
    assert wb["Report"]["B3"].value == period


def test_a_load_that_lands_while_reviewing_is_not_overwritten(demo_db):
    """Preview, then someone else loads the same report (the CLI here): Load says so, re-checks
    against the new live report, and a second Load then wins."""
    from etl.load import load_bytes

    at = upload(app(), ("mine.xlsx", edited_report(actual=2.0)))
    assert [b.label for b in at.button if b.label.startswith("Load")] == ["Load mine.xlsx"]
    other = load_bytes(edited_report(actual=5.0, title="Loaded from a terminal"), "terminal.xlsx", ref=REF)
    assert other.outcome == "loaded"
    [b for b in at.button if b.label == "Load mine.xlsx"][0].click()
    at.run()
    assert any(
        f"upload #{other.upload_id} for {THEME} {PERIOD} {SECTOR} was loaded while you were reviewing" in w
        for w in texts(at.warning)
    )
    assert uploads.history().iloc[0]["file_name"] == "terminal.xlsx"
    act = [f for f in frames(at, "Activity ID") if "Field" in f.columns][0]  # previewed against the new one
    assert act[["Before", "After"]].values.tolist() == [["Loaded from a terminal", "Renamed in this quarter"]]
    [b for b in at.button if b.label == "Load mine.xlsx"][0].click()
    at.run()
    assert any(
        s.startswith("Loaded:") and f"supersedes upload #{other.upload_id}" in s for s in texts(at.success)
    )


def test_a_file_name_cannot_inject_markdown(demo_db):
    at = upload(app(), ("[phish](http://evil.example) *x*.xlsx", b"not a workbook"))
    assert "#### \\[phish\\](http://evil.example) \\*x\\*.xlsx" in texts(at.markdown)
    assert not any("[phish](http://evil.example)" in m for m in texts(at.markdown))


def test_load_all_loads_every_valid_file_one_by_one(demo_db):
    d_live = uploads.live_report(THEME, PERIOD, "ITU-D")
    d_wb = build_template(REF, THEME, PERIOD, "ITU-D", d_live.report if d_live else W.report())
    W.set_cell(d_wb, "Indicators", "comment", 2, "Updated in this quarter")
    d_file = W.to_bytes(d_wb)
    at = upload(app(), ("t.xlsx", edited_report(actual=6.0)), ("d.xlsx", d_file), ("bad.xlsx", bad_report()))
    version = queries.data_version()
    [load_all] = [b for b in at.button if b.label.startswith("Load all")]
    assert load_all.label == "Load all 2 files that can be loaded"
    load_all.click()
    at.run()
    loaded = [s for s in texts(at.success) if s.startswith("Loaded:")]
    assert len(loaded) == 2
    assert queries.data_version() == version + 2
    assert uploads.history()["file_name"].head(2).tolist() == ["d.xlsx", "t.xlsx"]
    assert not [b for b in at.button if b.label.startswith("Load")]


def test_every_hostile_file_is_rejected_on_the_page_too_and_nothing_changes(demo_db):
    """The second front door of the hostile corpus: every file that the CLI rejects is refused
    on the Upload page, with the same message, no Load button, and the database unchanged."""
    from tests import hostile_corpus
    from tests.test_hostile_corpus import _dump

    bad = [c for c in hostile_corpus.build(REF) if c.expect == "error"]
    before = _dump(demo_db)
    at = upload(app(), *[(f"{c.name}.xlsx", c.data) for c in bad])
    assert f"{len(bad)} file(s): 0 can be loaded, {len(bad)} cannot." in texts(at.caption)
    # one verdict each: the count of errors (with their table), or why the file cannot be read
    assert sum("error(s)" in e or "This file cannot be loaded" in e for e in texts(at.error)) == len(bad)
    assert not [b.label for b in at.button if b.label.startswith("Load")]
    by_file = sections(at)
    for case in bad:
        said = problems(by_file[f"{case.name}.xlsx"])
        assert case.mentions.lower() in said.lower(), (case.name, said)
    assert _dump(demo_db) == before


@pytest.mark.parametrize(
    ("lang", "error", "warning", "percent", "fix", "actual", "sector"),
    [
        ("fr", "Erreur", "Avertissement", "Percent complete doit être compris entre 0 et 100",
         "Saisissez un pourcentage de 0 à 100.", "Actual doit être un nombre", "Lead sector 'itu-r' lu comme ITU-R"),
        ("en", "Error", "Warning", "Percent complete must be between 0 and 100",
         "Enter a percentage from 0 to 100.", "Actual must be a number", "Lead sector 'itu-r' read as ITU-R"),
    ],
)  # fmt: skip
def test_the_problems_of_a_file_are_listed_in_the_interface_language(
    demo_db, monkeypatch, lang, error, warning, percent, fix, actual, sector
):
    """The validation report in the chosen language; the values quoted from the file as typed.
    Columns: sheet, cell, value, expected, the problem, how to fix."""
    at = upload(app_in(lang, monkeypatch), ("climate_Q3.xlsx", bad_report()))
    [errors] = frames(at, error)
    rows = {r.iloc[1]: list(r) for _, r in errors.iterrows()}
    assert rows[W.cell("Activities", "percent_complete", 3)][2:] == [
        "140", "un nombre de 0 à 100" if lang == "fr" else "a number from 0 to 100", percent, fix
    ]
    assert rows[W.cell("Indicators", "actual", 2)][2:5] == ["lots", "un nombre" if lang == "fr" else "a number", actual]
    [warnings] = frames(at, warning)
    assert sector in warnings.iloc[:, 4].tolist()
    if lang == "fr":
        shown = " ".join(str(v) for frame in (errors, warnings) for v in frame.to_numpy().ravel())
        assert "must be" not in shown and " read as " not in shown and "Enter a" not in shown, shown


def test_the_preview_and_the_load_outcome_in_french(demo_db, monkeypatch):
    at = upload(app_in("fr", monkeypatch), ("climat_T3.xlsx", edited_report(actual=1.0)))
    lines = texts(at.markdown)
    assert "- 1 indicateur modifié" in lines and "- 1 activité modifiée" in lines, lines
    assert any(m.startswith(("- Statut calculé : ", "- Le statut calculé reste ")) for m in lines), lines
    assert not [m for m in lines if "changed" in m or "Computed status" in m]
    [load] = [b for b in at.button if b.label == "Charger climat_T3.xlsx"]
    load.click()
    at.run()
    assert not at.exception
    [ok] = [s for s in texts(at.success) if s.startswith("Chargé")]
    assert "chargé comme téléversement n° " in ok and "remplace le téléversement n° " in ok, ok
    assert "statut " in ok and "status" not in ok, ok


# --- any file type: the validator speaks, in the interface language --------------------------

ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"


def _soffice(data: bytes, fmt: str, folder: Path) -> bytes | None:
    """`data` (an .xlsx) converted by LibreOffice to `fmt`, or None when it cannot be."""
    exe = shutil.which("soffice")
    if exe is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    src = folder / "report.xlsx"
    src.write_bytes(data)
    profile = (folder / "profile").as_uri()  # a profile of its own: no clash with another soffice
    try:
        subprocess.run([exe, f"-env:UserInstallation={profile}", "--headless", "--convert-to", fmt,
                        "--outdir", str(folder), str(src)], capture_output=True, timeout=180, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = folder / f"report.{fmt}"
    return out.read_bytes() if out.exists() else None


def _minimal_ods() -> bytes:
    """An OpenDocument spreadsheet as LibreOffice starts one: the stored mimetype entry first."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), ODS_MIME, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", '<?xml version="1.0"?><office:document-content '
                   'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>')  # fmt: skip
        z.writestr("META-INF/manifest.xml", "<manifest/>")
    return buf.getvalue()


@pytest.fixture(scope="module")
def other_formats(tmp_path_factory) -> dict[str, tuple[bytes, str]]:
    """A real theme report saved as .ods and .xls by LibreOffice (made by hand when it is missing),
    the same report as CSV text, and a text file: {file name: (bytes, mime type)}."""
    good = W.good_bytes()
    folder = tmp_path_factory.mktemp("formats")
    ods = _soffice(good, "ods", folder / "ods") or _minimal_ods()
    xls = _soffice(good, "xls", folder / "xls") or b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096
    assert ods.startswith(b"PK") and b"opendocument" in ods[:100]
    assert xls.startswith(b"\xd0\xcf\x11\xe0")
    csv = b"Activity ID,Title,Lead sector\r\nA-01,Joint workshop,ITU-T\r\n"
    return {
        "climate.ods": (ods, ODS_MIME),
        "climate.csv": (csv, "text/csv"),
        "climate.xls": (xls, "application/vnd.ms-excel"),
        "notes.txt": (b"Our activities this quarter: see the e-mail.\n", "text/plain"),
    }


FORMAT_MESSAGES = {
    "en": {
        "climate.ods": "This is an OpenDocument spreadsheet (.ods); in LibreOffice use File > Save As > "
                       "Excel 2007-365 (.xlsx)",
        "climate.csv": "This is not an Excel workbook (.xlsx); download the template and fill it in",
        "climate.xls": "This is an old-format Excel file (.xls) or a password-protected workbook; save it as an "
                       "Excel Workbook (.xlsx) without a password",
        "notes.txt": "This is not an Excel workbook (.xlsx); download the template and fill it in",
    },
    "fr": {
        "climate.ods": "Il s'agit d'une feuille de calcul OpenDocument (.ods) ; dans LibreOffice, utilisez "
                       "Fichier > Enregistrer sous > Excel 2007-365 (.xlsx)",
        "climate.csv": "Ce n'est pas un classeur Excel (.xlsx) ; téléchargez le modèle et remplissez-le",
        "climate.xls": "Il s'agit d'un fichier Excel d'ancien format (.xls) ou d'un classeur protégé par mot de "
                       "passe ; enregistrez-le comme Classeur Excel (.xlsx) sans mot de passe",
        "notes.txt": "Ce n'est pas un classeur Excel (.xlsx) ; téléchargez le modèle et remplissez-le",
    },
}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_any_file_is_taken_and_the_validator_says_what_it_is(demo_db, monkeypatch, other_formats, lang):
    """The widget does not refuse .ods, .csv, .xls or .txt by itself (no technical "files are not
    allowed"): each gets the validator's plain sentence, as on the command line, in the interface
    language, and no Load button."""
    at = app_in(lang, monkeypatch)
    widget = at.file_uploader(key="upload_files")
    assert list(widget.proto.type) == []  # any type within the size limit
    widget.set_value([(name, data, mime) for name, (data, mime) in other_formats.items()])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    by_file = sections(at)
    heading = "Ce fichier ne peut pas être chargé." if lang == "fr" else "This file cannot be loaded."
    for name, message in FORMAT_MESSAGES[lang].items():
        [said] = [e.value for e in by_file[name] if type(e).__name__ == "Error"]
        assert said == f"**{heading}** {md(message)}.", (name, said)
        assert not [e for e in by_file[name] if type(e).__name__ == "Dataframe"]  # no table of cells
    assert not [b for b in at.button if b.label.startswith(("Load", "Charger"))]
    if lang == "fr":
        assert not [e for e in texts(at.error) if "not an Excel" in e or "cannot be loaded" in e]


# --- the preview: the report replaced, and last quarter's ------------------------------------


def test_the_preview_says_which_report_is_replaced_and_compares_with_last_quarter(demo_db):
    live, prev = uploads.live_and_previous(THEME, PERIOD, SECTOR)
    assert prev.period == str(DEMO_LAST_PERIOD.previous())
    at = upload(app(), ("climate_Q3_fixed.xlsx", edited_report(actual=1.0)))
    [notice] = [w for w in texts(at.warning) if w.startswith("This will replace")]
    assert notice == (
        f"This will replace report #{live.upload_id} for {THEME} {PERIOD} {SECTOR}, uploaded by "
        f"{live.uploaded_by} on {live.uploaded_at:%Y-%m-%d %H:%M} (file {md(live.file_name)}); that report "
        "stays in History and can be made live again by undoing this upload."
    )
    # the counts are against the report replaced
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Changed activities"] == "1" and metrics["New activities"] == "0"
    # ... and last quarter's comparison is one click away, with its own counts and tables
    [since] = at.expander
    assert since.label == f"Compared with the previous report ({prev.period}, upload #{prev.upload_id})"
    inside = texts(since.markdown)
    assert inside[0].startswith(f"**Compared with the previous report**, {prev.period}: upload #{prev.upload_id}")
    assert any(m.startswith("- Computed status") and f"in {prev.period}" in m for m in inside), inside
    assert frames(at, "Activity ID", in_expanders=True)  # the title change shows against Q2 too
    assert [b.label for b in at.button if b.label.startswith("Load")] == ["Load climate_Q3_fixed.xlsx"]


def new_quarter_report(actual: float | None = None) -> bytes:
    """The next quarter's report as a focal point sends it: the template pre-filled from the last
    demo quarter, with one activity further on (and all actual values set, if given)."""
    period = str(DEMO_LAST_PERIOD.next())
    pre = uploads.prefill_report(THEME, period, SECTOR)
    wb = build_template(REF, THEME, period, SECTOR, pre)
    W.set_cell(wb, "Activities", "percent_complete", 2, 95)
    if actual is not None:
        for row in range(2, len(pre.indicators) + 2):
            W.set_cell(wb, "Indicators", "actual", row, actual)
    return W.to_bytes(wb)


def test_a_new_quarter_is_compared_with_last_quarters_report_not_with_nothing(demo_db):
    """No report is live for the quarter yet: not "0 changed activities" and "was Not reported",
    but the changes and the status against last quarter's report, labelled with its quarter."""
    period, last = str(DEMO_LAST_PERIOD.next()), str(DEMO_LAST_PERIOD)
    prev = uploads.live_report(THEME, last, SECTOR)
    assert uploads.live_report(THEME, period, SECTOR) is None
    at = upload(app(), ("climate_Q4.xlsx", new_quarter_report(actual=0)))
    assert f"No report is live for {THEME} {period} {SECTOR} yet: this file will be the first one for this " \
           "theme, quarter and Sector." in texts(at.info)  # fmt: skip
    assert not [w for w in texts(at.warning) if w.startswith("This will replace")]
    metrics = {m.label: m for m in at.metric}
    assert metrics[f"Activities changed since {last}"].value == "1"
    assert metrics[f"New activities since {last}"].value == "0"
    [checked] = at.session_state["upload_checked"].values()
    p = checked.preview
    assert p.is_new_report and p.previous.baseline_period == last
    assert p.status_before == (prev.computed_status, last)
    status = metrics["Computed status"]
    if p.status_moves:
        from isc.charts import status_label

        assert status.proto.delta == f"was {status_label(prev.computed_status, 'en')} in {last}"
    assert "Not reported" not in status.proto.delta
    lines = texts(at.markdown)
    assert f"**Compared with the previous report**, {last}: upload #{prev.upload_id}" in " ".join(lines)
    assert "- 1 changed activity" in lines
    [act] = [f for f in frames(at, "Activity ID") if "Field" in f.columns]
    assert act[["Field", "After"]].values.tolist() == [["Percent complete", "95"]]
    assert not at.expander  # shown in full: it is the comparison that says most


def test_the_replace_notice_in_french(demo_db, monkeypatch):
    live = uploads.live_report(THEME, PERIOD, SECTOR)
    at = upload(app_in("fr", monkeypatch), ("climat_T3.xlsx", edited_report(actual=1.0)))
    [notice] = [w for w in texts(at.warning) if w.startswith("Ce fichier remplacera")]
    assert f"le rapport n° {live.upload_id} pour {THEME} {PERIOD} {SECTOR}, téléversé par {live.uploaded_by}" in notice
    assert "reste dans l'historique et peut être remis en vigueur en annulant ce téléversement" in notice
    assert [e.label for e in at.expander][0].startswith("Par rapport au rapport précédent")


# --- undo asks first, and says which report becomes live again --------------------------------


def history_at(upload_id: int, lang: str | None = None, monkeypatch=None, user: dict | None = None) -> AppTest:
    at = app("pages/history.py", user=user) if lang is None else app_in(lang, monkeypatch)
    if lang is not None:
        at.switch_page("pages/history.py")
        at.run()
    at.selectbox(key="history_upload").set_value(upload_id)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_undo_asks_for_confirmation_naming_the_report_that_becomes_live_again(demo_db):
    live = uploads.live_report(THEME, PERIOD, SECTOR)
    u = uploads.upload(live.upload_id)
    prev = u["previous"]
    assert prev is not None
    before, version = snapshot(), queries.data_version()
    at = history_at(live.upload_id)
    [undo] = [b for b in at.button if b.label == f"Undo upload #{live.upload_id}"]
    undo.click()
    at.run()
    assert queries.data_version() == version  # nothing undone by the first click
    [ask] = [w for w in texts(at.warning) if w.startswith(f"**Undo upload #{live.upload_id}**")]
    assert ask == (
        f"**Undo upload #{live.upload_id}** ({THEME}, {PERIOD}, {SECTOR}, by {u['uploaded_by']} on "
        f"{u['uploaded_at']:%Y-%m-%d %H:%M}, file {md(u['file_name'])})?\n\n"
        f"Report #{prev['id']} uploaded by {prev['uploaded_by']} on {prev['uploaded_at']:%Y-%m-%d %H:%M} "
        f"(file {md(prev['file_name'])}) becomes live again."
    )
    assert not [b for b in at.button if b.label == f"Undo upload #{live.upload_id}"]
    # cancel: nothing happens, and the question goes away
    [b for b in at.button if b.label == "No, keep it live"][0].click()
    at.run()
    assert not [w for w in texts(at.warning) if w.startswith("**Undo upload")]
    assert queries.data_version() == version and uploads.upload(live.upload_id)["outcome"] == "live"
    # ask again, confirm: undone, and the earlier report is live again
    [b for b in at.button if b.label == f"Undo upload #{live.upload_id}"][0].click()
    at.run()
    [b for b in at.button if b.label == f"Yes, undo upload #{live.upload_id}"][0].click()
    at.run()
    assert any(f"Upload #{live.upload_id} undone" in s for s in texts(at.success))
    assert queries.data_version() == version + 1
    assert uploads.live_report(THEME, PERIOD, SECTOR).upload_id == prev["id"]
    assert snapshot() != before


def test_undoing_the_only_report_says_none_will_be_live(demo_db, monkeypatch):
    from etl.load import load_bytes

    period = str(DEMO_LAST_PERIOD.next())
    loaded = load_bytes(new_quarter_report(), "climate_Q4.xlsx", ref=REF)
    assert loaded.outcome == "loaded" and loaded.supersedes is None
    at = history_at(loaded.upload_id)
    [b for b in at.button if b.label == f"Undo upload #{loaded.upload_id}"][0].click()
    at.run()
    [ask] = [w for w in texts(at.warning) if w.startswith(f"**Undo upload #{loaded.upload_id}**")]
    assert ask.endswith(
        "There is no earlier report: no report will be live for this theme, quarter and Sector "
        f"({THEME} {period} {SECTOR})."
    )
    [b for b in at.button if b.label == f"Yes, undo upload #{loaded.upload_id}"][0].click()
    at.run()
    assert uploads.live_report(THEME, period, SECTOR) is None
    # the same question in French
    again = load_bytes(new_quarter_report(actual=2.0), "climat_T4.xlsx", ref=REF)
    fr = history_at(again.upload_id, "fr", monkeypatch)
    [b for b in fr.button if b.label == f"Annuler le téléversement n° {again.upload_id}"][0].click()
    fr.run()
    [ask] = [w for w in texts(fr.warning) if w.startswith(f"**Annuler le téléversement n° {again.upload_id}**")]
    assert "plus aucun rapport ne sera en vigueur pour ce thème, ce trimestre et ce Secteur" in ask, ask
    labels = [b.label for b in fr.button]
    assert f"Oui, annuler le téléversement n° {again.upload_id}" in labels and "Non, le garder en vigueur" in labels


def test_a_confirmation_that_no_longer_holds_undoes_nothing(demo_db):
    """Between the question and the click, the report that would become live again was undone
    from a terminal: the click undoes nothing and says why."""
    from etl.load import undo

    live = uploads.live_report(THEME, PERIOD, SECTOR)
    prev_id = uploads.upload(live.upload_id)["previous"]["id"]
    at = history_at(live.upload_id)
    [b for b in at.button if b.label == f"Undo upload #{live.upload_id}"][0].click()
    at.run()
    undo(prev_id, actor="terminal")
    version = queries.data_version()
    [b for b in at.button if b.label == f"Yes, undo upload #{live.upload_id}"][0].click()
    at.run()
    assert any(f"Upload #{live.upload_id} was not undone" in e for e in texts(at.error))
    assert queries.data_version() == version and uploads.upload(live.upload_id)["outcome"] == "live"


def test_a_focal_point_gets_no_undo_question_for_someone_elses_upload(demo_db):
    """The permission check stays: the confirmation is only offered with the right to undo."""
    user = {"is_logged_in": True, "email_verified": True, "email": "fp.climate@example.org"}
    live = uploads.live_report(THEME, PERIOD, SECTOR)
    at = history_at(live.upload_id, user=user)
    assert not [b for b in at.button if "undo" in b.label.lower()]
