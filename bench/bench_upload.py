"""Upload benchmark: the server-side check and preview of a typical report, then its Load.

    python bench/bench_upload.py [--db data/isc.duckdb] [--repeat 10]

A typical report is one of the last quarter's demo reports (etl.demo.plan, theme CLIM), corrected
so that it is not "unchanged". Measured: etl.service.prepare as the Upload page calls it (hash,
read and validate in the sandbox's worker process, the live and previous reports, the preview),
median of --repeat runs after a first one that also starts the forkserver; then etl.service.load
of the last Prepared (no second read, validation or hash). Target (issue 17 item 3): prepare
<= 0.5 s. Works on a copy of --db (default: a demo database built in a temporary folder).
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ISC_TODAY", "2026-11-30")  # the demo's clock (tests/conftest.py)


def typical_report() -> tuple[bytes, str]:
    from etl import demo
    from etl.reference import Reference
    from etl.template import template_bytes

    ref = Reference.load()
    last = demo.latest_complete_period()
    theme, sector, period, report, _, _ = next(x for x in demo.plan(ref, last) if x[2] == last and x[0] == "CLIM")
    report = copy.deepcopy(report)
    report.header["summary"] += " Corrected."
    return template_bytes(ref, theme, str(period), sector, report), f"{theme}_{period}_{sector}.xlsx"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="a demo database to copy (default: build one)")
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    from etl import service
    from etl.reference import Reference

    with tempfile.TemporaryDirectory(prefix="bench_upload_") as work:
        db = Path(work) / "isc.duckdb"
        if args.db:
            shutil.copy2(args.db, db)
            if (Path(args.db).parent / "uploads").exists():
                shutil.copytree(Path(args.db).parent / "uploads", Path(work) / "uploads")
        else:
            from etl.demo import build_demo

            t = time.perf_counter()
            build_demo(db)
            print(f"demo database built in {time.perf_counter() - t:.1f} s")
        ref = Reference.load()
        data, name = typical_report()

        def once() -> tuple[float, service.Prepared]:
            t = time.perf_counter()
            prepared = service.prepare(data, name, ref, db=db)
            return time.perf_counter() - t, prepared

        cold, prepared = once()
        assert prepared.ok and prepared.preview is not None, [str(i) for i in prepared.validation.issues][:3]
        runs = [once() for _ in range(args.repeat)]
        times = [s for s, _ in runs]
        prepared = runs[-1][1]
        t = time.perf_counter()
        outcome = service.load(prepared, "bench", ref=ref)
        load_s = time.perf_counter() - t
        assert outcome.accepted, outcome.message
        median = statistics.median(times)
        print(f"typical report: {len(data) / 1e3:.0f} kB, {len(prepared.validation.report.activities)} activities, "
              f"{len(prepared.validation.issues)} issue(s)")
        print(f"prepare (hash, read and validate in the worker, preview): median {median:.3f} s of {args.repeat} "
              f"(min {min(times):.3f}, max {max(times):.3f}; first {cold:.3f} s, starts the forkserver); "
              f"target <= 0.5 s: {'met' if median <= 0.5 else 'NOT met'}")
        print(f"load of the Prepared (no second read, validation or hash): {load_s:.3f} s -> {outcome.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
