"""Page benchmark: warm rerun time of each dashboard page (streamlit.testing AppTest), at the demo
dataset and at a large one, next to an empty page measured in the same run.

    python bench/bench_pages.py [--demo PATH] [--large PATH] [--runs 7]

--demo defaults to data/isc.duckdb (built with the demo generator when missing); --large to
data/bench_large.duckdb (built with bench/large_dataset.py when missing: 10 years, 60 themes,
4 sectors, 40 activities and 10 indicators per report; about 10 minutes on 2 cores).

"Warm" means the page's queries are already cached (st.cache_data, keyed by the database file):
what a user pays for on every widget interaction. The empty page is a one-line Streamlit script
run by AppTest the same way; "shell" is the navigation shell with the shared sidebar filters and
the light "About the data" page. Targets (issue 3): overview warm rerun under 10x the empty page;
each page at the large dataset under 2x its time at the demo dataset.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.runtime import pages_manager  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from streamlit.testing.v1 import app_test as app_test_module  # noqa: E402

PAGES = ["overview", "themes", "tracks", "sectors", "resolutions"]
_original_init = pages_manager.PagesManager.__init__


def _init(self, *args, **kwargs):
    # AppTest resets this flag before each run; with a pages/ folder beside dashboard.py a run after
    # switch_page() would execute the page alone, without the st.navigation shell (see tests/test_pages.py).
    pages_manager.PagesManager.uses_pages_directory = False
    _original_init(self, *args, **kwargs)


pages_manager.PagesManager.__init__ = _init

# AppTest makes a new ScriptCache for every run, so it recompiles dashboard.py and the page (with
# the "magic" AST pass) on each rerun, which a real server does once. Share one cache, as the
# server does, so that the figures measure the pages and not the compiler.
_script_cache = app_test_module.ScriptCache()
app_test_module.ScriptCache = lambda: _script_cache


def _warm(at: AppTest, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
        if at.exception:
            raise RuntimeError(f"page raised: {[e.value for e in at.exception]}")
    return statistics.median(times), min(times)


def empty_page(runs: int) -> float:
    at = AppTest.from_string("import streamlit as st\nst.write('empty page')\n", default_timeout=60)
    at.run()
    return _warm(at, runs)[0]


def page_time(db: Path, page: str | None, runs: int) -> tuple[float, float]:
    """(cold, warm median) seconds of one page through the navigation shell."""
    os.environ["ISC_DB"] = str(db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
    at.run()
    at.switch_page(f"pages/{page or 'home'}.py")
    t = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t
    if at.exception:
        raise RuntimeError(f"{page} raised: {[e.value for e in at.exception]}")
    return cold, _warm(at, runs)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--demo", default=str(ROOT / "data" / "isc.duckdb"))
    ap.add_argument("--large", default=str(ROOT / "data" / "bench_large.duckdb"))
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    demo, large = Path(args.demo), Path(args.large)
    if not demo.exists():
        from etl.demo import build_demo

        print(f"building the demo database at {demo} ...", flush=True)
        build_demo(demo)
    if not large.exists():
        from bench.large_dataset import build

        print(f"building the large dataset at {large} ...", flush=True)
        build(large)

    from isc.db import queries

    for name, db in (("demo", demo), ("large", large)):
        s = queries.summary(db=db)
        print(
            f"{name}: {db} ({db.stat().st_size / 1e6:.0f} MB): {s['themes']} themes, {s['reports']} reports"
        )

    empty = empty_page(args.runs)
    rows = []
    for page in [None, *PAGES]:
        cold_d, warm_d = page_time(demo, page, args.runs)
        cold_l, warm_l = page_time(large, page, args.runs)
        rows.append((page or "shell (home)", cold_d, warm_d, cold_l, warm_l))
    empty_after = empty_page(args.runs)
    empty = min(empty, empty_after)

    print(f"\nempty page warm rerun: {empty * 1000:.1f} ms (median of {args.runs}, best of two rounds)\n")
    shell = rows[0][2]
    head = (
        f"{'page':<14} {'demo cold':>10} {'demo warm':>10} {'x empty':>8} {'x shell':>8} {'large cold':>11} "
        f"{'large warm':>11} {'x empty':>8} {'large/demo':>11}"
    )
    print(head)
    print("-" * len(head))
    for page, cd, wd, cl, wl in rows:
        print(
            f"{page:<14} {cd * 1000:>8.0f}ms {wd * 1000:>8.0f}ms {wd / empty:>7.1f}x {wd / shell:>7.1f}x "
            f"{cl * 1000:>9.0f}ms {wl * 1000:>9.0f}ms {wl / empty:>7.1f}x {wl / wd:>10.2f}x"
        )
    overview = next(r for r in rows if r[0] == "overview")
    worst = max(rows, key=lambda r: r[4] / r[2])
    print("\n'x empty': against a one-line script; 'x shell': against the navigation shell with the shared")
    print("sidebar filters and the light About page (the floor every page of the dashboard pays).")
    for label, base in (("the empty page", empty), ("the shell page", shell)):
        ratio = overview[2] / base
        print(
            f"overview warm rerun = {ratio:.1f}x {label} (target < 10x): {'met' if ratio < 10 else 'NOT met'}"
        )
    print(
        f"worst large/demo ratio (warm) = {worst[4] / worst[2]:.2f}x on {worst[0]} (target < 2x): "
        f"{'met' if worst[4] / worst[2] < 2 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
