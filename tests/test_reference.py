"""Reference data (data/reference/*.csv) against the seed documents it was taken from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from etl.reference import Reference

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
ANNEX_SEED = SEEDS / "000_7703f896d2de18e7.txt"
THEMES_SEED = SEEDS / "002_fb6085e51285a6c3.txt"
TBC = "to be confirmed by the secretariat"


@pytest.fixture(scope="module")
def ref() -> Reference:
    return Reference.load()


def annex_labels() -> list[str]:
    text = ANNEX_SEED.read_text(encoding="utf-8")
    annex = text[text.index(" Annex 1") :]
    return [m.strip() for m in re.findall(r"^\t((?:Res|Dec)\.\s?\d+.*)$", annex, re.M)]


def themes_2024() -> list[str]:
    text = THEMES_SEED.read_text(encoding="utf-8")
    sentence = re.search(r"The themes that reported to the ISC-TF were: (.*?) \(these", text)[1]
    return [re.sub(r"^and ", "", part.strip()) for part in sentence.split(";")]


needs_seeds = pytest.mark.skipif(not ANNEX_SEED.exists(), reason=f"seed files not found in {SEEDS}")


@needs_seeds
def test_annex_parses_to_57_labels():
    labels = annex_labels()
    assert len(labels) == 57
    assert len(set(labels)) == 57


@needs_seeds
def test_exactly_the_57_resolutions_of_annex_1(ref):
    rows = ref["resolutions"]
    assert len(rows) == 57
    assert {r["annex_label"] for r in rows} == set(annex_labels())
    assert len({r["code"] for r in rows}) == 57


def test_labels_exactly_as_printed(ref):
    by_code = {r["code"]: r for r in ref["resolutions"]}
    assert by_code["Res. 191"]["annex_label"] == "Res.191 - Inter-sectoral coordination"
    assert by_code["Res. 191"]["title"] == "Inter-sectoral coordination"
    assert by_code["Res. 135"]["annex_label"] == "Res. 135 -Technical assistance"
    assert by_code["Res. 77"]["annex_label"] == "Res. 77 \u2013 Conferences"  # en dash as printed
    assert by_code["Dec. 5"]["annex_label"] == "Dec. 5 - Revenue and expenses of the Union"
    assert by_code["Res. 30"]["title"] == "LDCs, SISDS,LLDC"
    assert (by_code["Dec. 11"]["kind"], by_code["Dec. 11"]["number"]) == ("Decision", "11")


def test_resolution_numbers_match_labels(ref):
    for r in ref["resolutions"]:
        assert re.match(rf"^(Res|Dec)\.\s?{r['number']}\b", r["annex_label"]), r
        assert r["annex_label"].endswith(r["title"]), r
        assert r["conference"] == "PP-22" and r["calls_for_isc"] == "yes"


@needs_seeds
def test_exactly_the_16_themes_of_2024(ref):
    names = themes_2024()
    assert len(names) == 16
    reported = [t for t in ref["themes"] if t["reported_to_isctf_2024"] == "yes"]
    assert len(reported) == 16
    assert {t["name"] for t in reported} == set(names)
    assert all(t["state"] == "active" for t in reported)


def test_2020_areas_are_history_with_existing_successors(ref):
    codes = {t["code"] for t in ref["themes"]}
    history = [t for t in ref["themes"] if t["state"] not in ("active", "proposed")]
    assert len(history) >= 5
    assert {t["state"] for t in history} <= {"renamed", "merged", "retired"}
    for t in history:
        assert t["valid_to"], t
        assert t["valid_from"] < t["valid_to"], t
        assert t["reported_to_isctf_2024"] == "no", t
        if t["state"] in ("renamed", "merged"):
            assert t["successor"] in codes, t
            successor = next(s for s in ref["themes"] if s["code"] == t["successor"])
            assert successor["state"] == "active", t
        else:
            assert t["successor"] == "", t
    active = [t for t in ref["themes"] if t["state"] in ("active", "proposed")]
    assert all(t["successor"] == "" and t["valid_to"] == "" for t in active)
    assert set(ref.reportable_themes) == {t["code"] for t in active}


def test_every_theme_has_an_existing_track_to_be_confirmed(ref):
    tracks = {t["code"] for t in ref["tracks"]}
    for t in ref["themes"]:
        assert t["track"] in tracks, t
        assert t["track_assignment"] == TBC, t


def test_four_tracks_and_their_bodies(ref):
    got = [(t["name"], t["supervising_body"]) for t in ref["tracks"]]
    assert got == [
        ("Strategic leadership", "CoCo"),
        ("Programmatic coordination", "MCG"),
        ("Performance and transformation", "D2 Group"),
        ("Web-based reporting", ""),
    ]
    bodies = {b["code"] for b in ref["bodies"]}
    assert {"ISC-TF", "ISCG", "CoCo", "MCG", "D2 Group"} <= bodies
    assert all(t["supervising_body"] in bodies for t in ref["tracks"] if t["supervising_body"])


def test_sectors(ref):
    assert ref.sector_codes == ("ITU-R", "ITU-T", "ITU-D", "GS", "RO")


def test_focal_points_reference_known_themes_and_sectors(ref):
    themes = {t["code"] for t in ref["themes"]}
    reportable = set(ref.reportable_themes)
    sectors = set(ref.sector_codes)
    rows = ref["focal_points"]
    assert rows
    for r in rows:
        assert r["theme"] in themes and r["theme"] in reportable, r
        assert r["sector"] in sectors, r
    assert len({(r["theme"], r["sector"]) for r in rows}) == len(rows)
    reported = {t["code"] for t in ref["themes"] if t["reported_to_isctf_2024"] == "yes"}
    assert reported <= {r["theme"] for r in rows}  # every 2024 theme has participants


def test_links_reference_known_rows(ref):
    resolutions = {r["code"] for r in ref["resolutions"]}
    sector_res = {r["code"] for r in ref["sector_resolutions"]}
    themes = {t["code"] for t in ref["themes"]}
    for r in ref["theme_resolutions"]:
        assert r["theme"] in themes and r["resolution"] in resolutions, r
    for r in ref["resolution_links"]:
        assert r["pp_resolution"] in resolutions and r["sector_resolution"] in sector_res, r
    assert {r["assembly"] for r in ref["sector_resolutions"]} <= {"RA", "WRC", "WTSA", "WTDC"}
    for r in ref["iscg_coordinators"]:
        assert r["theme"] in themes, r


def test_a_row_with_a_stray_comma_is_refused_with_its_file_and_line(tmp_path):
    from etl.reference import ReferenceError, read_csv

    path = tmp_path / "users.csv"
    path.write_text("email,role,themes,sectors,note\na@example.org,admin,*,*,runs meetings, and more\n",
                    encoding="utf-8")
    with pytest.raises(ReferenceError, match=r"users.csv, line 2: 6 cells for 5 columns"):
        read_csv(path)
