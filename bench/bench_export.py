"""Export benchmark: per-image time with kaleido's persistent server vs a plain loop, and the
time to build a Council pack of 12 charts from the demo database.

    python bench/bench_export.py [--db PATH] [--images N]

Targets (issue 5): a 12-chart pack in under 15 s on a 2-core machine; per-image export with the
persistent server at least 10x faster than a plain `write_image` loop. Both are measured in the
same run; the plain loop runs in a child process so that no server is running there.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PLAIN_LOOP = r"""
import json, sys, time, tempfile, warnings
import plotly.graph_objects as go
warnings.simplefilter("ignore")
n = int(sys.argv[1])
fig = go.Figure(go.Bar(x=["ITU-R", "ITU-T", "ITU-D", "GS"], y=[3, 5, 4, 2]))
times = []
with tempfile.TemporaryDirectory() as d:
    for i in range(n):
        t = time.perf_counter()
        fig.write_image(f"{d}/f{i}.png", width=945, height=586, scale=2)
        times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def plain_loop(n: int) -> list[float]:
    out = subprocess.run([sys.executable, "-c", PLAIN_LOOP, str(n)], capture_output=True, text=True,
                         check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def persistent(n: int) -> tuple[float, list[float]]:
    import plotly.graph_objects as go

    from isc import export

    t = time.perf_counter()
    export.ensure_server()
    fig = go.Figure(go.Bar(x=["ITU-R", "ITU-T", "ITU-D", "GS"], y=[3, 5, 4, 2]))
    export.image(fig, "png")  # the first image starts chromium
    startup = time.perf_counter() - t
    times = []
    for _ in range(n):
        t = time.perf_counter()
        export.image(fig, "png")
        times.append(time.perf_counter() - t)
    return startup, times


def pack_images(db: str | None) -> list[float]:
    """The pack's own 12 figures (laid out for print as the pack draws them), rendered one at a
    time as PNG with the persistent renderer, as 12 clicks on a chart's download button would:
    seconds per image. The pack target compares with this sum (its 12 images)."""
    from isc import export
    from isc import pack as council

    selection = council.default_selection(12, db=db)
    items, _, ctx, _ = council.build_items(db=db, **selection)
    source = export.source_line(None, ctx.version)
    figures = [export.print_figure(item.figure, item, source, alone=True) for item in items]
    times = []
    for fig in figures:
        t = time.perf_counter()
        export.image(fig, "png")
        times.append(time.perf_counter() - t)
    return times


def pack(db: str | None) -> tuple[float, dict]:
    """A 12-chart Council pack (8 general charts + status history and indicators of 2 themes),
    .docx + .pptx + .zip, through isc.pack exactly as the Export page builds it."""
    from isc import pack as council

    selection = council.default_selection(12, db=db)
    t = time.perf_counter()
    result = council.build_pack(db=db, **selection)
    seconds = time.perf_counter() - t
    assert len(result.items) == 12, len(result.items)
    return seconds, {k: len(v) for k, v in result.files.items()}


def pack_cold(db: str) -> float:
    """The same pack in a fresh process: includes starting kaleido's chromium (the first export
    after the dashboard starts)."""
    out = subprocess.run([sys.executable, __file__, "--db", db, "--pack-only"], capture_output=True,
                         text=True, check=True, timeout=600)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="database (default: a fresh demo database in a temp dir)")
    ap.add_argument("--images", type=int, default=5)
    ap.add_argument("--pack-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    db = args.db
    if args.pack_only:
        seconds, files = pack(db)
        print(json.dumps({"seconds": seconds, "files": files}))
        return
    if db is None:
        from etl.demo import build_demo

        db = str(Path(tempfile.mkdtemp()) / "isc.duckdb")
        print("building demo database ...", flush=True)
        build_demo(db)
    base = plain_loop(args.images)
    startup, fast = persistent(args.images)
    plain_mean = sum(base) / len(base)
    fast_mean = sum(fast) / len(fast)
    print(f"plain write_image loop : {plain_mean:6.3f} s per image ({args.images} images, each starts chromium)")
    print(f"persistent server      : {fast_mean:6.3f} s per image (after a one-off {startup:.2f} s start)")
    print(f"ratio                  : {plain_mean / fast_mean:6.1f}x  (target >= 10x)")
    cold = pack_cold(db)
    print(f"Council pack, 12 charts: {cold:6.2f} s  (target < 15 s; fresh process, starts chromium)")
    seconds, files = pack(db)
    sizes = ", ".join(f"{ext} {n / 1e6:.1f} MB" for ext, n in files.items())
    print(f"Council pack, 12 charts: {seconds:6.2f} s  (target < 15 s; kaleido already running)  {sizes}")
    its = sum(pack_images(db))
    print(f"its 12 images, one by one: {its:6.2f} s  (pack / images {seconds / its:.2f}x, target <= 2x)")


if __name__ == "__main__":
    main()
