"""The interface in several languages (issue 8): message catalogues in data/i18n/, every key the
code uses present in every catalogue with the same placeholders, the dashboard entirely in French
when French is chosen, localised theme and track names from the reference data, and a
right-to-left language added by dropping a catalogue in, without a code change."""

from __future__ import annotations

import ast
import json
import shutil
import string
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from etl import load, preview, validate
from isc import charts, completeness, i18n
from isc.db import queries

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "dashboard.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "isc").rglob("*.py"))]
SHIPPED = sorted(p.stem for p in i18n.I18N_DIR.glob("*.json"))


def literal_keys() -> dict[str, str]:
    """Every catalogue key written literally in the code: t("key"), translate(lang, "key"),
    plural(lang, "key", n) -> the file that uses it."""
    found: dict[str, str] = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            position = {"t": 0, "translate": 1}.get(name)
            if name == "plural":
                position = 1
            if position is None or len(node.args) <= position:
                continue
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                where = str(path.relative_to(ROOT))
                if name == "plural":  # plural(lang, "unit.x", n) reads unit.x.one / unit.x.other
                    found |= {f"{arg.value}.one": where, f"{arg.value}.other": where}
                else:
                    found[arg.value] = where
    return found


def dynamic_keys() -> set[str]:
    """Keys the code builds from data values (status codes, units, roles...)."""
    keys = set()
    for s in charts.STATUS_ORDER:
        keys |= {f"status.{s}", f"status.short.{s}"}
    keys |= {f"completeness.{s}" for s in completeness.ORDER}
    keys |= {f"coverage.{c.replace(' ', '_')}" for c in charts.COVERAGE_ORDER}
    keys |= {f"chart.role.{r}" for r in charts.ROLE_ORDER}
    for unit in ("theme", "report", "expected_report"):
        keys |= {f"unit.{unit}.one", f"unit.{unit}.other"}
    keys |= {f"chart.axis.count.{u}" for u in ("theme", "report", "activity", "resolution")}
    # upload validation issues: validate.<Issue.key>.message (and .expected/.fix/.value where the
    # issue has them: checked issue by issue in tests/test_validate_i18n.py)
    keys |= {f"validate.{k}.message" for k in validate.ISSUE_KEYS}
    # the upload preview's summary lines
    keys |= {f"preview.{k}" for k in preview.SUMMARY_KEYS}
    keys |= {f"preview.{k}.{form}" for k in preview.COUNTED for form in ("one", "other")}
    keys |= set(load.MESSAGE_KEYS)  # the outcome of a load
    return keys


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_english_and_french_are_shipped_with_their_own_names():
    assert {"en", "fr"} <= set(SHIPPED)
    langs = i18n.languages()
    assert list(langs)[0] == "en"
    assert langs["en"] == "English" and langs["fr"] == "Français"
    for code in SHIPPED:
        meta = i18n.catalogue(code)["_meta"]
        assert meta["name"] and meta["dir"] in ("ltr", "rtl")


def test_the_scan_finds_the_keys_of_every_layer():
    used = literal_keys()
    assert len(used) > 300
    files = set(used.values())
    for expected in ("dashboard.py", "pages/overview.py", "pages/common.py", "isc/charts.py",
                     "isc/chart_style.py", "pages/meeting.py", "pages/upload.py"):  # fmt: skip
        assert expected in files, expected


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_key_used_in_code_is_in_every_shipped_catalogue(lang):
    have = i18n.keys(lang)
    missing = {k: f for k, f in literal_keys().items() if k not in have}
    assert not missing, f"{lang}.json lacks: {missing}"
    assert not dynamic_keys() - have, f"{lang}.json lacks: {sorted(dynamic_keys() - have)}"


