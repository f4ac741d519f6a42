"""A large illustrative dataset for the page benchmark: 10 years (40 quarters), 60 themes,
4 sectors, 40 activities and 10 indicators per report (9,600 reports, 384,000 activities).

Reports go straight through isc/db/writes.insert_report (no workbooks), with the status computed
by the real rule (isc/status.py). The reference tables are the repository's, with the themes,
focal points and theme-resolution links replaced by 60 generated themes.

    python bench/large_dataset.py [--db PATH] [--years 10] [--themes 60]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl import spec  # noqa: E402
from etl.reference import Reference  # noqa: E402
from isc import status as rule  # noqa: E402
from isc.db import connection, schema, writes  # noqa: E402
from isc.periods import Period, period_range  # noqa: E402

SECTORS = ("ITU-R", "ITU-T", "ITU-D", "GS")
TRACKS = ("strategic", "programmatic", "performance", "web")
N_ACTIVITIES, N_INDICATORS = 40, 10
LAST = Period(2026, 3)
SELF = {
    rule.ON_TRACK: "On track",
    rule.AT_RISK: "At risk",
    rule.OFF_TRACK: "Off track",
    rule.COMPLETED: "Completed",
}


def reference(n_themes: int) -> dict[str, list[dict[str, str]]]:
    """The repository's reference tables with `n_themes` generated themes."""
    tables = copy.deepcopy(Reference.load().tables)
    resolutions = [r["code"] for r in tables["resolutions"]]
    themes, focal, links = [], [], []
    for i in range(1, n_themes + 1):
        code = f"T{i:02d}"
        themes.append(
            {
                "code": code,
                "name": f"Theme {i:02d} (illustrative)",
                "track": TRACKS[i % 4],
                "state": "active",
                "valid_from": "2016-01-01",
                "valid_to": "",
                "successor": "",
                "reported_to_isctf_2024": "no",
                "track_assignment": "generated",
                "source": "bench",
                "name_fr": f"Thème {i:02d}",
            }
        )
        for s in SECTORS:
            focal.append(
                {
                    "theme": code,
                    "sector": s,
                    "focal_point": f"Focal point {code}/{s}",
                    "email": f"{code.lower()}.{s.lower()}@example.org",
                    "illustrative": "yes",
                }
            )
        for k in range(1 + i % 2):
            links.append(
                {
                    "theme": code,
                    "resolution": resolutions[(i * 3 + k) % len(resolutions)],
                    "confirmed": "generated",
                }
            )
    tables["themes"], tables["focal_points"], tables["theme_resolutions"] = themes, focal, links
    tables["iscg_coordinators"] = []
    return tables


def report(
    rng: random.Random, theme: str, sector: str, period: Period, first: Period, pace: float
) -> spec.ReportData:
    start = first.start
    acts = []
    for k in range(N_ACTIVITIES):
        lead = SECTORS[k % 4] if k % 3 else sector
        a_start = start + dt.timedelta(days=91 * (k % 20))
        a_end = a_start + dt.timedelta(days=365 + 30 * (k % 12))
        planned = min(100.0, max(0.0, (period.end - a_start).days / max(1, (a_end - a_start).days) * 100))
        done = round(min(100.0, planned * pace))
        status = (
            "Completed"
            if done >= 100
            else "Planned"
            if period.end < a_start
            else "Delayed"
            if period.end > a_end
            else "In progress"
        )
        roles = {
            f"role_{o}": ("Joint" if rng.random() < 0.4 else "Partner")
            for o in SECTORS
            if o != lead and rng.random() < 0.4
        }
        acts.append(
            {
                "row": k + 2,
                "activity_id": f"{theme}-{k + 1:02d}",
                "title": f"Activity {k + 1} of {theme}",
                "description": "Generated for the benchmark.",
                "lead_sector": lead,
                **roles,
                "status": status,
                "start_date": a_start,
                "end_date": a_end,
                "percent_complete": done,
                "result": None,
            }
        )
    inds = []
    for j in range(N_INDICATORS):
        b_date, t_date = start, start + dt.timedelta(days=365 * (3 + j % 8))
        target = 10.0 * (j + 1)
        frac = min(1.0, max(0.0, (period.end - b_date).days / (t_date - b_date).days))
        inds.append(
            {
                "row": j + 2,
                "indicator_id": f"I-{j + 1}",
                "name": f"Indicator {j + 1}",
                "unit": "number",
                "baseline": 0.0,
                "baseline_date": b_date,
                "target": target,
                "target_date": t_date,
                "actual": round(target * frac * pace * rng.uniform(0.95, 1.05), 1),
                "comment": None,
            }
        )
    results = (
        [
            {
                "row": 2,
                "title": f"Result of {theme}",
                "description": "Generated.",
                "date": period.end,
                "link": None,
            }
        ]
        if rng.random() < 0.2
        else []
    )
    header = {
        "theme": theme,
        "period": str(period),
        "sector": sector,
        "self_status": "On track",
        "summary": "[Illustrative] benchmark data",
        "prepared_by": "bench",
        "template_version": spec.TEMPLATE_VERSION,
    }
    return spec.ReportData(header, acts, inds, results, [])


def build(
    db: Path,
    years: int = 10,
    n_themes: int = 60,
    last: Period = LAST,
    seed: int = 7,
    progress: bool = True,
) -> int:
    """Write the dataset to `db` (replaced); returns the number of reports."""
    for f in (db, Path(str(db) + ".wal")):
        f.unlink(missing_ok=True)
    first = Period(last.year - years, last.quarter).next()
    periods = period_range(first, last)
    rng = random.Random(seed)
    tables = reference(n_themes)
    themes = [t["code"] for t in tables["themes"]]
    paces = {(t, s): rng.choice([0.6, 0.85, 0.95, 1.0, 1.05, 1.1]) for t in themes for s in SECTORS}
    n = 0
    t0 = time.perf_counter()
    with connection.write(db) as con:
        schema.ensure_schema(con)
        writes.replace_reference(con, tables)
    for period in periods:
        with connection.write(db) as con:
            for theme in themes:
                for sector in SECTORS:
                    data = report(rng, theme, sector, period, first, paces[(theme, sector)])
                    computed, reasons = rule.report_status(data.indicators, data.activities, period.end)
                    data.header["self_status"] = SELF[computed]
                    ind_status = [rule.indicator_status(i, period.end) for i in data.indicators]
                    at = dt.datetime.combine(period.end + dt.timedelta(days=10), dt.time(9, 0))
                    meta = writes.UploadMeta(
                        f"bench-{theme}-{period}-{sector}",
                        f"{theme}_{period}_{sector}.xlsx",
                        "",
                        0,
                        "bench",
                        spec.TEMPLATE_VERSION,
                        0,
                        True,
                        at,
                    )
                    writes.insert_report(con, data, meta, period.end, computed, reasons, ind_status)
                    n += 1
        if progress:
            print(f"  {period}: {n} reports, {time.perf_counter() - t0:.0f} s", flush=True)
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=str(ROOT / "data" / "bench_large.duckdb"))
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--themes", type=int, default=60)
    args = ap.parse_args()
    t = time.perf_counter()
    n = build(Path(args.db), args.years, args.themes)
    size = Path(args.db).stat().st_size / 1e6
    print(f"{n} reports written to {args.db} ({size:.0f} MB) in {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
