"""Precision and recall of the overlap flagging on the demo data.

Positives are the seeded DUPLICATE_PAIRS of etl/demo.py: for every period in which both Sectors
reported the seeded activity, the pair (theme|sector A|<theme>-D1, theme|sector B|<theme>-D2).
Everything else the finder flags is a false positive. Prints the figures at the default
threshold and a small threshold sweep, for title + description (the page's method) and for
titles alone (the demo's descriptions are boilerplate, so titles alone are the harder test).

    python bench/eval_overlaps.py [--db path] [--build]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl.demo import DUPLICATE_PAIRS  # noqa: E402
from isc import overlaps  # noqa: E402
from isc.db import coordination  # noqa: E402
from isc.periods import Period  # noqa: E402


def positives_in(ents) -> set[tuple[str, str]]:
    keys = set(ents["key"])
    out = set()
    for theme, sa, _ta, sb, _tb in DUPLICATE_PAIRS:
        a = overlaps.activity_key(theme, sa, f"{theme}-D1")
        b = overlaps.activity_key(theme, sb, f"{theme}-D2")
        if a in keys and b in keys:
            out.add(tuple(sorted((a, b))))
    return out


def evaluate(db, options_list, thresholds):
    periods = coordination.report_periods(db)
    scored = {name: [] for name, _ in options_list}
    positives = []
    t0 = time.perf_counter()
    for period in periods:
        rows = coordination.overlap_candidates(period, db)
        ents = overlaps.entities(rows)
        pos = {(period, *p) for p in positives_in(ents)}
        positives.append(pos)
        for name, opts in options_list:
            pairs = overlaps.score_pairs(ents, opts)
            scored[name].append((period, pairs))
    elapsed = time.perf_counter() - t0
    all_pos = set().union(*positives)
    print(
        f"periods: {len(periods)}; seeded positive pairs (period x pair): {len(all_pos)}; "
        f"scoring all periods, {len(options_list)} methods: {elapsed:.2f} s"
    )
    for name, _ in options_list:
        n_pairs = sum(len(p) for _, p in scored[name])
        print(f"\n== {name}: {n_pairs} candidate pairs (different Sectors, same theme, dates overlap)")
        print(f"{'threshold':>9} {'flagged':>8} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}")
        for th in thresholds:
            flagged = set()
            for period, pairs in scored[name]:
                hit = overlaps.flag(pairs, th)
                flagged |= {(period, a, b) for a, b in zip(hit["key_a"], hit["key_b"], strict=True)}
            tp = len(flagged & all_pos)
            fp = len(flagged - all_pos)
            fn = len(all_pos - flagged)
            precision = tp / len(flagged) if flagged else 1.0
            recall = tp / len(all_pos) if all_pos else 1.0
            mark = "  <- default" if abs(th - overlaps.THRESHOLD) < 1e-9 else ""
            distinct = {(a, b) for _, a, b in flagged}
            distinct_pos = {(a, b) for _, a, b in all_pos}
            d_prec = len(distinct & distinct_pos) / len(distinct) if distinct else 1.0
            print(
                f"{th:>9.2f} {len(flagged):>8} {tp:>4} {fp:>4} {fn:>4} {precision:>9.3f} {recall:>7.3f}"
                f"   distinct pairs: {len(distinct)} flagged, precision {d_prec:.3f}{mark}"
            )
        # the best-scoring non-positive pairs: what a reviewer would see next
        rest = []
        for period, pairs in scored[name]:
            for r in pairs.itertuples(index=False):
                if (period, r.key_a, r.key_b) not in all_pos:
                    rest.append((r.score, period, r.title_a, r.title_b))
        rest.sort(reverse=True)
        pos_scores = sorted(
            r.score
            for period, pairs in scored[name]
            for r in pairs.itertuples(index=False)
            if (period, r.key_a, r.key_b) in all_pos
        )
        if pos_scores:
            print(
                f"lowest positive score {pos_scores[0]:.3f}; highest negative "
                f"{rest[0][0] if rest else float('nan'):.3f}"
            )
        for s, period, ta, tb in rest[:3]:
            print(f"  top negative {s:.3f} {period}: {ta!r} vs {tb!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="a demo database (default: $ISC_DB or data/isc.duckdb)")
    ap.add_argument("--build", action="store_true", help="build a fresh demo database in a temp folder")
    args = ap.parse_args()
    db = args.db
    tmp = None
    if args.build:
        from etl.demo import build_demo

        tmp = tempfile.TemporaryDirectory()
        db = str(Path(tmp.name) / "isc.duckdb")
        build_demo(db, last=Period(2026, 3))
    options_list = [
        ("title + description (page default)", overlaps.Options()),
        ("title only", overlaps.Options(description_weight=0.0)),
    ]
    evaluate(db, options_list, [0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8])
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