@pytest.mark.parametrize("lang", [c for c in SHIPPED if c != "en"])
def test_catalogues_have_the_same_keys_and_placeholders(lang):
    en, other = i18n.catalogue("en"), i18n.catalogue(lang)
    assert i18n.keys(lang) == i18n.keys("en")
    for key in i18n.keys("en"):
        assert isinstance(other[key], str) and other[key].strip(), key
        assert placeholders(other[key]) == placeholders(en[key]), key


def test_placeholders_never_clash_with_the_translate_arguments():
    for lang in SHIPPED:
        for key in i18n.keys(lang):
            assert not placeholders(i18n.catalogue(lang)[key]) & {"lang", "key"}, key


def test_translate_falls_back_to_english_then_to_the_key(tmp_path, monkeypatch):
    assert i18n.translate("fr", "status.off_track") == "Hors trajectoire"
    assert i18n.translate("xx", "status.off_track") == "Off track"
    assert i18n.translate("fr", "no.such.key") == "no.such.key"
    assert i18n.plural("fr", "unit.theme", 0) == "0 thème" and i18n.plural("en", "unit.theme", 0) == "0 themes"
    assert i18n.supported("fr") == "fr" and i18n.supported("xx") == "en" and i18n.supported(None) == "en"


@pytest.fixture
def arabic(tmp_path, monkeypatch):
    """A temporary Arabic catalogue beside the shipped ones (a partial one: two keys)."""
    folder = tmp_path / "i18n"
    shutil.copytree(i18n.I18N_DIR, folder)
    ar = {"_meta": {"name": "العربية", "dir": "rtl"}, "nav.overview": "نظرة عامة", "filter.period": "الفترة"}
    (folder / "ar.json").write_text(json.dumps(ar, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(i18n, "I18N_DIR", folder)
    i18n.catalogue.cache_clear()
    yield folder
    i18n.catalogue.cache_clear()


def test_a_new_rtl_language_needs_only_a_catalogue(arabic):
    assert i18n.languages()["ar"] == "العربية"
    assert i18n.direction("ar") == "rtl" and i18n.direction("fr") == "ltr"
    assert i18n.translate("ar", "filter.period") == "الفترة"
    assert i18n.translate("ar", "filter.track") == "Track"  # not translated yet: English


# --- the app -----------------------------------------------------------------------------------


def open_app(page: str = "overview", lang: str | None = None, via: str = "widget") -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    if lang and via == "url":
        at.query_params["lang"] = lang
    at.run()
    if lang and via == "widget":
        at.selectbox(key="lang").set_value(lang).run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figures(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def english_only() -> set[str]:
    """English catalogue texts that differ in French (without placeholders): a leftover if shown."""
    en, fr = i18n.catalogue("en"), i18n.catalogue("fr")
    return {en[k] for k in i18n.keys("en") if en[k] != fr[k] and not placeholders(en[k]) and len(en[k]) > 3}


def shown_labels(at: AppTest) -> list[str]:
    texts = [e.value for e in (*at.title, *at.header, *at.subheader)]
    texts += [m.label for m in at.metric]
    texts += [w.label for w in (*at.selectbox, *at.multiselect, *at.toggle, *at.button, *at.radio)]
    texts += [e.label for e in at.expander]
    return texts


def test_english_is_the_default(demo_db):
    at = open_app()
    assert at.header[0].value.startswith("Overview · ")
    assert at.selectbox(key="lang").value == "en"
    assert "lang" not in at.query_params


@pytest.mark.parametrize("via", ["widget", "url"])
def test_switching_to_french_makes_the_overview_french(demo_db, via):
    at = open_app("overview", "fr", via)
    assert at.header[0].value.startswith("Vue d'ensemble · ")
    assert at.query_params["lang"] == ["fr"] or at.query_params["lang"] == "fr"
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert any(t.startswith("Avancement par volet") for t in titles), titles
    assert any(t.startswith("Statut par thème et par Secteur") for t in titles), titles
    heat = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("Statut par thème"))
    assert "Espace" in heat["data"][0]["y"]  # theme names from the reference data's name_fr column
    # narrow cells show the symbol (issue 15); the full French word is in the hover
    assert "✕ Hors trajectoire" in {c for row in heat["data"][0]["customdata"] for c in row}
    assert heat["layout"]["xaxis"]["title"]["text"] == "Secteur (rapport)"
    assert all("Données au" in a["text"] for f in figures(at) for a in f["layout"]["annotations"][-1:])
    # four boxes count themes by status, the fifth counts missing reports
    assert {m.label for m in at.metric} == {charts.status_text(s, "fr") for s in charts.STATUS_ORDER[:-1]} | {
        "Rapports manquants"}
    leftovers = [s for s in shown_labels(at) if s in english_only()]
    assert not leftovers, leftovers
    captions = " ".join(c.value for c in at.caption)
    assert "Données au" in captions and "Data as of" not in captions
    sidebar = [e.label for e in at.sidebar.selectbox]
    assert sidebar[:2] == ["Langue", "Période"]
    # the "Why?" list (issue 15): the rule's own words in French
    at.session_state["overview_why"] = True  # opened (its list is built only then)
    at.run()
    why = " ".join(m.value for m in next(e for e in at.expander if e.label.startswith("Pourquoi")).markdown)
    assert any(w in why for w in (": valeur réelle", ": en retard", ": signalée", ": aucune")), why
    assert not any(w in why for w in (": actual ", ": overdue:", ": reported as")), why


@pytest.mark.parametrize(
    "page", ["themes", "tracks", "sectors", "resolutions", "completeness", "meeting", "home", "export"]
)
def test_every_page_in_french_has_no_english_labels(demo_db, page):
    at = open_app(page, "fr", "url")
    leftovers = [s for s in shown_labels(at) if s in english_only()]
    assert not leftovers, leftovers
    for fig in figures(at):
        title = fig["layout"]["title"]["text"]
        assert title.split("<br>")[0] not in english_only(), title


def test_localised_names_come_from_the_reference_data(demo_db):
    fr = queries.localised_names("fr", db=demo_db)
    names = fr[fr["field"] == "name"].set_index(["tbl", "code"])["text"]
    assert names[("theme", "SPACE")] == "Espace"
    assert names[("track", "strategic")] == "Leadership stratégique"
    assert names[("sector", "GS")] == "Secrétariat général"
    assert names[("body", "CoCo")] == "Comité de coordination"
    assert queries.localised_names("ar", db=demo_db).empty  # no name_ar column: English names
    # existing queries are unchanged (English names)
    assert "Space" in set(queries.themes(db=demo_db)["name"])


def test_rtl_language_sets_the_direction_without_code_change(demo_db, arabic):
    at = open_app("overview", "ar", "url")
    assert at.selectbox(key="lang").value == "ar"
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "direction: rtl" in html
    assert at.sidebar.selectbox[1].label == "الفترة"  # translated key
    assert at.header[0].value.startswith("Overview · ")  # missing key: English


def test_schema_3_migrates_an_older_database_and_loads_the_localised_names(tmp_path):
    """A version-2 database gains ref_text on `python -m etl init`; every name_<lang> and
    review_<lang> cell of the reference CSVs lands there."""
    import duckdb

    from etl.load import init_db
    from isc.db import connection, schema

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for version in (1, 2):
        con.execute(schema.MIGRATIONS[version])
    con.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    con.close()
    init_db(path)
    with connection.read(path) as c:
        assert schema.current_version(c) == schema.SCHEMA_VERSION
        rows = c.execute("SELECT tbl, field, count(*) FROM ref_text WHERE lang = 'fr' GROUP BY ALL").fetchall()
    counts = {(tbl, field): n for tbl, field, n in rows}
    assert counts[("theme", "name")] >= 27 and counts[("track", "name")] == 4
    assert counts[("track", "review")] == 4 and counts[("sector", "name")] >= 4 and counts[("body", "name")] == 5
