"""Finding overlapping activities between Sectors: TF-IDF cosine similarity in plain Python.

An activity is identified across periods by its key "<theme>|<lead sector>|<activity id>". The
same activity reported by several Sectors (same id, same lead) is one activity, and a joint one:
it is the positive side of coordination, never an overlap. A candidate overlap is a pair of
different activities in the same period and the same theme (or, optionally, the same track),
led by different Sectors or reported by disjoint sets of Sectors, whose dates overlap. Its score
is the cosine similarity of the TF-IDF vectors of title and description (title words count
double; a description repeated verbatim by several activities is boilerplate and ignored). A pair is flagged when its score
reaches the threshold and nobody has reviewed it yet.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from isc.settings import OVERLAP_THRESHOLD as THRESHOLD

TITLE_WEIGHT = 2.0
DESCRIPTION_WEIGHT = 1.0
# A description repeated verbatim by this many activities is boilerplate and carries no signal.
BOILERPLATE_MIN = 3

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "within",
        "per",
        "via",
        "this",
        "that",
        "these",
        "those",
        "their",
        "our",
        "all",
        "any",
        "new",
        "itu",
    ]
)
# Common acronyms written out, so "AI" and "artificial intelligence" meet.
ACRONYMS = {
    "ai": "artificial intelligence",
    "ict": "information communication technology",
    "icts": "information communication technology",
    "dpi": "digital public infrastructure",
    "sme": "small medium enterprise",
    "smes": "small medium enterprise",
    "ghg": "greenhouse gas",
    "cirt": "computer incident response team",
}
_WORD = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    """A very light stemmer: plural and a few common endings, so 'drills' meets 'drill'."""
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ation", "ate"), ("s", "")):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + repl
    return word


def tokens(text: str | None) -> list[str]:
    out = []
    for w in _WORD.findall(str(text or "").lower()):
        for part in ACRONYMS.get(w, w).split():
            if part not in STOPWORDS and len(part) > 1:
                out.append(_stem(part))
    return out


def tfidf(docs: list[Counter]) -> list[dict[str, float]]:
    """L2-normalised TF-IDF vectors (smooth idf, as scikit-learn's default)."""
    n = len(docs)
    df = Counter()
    for d in docs:
        df.update(d.keys())
    idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
    vectors = []
    for d in docs:
        v = {t: tf * idf[t] for t, tf in d.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({t: x / norm for t, x in v.items()})
    return vectors


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(t, 0.0) for t, x in a.items())


def document(
    title: str | None,
    description: str | None,
    title_weight: float = TITLE_WEIGHT,
    description_weight: float = DESCRIPTION_WEIGHT,
) -> Counter:
    c = Counter()
    for t in tokens(title):
        c[t] += title_weight
    if description_weight:
        for t in tokens(description):
            c[t] += description_weight
    return c


def similarity(
    a: tuple[str, str | None], b: tuple[str, str | None], corpus: list[tuple[str, str | None]] | None = None
) -> float:
    """Similarity of two (title, description) pairs, with idf from `corpus` (default: the two)."""
    items = [a, b, *(corpus or [])]
    vecs = tfidf([document(t, d) for t, d in items])
    return cosine(vecs[0], vecs[1])


def _listish(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, float) and math.isnan(value):
        return []
    return [str(x) for x in list(value) if x is not None and str(x).strip()]


def activity_key(theme: str, lead_sector: str, activity_id: str) -> str:
    return f"{theme}|{lead_sector}|{activity_id}"


def entities(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct activity (theme, lead sector, activity id) from per-reporter rows."""
    cols = [
        "key",
        "theme",
        "track",
        "period",
        "lead_sector",
        "activity_id",
        "title",
        "description",
        "start_date",
        "end_date",
        "reported_by",
        "partners",
        "joint",
    ]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    out = []
    for (theme, lead, aid), g in rows.groupby(
        ["theme", "lead_sector", "activity_id"], sort=True, dropna=False
    ):
        first = g.iloc[0]
        reporters = sorted(set(g["reported_by"]))
        partners = sorted(
            {p for col in ("partners", "joint_with") if col in g for v in g[col] for p in _listish(v)}
            - {lead}
        )
        out.append(
            {
                "key": activity_key(theme, lead, aid),
                "theme": theme,
                "track": first.get("track"),
                "period": first.get("period"),
                "lead_sector": lead,
                "activity_id": aid,
                "title": first["title"],
                "description": first.get("description"),
                "start_date": g["start_date"].min(),
                "end_date": g["end_date"].max(),
                "reported_by": reporters,
                "partners": partners,
                "joint": bool(partners) or len(set(reporters) | {lead}) > 1,
            }
        )
    return pd.DataFrame(out, columns=cols)


def informative_descriptions(descriptions: list[str | None]) -> list[str | None]:
    """Blank out descriptions shared verbatim by BOILERPLATE_MIN or more activities."""
    norm = [" ".join(str(d or "").lower().split()) for d in descriptions]
    counts = Counter(n for n in norm if n)
    return [
        None if not n or counts[n] >= BOILERPLATE_MIN else d for d, n in zip(descriptions, norm, strict=True)
    ]


def _dates_overlap(a, b) -> bool:
    s1, e1, s2, e2 = (
        None if pd.isna(x) else pd.Timestamp(x) for x in (a.start_date, a.end_date, b.start_date, b.end_date)
    )
    if s1 is not None and e2 is not None and s1 > e2:
        return False
    return not (s2 is not None and e1 is not None and s2 > e1)


@dataclass(frozen=True)
class Options:
    threshold: float = THRESHOLD
    related_themes: bool = False  # also compare activities of different themes in the same track
    title_weight: float = TITLE_WEIGHT
    description_weight: float = DESCRIPTION_WEIGHT


def score_pairs(ents: pd.DataFrame, options: Options = Options()) -> pd.DataFrame:
    """Every candidate pair (different Sectors, overlapping dates, same theme/track) with its score."""
    cols = [
        "key_a",
        "key_b",
        "score",
        "theme_a",
        "theme_b",
        "lead_a",
        "lead_b",
        "title_a",
        "title_b",
        "description_a",
        "description_b",
        "reported_by_a",
        "reported_by_b",
        "start_a",
        "end_a",
        "start_b",
        "end_b",
        "period",
    ]
    if ents.empty:
        return pd.DataFrame(columns=cols)
    descriptions = informative_descriptions(ents["description"].tolist())
    docs = [
        document(t, d, options.title_weight, options.description_weight)
        for t, d in zip(ents["title"], descriptions, strict=True)
    ]
    vecs = tfidf(docs)
    recs = list(ents.itertuples(index=False))
    out = []
    for i in range(len(recs)):
        a = recs[i]
        for j in range(i + 1, len(recs)):
            b = recs[j]
            same_group = a.theme == b.theme or (
                options.related_themes and a.track is not None and a.track == b.track
            )
            if not same_group:
                continue
            if a.activity_id == b.activity_id and a.lead_sector == b.lead_sector:
                continue  # the same activity
            different_sectors = a.lead_sector != b.lead_sector or not set(a.reported_by) & set(b.reported_by)
            if not different_sectors or not _dates_overlap(a, b):
                continue
            x, y = (a, b) if a.key <= b.key else (b, a)
            out.append(
                {
                    "key_a": x.key,
                    "key_b": y.key,
                    "score": round(cosine(vecs[i], vecs[j]), 4),
                    "theme_a": x.theme,
                    "theme_b": y.theme,
                    "lead_a": x.lead_sector,
                    "lead_b": y.lead_sector,
                    "title_a": x.title,
                    "title_b": y.title,
                    "description_a": x.description,
                    "description_b": y.description,
                    "reported_by_a": ", ".join(x.reported_by),
                    "reported_by_b": ", ".join(y.reported_by),
                    "start_a": x.start_date,
                    "end_a": x.end_date,
                    "start_b": y.start_date,
                    "end_b": y.end_date,
                    "period": x.period,
                }
            )
    return pd.DataFrame(out, columns=cols).sort_values("score", ascending=False, ignore_index=True)


def flag(
    pairs: pd.DataFrame, threshold: float = THRESHOLD, reviewed: set[tuple[str, str]] | None = None
) -> pd.DataFrame:
    """Pairs at or above the threshold that nobody has reviewed yet."""
    reviewed = reviewed or set()
    hit = pairs[pairs["score"] >= threshold]
    if reviewed:
        keep = [(a, b) not in reviewed for a, b in zip(hit["key_a"], hit["key_b"], strict=True)]
        hit = hit[keep]
    return hit.reset_index(drop=True)


def find(
    rows: pd.DataFrame, options: Options = Options(), reviewed: set[tuple[str, str]] | None = None
) -> pd.DataFrame:
    """From per-reporter activity rows of one period to the flagged pairs."""
    return flag(score_pairs(entities(rows), options), options.threshold, reviewed)


def precision_recall(flagged: set[tuple[str, str]], positives: set[tuple[str, str]]) -> tuple[float, float]:
    norm = {tuple(sorted(p)) for p in flagged}
    pos = {tuple(sorted(p)) for p in positives}
    tp = len(norm & pos)
    precision = tp / len(norm) if norm else 1.0
    recall = tp / len(pos) if pos else 1.0
    return precision, recall
