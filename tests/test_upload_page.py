"""The Upload and Upload history pages, driven with AppTest through the real file_uploader widget.

Whole flow: a bad file shows every error and offers the annotated workbook; a good file shows
the preview and nothing is written until Load; Load goes through etl.load.load_bytes; the
history shows the upload and Undo brings back exactly the previous data. Then who may do what
when sign-in is configured (at.user).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.runtime import pages_manager
from streamlit.testing.v1 import AppTest

from etl.reference import Reference
from etl.template import build_template
from isc.db import queries, uploads
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
    original = pages_manager.PagesManager.__init__

    def init(self, *args, **kwargs):
        pages_manager.PagesManager.uses_pages_directory = False
        original(self, *args, **kwargs)

    monkeypatch.setattr(pages_manager.PagesManager, "__init__", init)
    # put back as it was after the test (the patched __init__ sets it on the class)
    monkeypatch.setattr(pages_manager.PagesManager, "uses_pages_directory", pages_manager.PagesManager.uses_pages_directory)
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


def frames(at: AppTest, column: str) -> list:
    """The tables on the page that have this column, in page order (dataframes have no keys)."""
    return [d.value for d in at.dataframe if column in d.value.columns]


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
            "status": queries.report_status(PERIOD).to_dict("records"),
            "activities": queries.activities(PERIOD, THEME).to_dict("records"),
            "reasons": queries.status_reasons(THEME, PERIOD).to_dict("records"),
            "indicators": queries.indicator_history(THEME).to_dict("records"),
            "reports": queries.summary()["reports"],
        }.items()
    }


def test_whole_flow_bad_file_good_file_preview_load_history_undo(demo_db):
    at = app()
    assert any("Sign-in is not configured: uploads are recorded as 'local'" in w for w in texts(at.warning))
    # 1. template: the chosen report is pre-filled from the last period's report
    at.selectbox(key="tpl_theme").set_value(THEME)
    at.selectbox(key="tpl_sector").set_value(SECTOR)
    at.run()
    chosen = at.selectbox(key="tpl_period").value
    expected = uploads.prefill_report(THEME, chosen, SECTOR).header["prefilled_from"]
    assert any(
        f"Pre-filled with the activities and indicators of the {expected} report" in c
        for c in texts(at.caption)
    )
    assert at.get("download_button")[0].label == "Download the template"

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
    assert any("not an Excel workbook" in str(v) for v in frames(at, "Error")[-1]["Error"])


def test_the_same_file_again_has_nothing_to_load(demo_db):
    live = uploads.live_report(THEME, PERIOD, SECTOR)
    from etl.load import uploads_dir

    original = (uploads_dir() / f"{live.sha256}.xlsx").read_bytes()
    at = upload(app(), ("again.xlsx", original))
    assert any("This exact file is already loaded" in i for i in texts(at.info))
    assert not [b for b in at.button if b.label.startswith("Load")]


def test_signed_in_focal_point_is_refused_other_sectors_and_recorded_by_email(demo_db):
    user = {"is_logged_in": True, "email": "fp.climate@example.org", "name": "Climate FP"}
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
    user = {"is_logged_in": True, "email": "fp.climate@example.org"}
    at = app("pages/history.py", user=user)
    newest = uploads.history().iloc[0]
    assert newest["uploaded_by"] == "demo" and newest["outcome"] == "live"
    assert any(
        f"Only an administrator or demo, who uploaded it, may undo upload #{newest['id']}" in i
        for i in texts(at.info)
    )
    assert not [b for b in at.button if b.label.startswith("Undo")]
    admin = app("pages/history.py", user={"is_logged_in": True, "email": "admin@example.org"})
    assert [b.label for b in admin.button if b.label.startswith("Undo")] == [f"Undo upload #{newest['id']}"]


def test_signed_out_user_sees_sign_in_and_no_uploader(demo_db):
    at = app(user={"is_logged_in": False})
    assert any("Sign in to upload" in w for w in texts(at.warning))
    assert [b.label for b in at.button if b.label == "Sign in"] == ["Sign in"]
    assert len(at.file_uploader) == 0


def test_unknown_signed_in_user_may_not_upload(demo_db):
    at = app(user={"is_logged_in": True, "email": "stranger@example.org"})
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
    assert sum("error(s)" in e for e in texts(at.error)) == len(bad)
    assert not [b.label for b in at.button if b.label.startswith("Load")]
    tables = [d.value for d in at.dataframe if "Error" in d.value.columns]
    assert len(tables) == len(bad)
    for case, table in zip(bad, tables, strict=True):
        assert any(case.mentions.lower() in str(m).lower() for m in table.iloc[:, 4]), (case.name, table)
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
