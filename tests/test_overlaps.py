"""Overlap flagging: similarity on labelled pairs, candidate rules, reviews, and the seeded demo pairs."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from etl.demo import DUPLICATE_PAIRS
from isc import overlaps
from isc.db import coordination
from tests.conftest import DEMO_LAST_PERIOD

# Background activities give the idf something to work with, as a real period does.
CORPUS = [
    ("Captioning for ITU meetings", None),
    ("Accessibility of ITU publications", None),
    ("ICT indicators data collection", None),
    ("Girls in ICT Day", None),
    ("Space sustainability workshop", None),
    ("Common events calendar", None),
    ("Youth summit preparation", None),
    ("Joint media plan for flagship events", None),
]

SAME_WORK = [(ta, tb) for _, _, ta, _, tb in DUPLICATE_PAIRS] + [
    ("Training on AI for spectrum monitoring", "Artificial intelligence training for spectrum monitoring"),
    ("Emergency telecommunication drills in the Pacific", "Pacific emergency telecommunications drill"),
]
DIFFERENT_WORK = [
    ("Captioning for ITU meetings", "Space sustainability workshop"),
    ("Girls in ICT Day", "ICT indicators data collection"),
    ("Common events calendar", "Youth summit preparation"),
    ("Regional cybersecurity drill for Africa", "Online course on spectrum management fundamentals"),
    ("Mentoring programme for women in standardization", "Green events guidelines"),
]


@pytest.mark.parametrize(("a", "b"), SAME_WORK)
def test_same_work_scores_above_threshold(a, b):
    assert overlaps.similarity((a, None), (b, None), CORPUS) >= overlaps.THRESHOLD


@pytest.mark.parametrize(("a", "b"), DIFFERENT_WORK)
def test_different_work_scores_below_threshold(a, b):
    assert overlaps.similarity((a, None), (b, None), CORPUS) < overlaps.THRESHOLD


def test_tokens_expand_acronyms_and_stem():
    assert overlaps.tokens("AI drills") == ["artificial", "intelligence", "drill"]
    assert overlaps.tokens("The ITU and the") == []


def test_boilerplate_descriptions_are_ignored():
    d = ["Illustrative activity.", "Illustrative activity.", "illustrative   ACTIVITY.", "Unique text", None]
    assert overlaps.informative_descriptions(d) == [None, None, None, "Unique text", None]


def _row(
    theme, reporter, aid, title, lead, start="2025-01-01", end="2025-12-31", partners=(), desc=None, track="t"
):
    return {
        "theme": theme,
        "track": track,
        "period": "2025-Q3",
        "reported_by": reporter,
        "activity_id": aid,
        "title": title,
        "description": desc,
        "lead_sector": lead,
        "partners": list(partners),
        "joint_with": [],
        "status": "In progress",
        "start_date": pd.Timestamp(start),
        "end_date": pd.Timestamp(end),
    }


def test_candidate_rules():
    rows = pd.DataFrame(
        [
            # one activity reported by two sectors: joint, never an overlap with itself
            _row("CLIM", "ITU-T", "CLIM-01", "Green digital action follow-up", "ITU-T"),
            _row("CLIM", "ITU-D", "CLIM-01", "Green digital action follow-up", "ITU-T"),
            # the same work led by another sector: flagged
            _row("CLIM", "ITU-D", "CLIM-D2", "Follow-up of green digital action", "ITU-D"),
            # same title, but dates do not overlap: not a candidate
            _row(
                "CLIM",
                "ITU-R",
                "CLIM-09",
                "Green digital action follow-up",
                "ITU-R",
                "2027-01-01",
                "2027-12-31",
            ),
            # same title, other theme in another track: not compared by default
            _row("GEN", "GS", "GEN-01", "Green digital action follow-up", "GS", track="u"),
            # same title, other theme in the same track: compared only with related_themes
            _row("DT", "GS", "DT-01", "Green digital action follow-up", "GS"),
            # an unrelated activity of another sector
            _row("CLIM", "GS", "CLIM-02", "Climate portal update", "GS", partners=["ITU-T"]),
        ]
    )
    ents = overlaps.entities(rows)
    assert len(ents) == 6
    joint = dict(zip(ents["key"], ents["joint"], strict=True))
    assert joint["CLIM|ITU-T|CLIM-01"] and joint["CLIM|GS|CLIM-02"] and not joint["CLIM|ITU-D|CLIM-D2"]
    flagged = overlaps.flag(overlaps.score_pairs(ents), overlaps.THRESHOLD)
    assert set(zip(flagged["key_a"], flagged["key_b"], strict=True)) == {
        ("CLIM|ITU-D|CLIM-D2", "CLIM|ITU-T|CLIM-01")
    }
    related = overlaps.flag(
        overlaps.score_pairs(ents, overlaps.Options(related_themes=True)), overlaps.THRESHOLD
    )
    pairs = set(zip(related["key_a"], related["key_b"], strict=True))
    assert ("CLIM|ITU-T|CLIM-01", "DT|GS|DT-01") in pairs
    assert not any("GEN|" in a or "GEN|" in b for a, b in pairs)
    # once reviewed, a pair is not flagged again
    assert overlaps.flag(
        overlaps.score_pairs(ents), overlaps.THRESHOLD, {("CLIM|ITU-D|CLIM-D2", "CLIM|ITU-T|CLIM-01")}
    ).empty


def test_precision_recall():
    assert overlaps.precision_recall({("a", "b"), ("c", "d")}, {("b", "a"), ("e", "f")}) == (0.5, 0.5)
    assert overlaps.precision_recall(set(), {("a", "b")}) == (1.0, 0.0)


def test_demo_seeded_pairs_are_all_found(demo_db):
    """Every seeded duplicate pair is flagged in every period both Sectors reported it; same-id rows are not."""
    found = missed = 0
    false_pos = 0
    for period in coordination.report_periods(demo_db):
        ents = overlaps.entities(coordination.overlap_candidates(period, demo_db))
        keys = set(ents["key"])
        flagged = overlaps.flag(overlaps.score_pairs(ents))
        got = set(zip(flagged["key_a"], flagged["key_b"], strict=True))
        for theme, sa, _, sb, _ in DUPLICATE_PAIRS:
            a, b = f"{theme}|{sa}|{theme}-D1", f"{theme}|{sb}|{theme}-D2"
            if a in keys and b in keys:
                if tuple(sorted((a, b))) in got:
                    found += 1
                else:
                    missed += 1
        false_pos += sum(1 for a, b in got if not ("-D" in a and "-D" in b))
        for a, b in got:
            assert a.split("|")[1] != b.split("|")[1] or a.split("|")[2] != b.split("|")[2]
    assert missed == 0 and found >= len(DUPLICATE_PAIRS)
    # a handful of extra flags is expected (the demo's own "DPI toolkit" activity looks like a seed)
    assert false_pos <= found


def test_review_round_trip(demo_db):
    period = str(DEMO_LAST_PERIOD)
    ents = overlaps.entities(coordination.overlap_candidates(period, demo_db))
    flagged = overlaps.flag(overlaps.score_pairs(ents))
    assert not flagged.empty
    top = flagged.iloc[0]
    coordination.record_review(
        top["key_b"], top["key_a"], "duplicate", "dsg@itu.int", top["score"], period, db=demo_db
    )
    r = coordination.reviews(demo_db)
    assert r[["key_a", "key_b", "verdict", "reviewer"]].to_dict("records") == [
        {"key_a": top["key_a"], "key_b": top["key_b"], "verdict": "duplicate", "reviewer": "dsg@itu.int"}
    ]
    assert r["reviewed_at"].iloc[0] >= pd.Timestamp(dt.datetime.now() - dt.timedelta(minutes=5))
    reviewed = set(zip(r["key_a"], r["key_b"], strict=True))
    again = overlaps.flag(overlaps.score_pairs(ents), reviewed=reviewed)
    assert len(again) == len(flagged) - 1
    # a new verdict replaces the old one
    coordination.record_review(top["key_a"], top["key_b"], "complementary", "other@itu.int", db=demo_db)
    assert coordination.reviews(demo_db)["verdict"].tolist() == ["complementary"]
    with pytest.raises(ValueError):
        coordination.record_review("a", "b", "maybe", "x", db=demo_db)
