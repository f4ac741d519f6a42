"""Build the demo database: illustrative reports written as real workbooks and loaded for real.

Theme, track, sector and body names come from the reference data (the seeds); every progress
figure, activity and date here is generated, and every report says so ("[Illustrative]" in its
narrative, `illustrative = true` in the database). The generator is seeded, so two builds give
the same numbers.

Variety on purpose: some themes keep pace and some lag, a few reports are missing, some are
revised (a second upload supersedes the first), the latest quarter has late sectors, and a few
pairs of activities in different Sectors describe the same work (known duplicates for the
overlap finder, listed in DUPLICATE_PAIRS).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
import io
import itertools
import json
import multiprocessing
import os
import random
import signal
import tarfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from etl import spec
from etl.load import Outcome, check, init_db, load_bytes
from etl.reference import Reference
from etl.validate import Validation
from isc.db import connection, writes
from isc.periods import Period, latest_ended, period_range

FIRST_PERIOD = Period(2024, 1)
SEED = 191

# Activity titles per theme (illustrative). The first sector in a theme's list leads the first
# activity, and so on round the participants.
ACTIVITIES: dict[str, list[str]] = {
    "ACC": ["Captioning for ITU meetings", "Accessibility of ITU publications",
            "ICT accessibility capacity building", "Accessible Europe and Americas events"],
    "CAP": ["Capacity Development Manual roll-out", "ITU Academy course catalogue alignment",
            "Joint training on spectrum management", "Centres of excellence review"],
    "CLIM": ["Digitalization day at the climate conference", "Green Digital Action follow-up",
             "Database on global GHG emissions of the ICT sector", "Guidelines on the environmental impact of AI",
             "Corporate climate portal update"],
    "COMM": ["Harmonized ITU website search", "Web content in all official languages",
             "Joint media plan for flagship events", "Social media editorial calendar"],
    "DATA": ["ICT indicators data collection", "Data hub consolidation", "Joint statistical capacity workshop"],
    "RES": ["National CIRT assessments", "Global Cybersecurity Index cycle",
            "Business continuity exercise", "Cyber drills in the regions"],
    "DT": ["Digital Transformation and Cities Digest", "Smart sustainable cities assessments",
           "Digital public infrastructure toolkit", "Connect 2030 country support"],
    "EMTEL": ["Emergency telecommunications preparedness plans", "Early warnings for all: telecom component",
              "Disaster connectivity maps", "Emergency equipment deployment drills"],
    "EVT": ["Common events calendar", "Joint events logistics framework", "Event registration platform",
            "Green events guidelines"],
    "GEN": ["Girls in ICT Day", "Network of women in ITU conferences", "Gender mainstreaming in study groups",
            "Gender-responsive events checklist"],
    "INNO": ["Innovation challenges for SMEs", "Innovation and entrepreneurship hubs",
             "AI for Good innovation factory", "Start-up engagement in study groups"],
    "MEMB": ["Sector Member recruitment campaign", "Academia membership outreach",
             "Resource mobilization pipeline", "Partnership agreements register"],
    "REG": ["Regional initiatives coordination", "Regional offices work plan alignment",
            "Joint regional forums", "Area office staffing review"],
    "SPACE": ["Space 2030 agenda support", "Space sustainability workshop",
              "Satellite filings capacity building", "Geospatial data coordination"],
    "YOUTH": ["Generation Connect youth envoys", "Youth participation in conferences",
              "Youth summit preparation", "Digital skills for youth programme"],
    "EMEET": ["Remote participation platform upgrade", "Guidelines on fully virtual meetings",
              "Captioning and interpretation for hybrid meetings", "Meeting room equipment renewal"],
}

# (theme, sector A, title A, sector B, title B): the same work reported by two Sectors.
DUPLICATE_PAIRS: list[tuple[str, str, str, str, str]] = [
    ("CLIM", "ITU-T", "Workshop on AI for climate action in developing countries",
     "ITU-D", "Workshop on artificial intelligence for climate action in developing countries"),
    ("RES", "ITU-T", "Regional cybersecurity drill for Africa",
     "ITU-D", "Cybersecurity drill for the Africa region"),
    ("CAP", "ITU-R", "Online course on spectrum management fundamentals",
     "ITU-D", "Online training course on fundamentals of spectrum management"),
    ("GEN", "ITU-T", "Mentoring programme for women in standardization",
     "GS", "Mentoring programme for women in ITU standardization work"),
    ("DT", "ITU-T", "Toolkit on digital public infrastructure for cities",
     "ITU-D", "Digital public infrastructure toolkit for cities and communities"),
]

INDICATORS: list[tuple[str, str, float, float]] = [
    # name template, unit, baseline, target
    ("Joint activities delivered with other Sectors", "number", 0, 12),
    ("Member States reached", "countries", 20, 80),
    ("Participants trained or engaged", "participants", 0, 2000),
]

RESULTS_FROM_SEEDS = {
    ("CAP", "2024-Q4"): ("ITU Capacity Development Manual",
                         "Principles, procedures and practices for capacity development, made by the "
                         "inter-sectoral task force on capacity development."),
    ("CLIM", "2024-Q4"): ("ITU at COP-29: first digitalization day at a climate conference",
                          "Culminated in the declaration on Green Digital Action (eight common objectives)."),
}

# Per (theme, sector) pace relative to plan: below ~0.8 falls off track over time.
LAGGING = {("SPACE", "ITU-D"): 0.55, ("REG", "RO"): 0.6, ("EVT", "GS"): 0.86, ("DATA", "ITU-D"): 0.87,
           ("YOUTH", "ITU-T"): 0.88}


# Units that count things: their demo values are whole numbers.
_COUNTS = ("number", "countries", "participants", "events", "publications")


def _value(x: float, unit: str) -> float:
    return float(round(x)) if unit in _COUNTS else round(x, 1)


def latest_complete_period(today: dt.date | None = None) -> Period:
    return latest_ended(today)


def _report(rng: random.Random, theme: str, sector: str, period: Period, participants: list[str],
            pace: float, index: int) -> spec.ReportData:
    titles = ACTIVITIES[theme]
    acts = []
    n_periods = index + 1
    for k, title in enumerate(titles):
        lead = participants[k % len(participants)]
        if lead != sector and k % 2:
            continue  # each sector reports the activities it leads and about half it joins
        start = FIRST_PERIOD.start + dt.timedelta(days=91 * (k % 3))
        end = start + dt.timedelta(days=365 + 120 * k)
        planned = min(100.0, max(0.0, (period.end - start).days / max(1, (end - start).days) * 100))
        done = round(min(100.0, planned * pace * rng.uniform(0.97, 1.08)))
        if done >= 100 or (period.end > end and pace >= 0.85 and rng.random() < 0.97):
            status, done = "Completed", 100
        elif period.end < start:
            status, done = "Planned", 0
        elif period.end > end:
            status = "Delayed"
        else:
            status = "In progress" if pace > 0.85 or rng.random() < 0.5 else "Delayed"
        roles = {}
        for other in participants:
            if other != lead and rng.random() < 0.5:
                roles[f"role_{other}"] = "Joint" if rng.random() < 0.4 else "Partner"
        acts.append({
            "activity_id": f"{theme}-{k + 1:02d}", "title": title,
            "description": f"Illustrative activity of the {theme} theme.",
            "lead_sector": lead, **roles, "status": status, "start_date": start, "end_date": end,
            "percent_complete": done,
            "result": "Illustrative result recorded" if status == "Completed" else None,
        })
    for theme_d, sa, ta, sb, tb in DUPLICATE_PAIRS:
        if theme_d == theme and sector in (sa, sb) and period >= Period(2025, 2):
            title = ta if sector == sa else tb
            acts.append({
                "activity_id": f"{theme}-D{1 + (sector == sb)}", "title": title,
                "description": "Illustrative activity seeded as a known duplicate for the overlap finder.",
                "lead_sector": sector, "status": "In progress",
                "start_date": dt.date(2025, 4, 1), "end_date": dt.date(2026, 12, 31),
                "percent_complete": min(90, 10 * (n_periods - 5)),
            })
    inds = []
    for j, (name, unit, base, target) in enumerate(INDICATORS[: 2 + (len(theme) % 2)]):
        bdate, tdate = dt.date(2024, 1, 1), dt.date(2026, 12, 31)
        frac = min(1.0, (period.end - bdate).days / (tdate - bdate).days)
        actual = base + (target - base) * frac * pace * rng.uniform(0.97, 1.05)
        inds.append({"indicator_id": f"I-{j + 1}", "name": name, "unit": unit, "baseline": base,
                     "baseline_date": bdate, "target": target, "target_date": tdate,
                     "actual": _value(actual, unit), "comment": None})
    results = []
    if (theme, str(period)) in RESULTS_FROM_SEEDS and sector == participants[0]:
        title, desc = RESULTS_FROM_SEEDS[(theme, str(period))]
        results.append({"title": title, "description": desc, "date": period.end, "link": None})
    elif rng.random() < 0.25:
        results.append({"title": f"Illustrative result: {acts[0]['title'] if acts else theme} milestone",
                        "description": "Generated for the demo.", "date": period.end - dt.timedelta(days=10),
                        "link": None})
    risks = []
    if pace < 0.85 and rng.random() < 0.6:
        risks.append({"kind": "Risk", "description": "Staff and budget constraints delay delivery (illustrative).",
                      "severity": "High" if pace < 0.7 else "Medium",
                      "mitigation": "Re-plan with partner Sectors", "owner": f"{sector} focal point",
                      "due_date": period.end + dt.timedelta(days=90)})
    if rng.random() < 0.08:
        risks.append({"kind": "Request for decision",
                      "description": "Agree on a single lead Sector for the joint workshop series (illustrative).",
                      "severity": "Medium", "mitigation": "ISC-TF to decide", "owner": "ISC-TF",
                      "due_date": period.end + dt.timedelta(days=45)})
    self_status = "On track" if pace >= 0.9 else ("At risk" if pace >= 0.7 else "Off track")
    if rng.random() < 0.15:
        self_status = "On track"  # focal points are sometimes optimistic
    header = {"self_status": self_status,
              "summary": f"[Illustrative] Progress of {theme} reported by {sector} for {period}.",
              "prepared_by": f"{sector} focal point (illustrative)"}
    return spec.ReportData(header, acts, inds, results, risks)


def plan(ref: Reference, last: Period, seed: int = SEED):
    """Yield (theme, sector, period, ReportData, uploaded_at, revision) for every demo upload."""
    rng = random.Random(seed)
    periods = period_range(FIRST_PERIOD, last)
    for theme in ref.reportable_themes:
        participants = ref.participants(theme)
        for sector in participants:
            pace = LAGGING.get((theme, sector), rng.uniform(0.98, 1.1))
            for index, period in enumerate(periods):
                latest = period == last
                if (latest and sector in ("ITU-D", "RO") and rng.random() < 0.5) or rng.random() < 0.05:
                    continue  # missing report
                report = _report(rng, theme, sector, period, participants, pace, index)
                delay = rng.choice([3, 7, 10, 12, 14, 14, 20, 35])
                at = dt.datetime.combine(period.end + dt.timedelta(days=delay), dt.time(10, 0))
                yield theme, sector, period, report, at, 0
                if rng.random() < 0.05:
                    report = copy.deepcopy(report)
                    for ind in report.indicators:
                        ind["actual"] = _value(ind["actual"] * 1.03, ind["unit"])
                    report.header["summary"] += " Revised figures."
                    yield theme, sector, period, report, at + dt.timedelta(days=5), 1


# The illustrative workbooks, written once with the template writer (python -m etl.demo) and bundled:
# writing 600 workbooks with openpyxl took most of a first start. Each is named by a digest of what
# it holds, so a plan that no longer matches the bundle (another quarter, changed generator) simply
# writes the workbooks it lacks; the bundle only saves time and is read in its own order, which is
# the order the background build loads in (the default quarter first).
BUNDLE = Path(__file__).resolve().parent.parent / "data" / "demo" / "workbooks.tar.xz"


def _name(theme: str, sector: str, period: Period, report: spec.ReportData, rev: int) -> str:
    content = json.dumps([spec.TEMPLATE_VERSION, theme, str(period), sector, report.header, report.activities,
                          report.indicators, report.results, report.risks], default=str, sort_keys=True)
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    return f"{theme}_{period}_{sector}{'_rev' if rev else ''}_{digest}.xlsx"


INDEX = "index.json"  # the archive's first member: the names of the workbooks that follow


class _Bundle:
    """The bundled workbooks, decompressed lazily: get() reads the archive only as far as needed."""

    def __init__(self, path: Path = BUNDLE):
        self._tar = tarfile.open(path, "r|xz") if path.exists() else None  # noqa: SIM115 - closed by close()
        self._read: dict[str, bytes] = {}
        self.names: set[str] = set(json.loads(self.get(INDEX) or b"[]"))

    def get(self, name: str) -> bytes | None:
        while name not in self._read and self._tar is not None:
            member = self._tar.next()
            if member is None:
                self.close()
                break
            if member.isfile():
                self._read[member.name] = self._tar.extractfile(member).read()
        return self._read.pop(name, None)

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()
            self._tar = None


def _workbook(job) -> bytes:
    from etl.template import template_bytes  # openpyxl: imported only when a workbook is written

    theme, period, sector, report = job
    return template_bytes(_ref(), theme, period, sector, report)


_REF: Reference | None = None


def _ref() -> Reference:
    global _REF
    if _REF is None:
        _REF = Reference.load()
    return _REF


def _workbooks(items: list, names: list[str]) -> Iterator[bytes]:
    """The workbook of each plan item, in order: from the bundle, else written now (in worker
    processes when many are missing)."""
    bundle = _Bundle()
    try:
        missing = [(theme, str(period), sector, report)
                   for (theme, sector, period, report, _, _), name in zip(items, names, strict=True)
                   if name not in bundle.names]
        if len(missing) > 8:
            with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
                written = iter(list(pool.map(_workbook, missing, chunksize=8)))
        else:
            written = map(_workbook, missing)
        for name in names:
            data = bundle.get(name) if name in bundle.names else None
            yield data if data is not None else next(written)
    finally:
        bundle.close()


# The niceness of a worker once it checks workbooks nobody waits for: it leaves the CPU to the
# server and the browser drawing the first page.
BACKGROUND_NICE = 10


def _check_all(datas: list[bytes], background: bool = False) -> list[Validation]:
    """In a worker process: etl.load.check of each workbook (the reference data came with the fork)."""
    if background:
        with contextlib.suppress(OSError):
            if os.getpriority(os.PRIO_PROCESS, 0) < BACKGROUND_NICE:
                os.setpriority(os.PRIO_PROCESS, 0, BACKGROUND_NICE)
    ref = _ref()
    return [check(data, ref) for data in datas]


def _worker_started() -> None:
    """A worker forked from the dashboard's server inherits its signal handlers: a worker stopped
    with the server's process group must simply end, never run the server's shutdown."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


class _Checked:
    """Each workbook with what etl.load.check makes of it, in order, checked ahead in worker
    processes forked from this one (the modules and the reference data come with the fork, so a
    worker starts in milliseconds) while this process inserts: reading and validating was most of
    a demo load once its rows went in batches. Checking starts when this is made; `ahead` groups
    of `group` workbooks are in flight at most. From the `background`-th workbook on, nobody waits
    for them: a worker checks them at a lower priority (BACKGROUND_NICE). Without fork (or with one
    CPU) the validation is None: load_bytes checks in this process, as it always did. A worker
    that does not answer within WAIT_S (stuck: a fork of a threaded server can inherit a lock
    held by another thread) or that died is stopped, and the rest is checked in this process:
    the build is slower, never hung. close() ends the workers."""

    WAIT_S = 60.0  # a group of 10 workbooks takes well under a second

    def __init__(self, datas: Iterable[bytes], workers: int = 2, group: int = 10, ahead: int = 12,
                 background: int | None = None):
        self._origin = self._source = iter(datas)
        self._flight: deque = deque()
        self._ready: Iterator[tuple[bytes, Validation | None]] = iter(())
        self._group, self._ahead = group, ahead
        self._background, self._submitted = background, 0
        self._pool = None
        if workers >= 2 and (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods():
            _ref()  # loaded before the fork: the workers have it
            self._pool = ProcessPoolExecutor(workers, multiprocessing.get_context("fork"),
                                             initializer=_worker_started)
            self._submit()

    def _submit(self) -> None:
        while len(self._flight) < self._ahead:
            chunk = [data for _, data in zip(range(self._group), self._source, strict=False)]
            if not chunk:
                return
            background = self._background is not None and self._submitted >= self._background
            self._submitted += len(chunk)
            self._flight.append((chunk, self._pool.submit(_check_all, chunk, background)))

    def __iter__(self) -> Iterator[tuple[bytes, Validation | None]]:
        return self

    def __next__(self) -> tuple[bytes, Validation | None]:
        if self._pool is None:
            return next(self._source), None
        for pair in self._ready:
            return pair
        if not self._flight:
            raise StopIteration
        chunk, future = self._flight.popleft()
        try:
            results = future.result(timeout=self.WAIT_S)
        except (TimeoutError, BrokenProcessPool):
            self._check_here([chunk, *(c for c, _ in self._flight)])
            return next(self)
        self._ready = zip(chunk, results, strict=True)
        self._submit()
        return next(self._ready)

    def _check_here(self, pending: list[list[bytes]]) -> None:
        """Stop the workers; the workbooks they held, then the rest, are checked in this process."""
        pool, self._pool = self._pool, None
        self._flight.clear()
        for process in list((getattr(pool, "_processes", None) or {}).values()):  # a stuck one never ends
            with contextlib.suppress(Exception):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        self._source = itertools.chain(itertools.chain.from_iterable(pending), self._origin)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        close = getattr(self._origin, "close", None)
        if close is not None:
            close()


def _load(con, ref: Reference, path: Path, item: tuple, name: str, data: bytes, workdir: Path | None,
          validation: Validation | None = None) -> Outcome:
    theme, sector, period, report, at, rev = item
    shown = f"{theme}_{period}_{sector}{'_rev' if rev else ''}.xlsx"
    if workdir:
        (workdir / shown).write_bytes(data)
    outcome = load_bytes(data, shown, db=path, uploaded_by="demo", ref=ref, illustrative=True, uploaded_at=at,
                         con=con, validation=validation)
    if not outcome.accepted and name:  # a bundled workbook the validator no longer takes: write it anew
        return _load(con, ref, path, item, "", _workbook((theme, str(period), sector, report)), workdir)
    if not outcome.accepted:
        raise RuntimeError(f"demo workbook {shown} was rejected: {outcome.errors[:3]}")
    return outcome


def _fresh(path: Path, ref: Reference | None) -> None:
    """No database file; then (with `ref`) one with the schema and the reference data."""
    for f in (path, Path(str(path) + ".wal")):
        f.unlink(missing_ok=True)
    if ref is not None:
        init_db(path, ref)


def build_demo(db: str | os.PathLike | None = None, last: Period | None = None,
               workdir: str | os.PathLike | None = None, progress=None) -> list[Outcome]:
    """Load every demo workbook (bundled, else written with the template writer) through etl.load,
    in one transaction, its rows written together at the end (isc.db.writes.batch), each checked
    ahead in a worker process (_Checked)."""
    ref = _ref()
    last = last or latest_complete_period()
    path = connection.db_path(db)
    _fresh(path, ref)
    items = list(plan(ref, last))
    names = [_name(th, se, pe, rep, rev) for th, se, pe, rep, _, rev in items]
    folder = Path(workdir) if workdir else None
    outcomes = []
    with contextlib.closing(_Checked(_workbooks(items, names))) as workbooks, connection.write(path) as con, \
            writes.batch(con):
        for n, (item, name, (data, validation)) in enumerate(zip(items, names, workbooks, strict=True), start=1):
            outcomes.append(_load(con, ref, path, item, name, data, folder, validation))
            if progress:
                progress(n, len(items))
    return outcomes


def load_order(items: list, last: Period) -> list[int]:
    """Indexes of the plan items in background-build order: the default quarter (the latest that
    has ended, where every page opens), then the one before it (the Overview's "since" column),
    then the rest as planned. A revision stays after the upload it revises (same quarter)."""
    first = [str(last), str(last.previous())]
    return sorted(range(len(items)), key=lambda i: first.index(str(items[i][2])) if str(items[i][2]) in first else 2)


class Build:
    """A demo build in a background thread of this process: the default quarter and the one before
    it are loaded (and committed) first, then the rest in small transactions, each one batch
    (isc.db.writes.batch: one INSERT per table, not a dozen statements per report). While it runs the
    process's reads go through cursors of the build's connection (connection.shared_writer), so
    pages show what is loaded so far. A marker file beside the database says a build is unfinished:
    a server stopped mid-build builds again on its next start."""

    CHUNK = 40  # workbooks per transaction after the first quarters
    RESUME_AFTER_S = 10.0

    def __init__(self, path: Path, last: Period):
        self.path, self.last = path, last
        self.total = 0
        self.loaded = 0
        self.error: BaseException | None = None
        self.first_ready = threading.Event()  # the default quarter and the one before are in
        # Set by the dashboard once its first page is out (resume), then once a browser has drawn it
        # (shown: the page's progress message asks for its first refresh a second after it is drawn).
        # Until both (or RESUME_AFTER_S) the build waits after the first quarters, so that it slows
        # down neither the first page's script nor the browser drawing its charts (its plotly code
        # comes from this process, which the build would share).
        self.resume = threading.Event()
        self.shown = threading.Event()
        self.done = threading.Event()
        self._started = threading.Event()  # the shared connection is registered
        self.thread = threading.Thread(target=self._run, name="isc-demo-build", daemon=True)

    @property
    def marker(self) -> Path:
        return marker(self.path)

    def _run(self) -> None:
        try:
            ref = _ref()
            self.marker.parent.mkdir(parents=True, exist_ok=True)
            self.marker.touch()
            items = list(plan(ref, self.last))
            order = load_order(items, self.last)
            items = [items[i] for i in order]
            self.total = len(items)
            names = [_name(th, se, pe, rep, rev) for th, se, pe, rep, _, rev in items]
            first = {str(self.last), str(self.last.previous())}
            n_first = sum(1 for it in items if str(it[2]) in first)
            _fresh(self.path, None)
            # The workbooks are checked from now on, in worker processes, while the database is set up.
            with contextlib.closing(_Checked(_workbooks(items, names), background=n_first)) as workbooks, \
                    connection.shared_writer(self.path) as shared:
                self._started.set()
                con = shared.cursor()
                try:
                    bounds = [0, n_first, *range(n_first + self.CHUNK, self.total, self.CHUNK), self.total]
                    for lo, hi in zip(bounds, bounds[1:], strict=False):
                        with connection.transaction(con):
                            if lo == 0:  # the schema and reference data with the first quarters: one commit
                                init_db(self.path, ref, con)
                            with writes.batch(con):
                                for item, name in zip(items[lo:hi], names[lo:hi], strict=True):
                                    data, validation = next(workbooks)
                                    _load(con, ref, self.path, item, name, data, None, validation)
                        self.loaded = hi
                        if hi >= n_first and not self.first_ready.is_set():
                            self.first_ready.set()
                            until = time.monotonic() + self.RESUME_AFTER_S
                            self.resume.wait(self.RESUME_AFTER_S)
                            self.shown.wait(max(0.0, until - time.monotonic()))
                finally:
                    con.close()
            self.marker.unlink(missing_ok=True)
        except BaseException as exc:  # noqa: BLE001 - shown by the page that waits for the build
            self.error = exc
        finally:
            self._started.set()
            self.first_ready.set()
            self.done.set()


def marker(path: Path) -> Path:
    return Path(str(path) + ".demo-building")


_builds: dict[str, Build] = {}
_builds_lock = threading.Lock()


def background_build(db: str | os.PathLike | None = None, last: Period | None = None) -> Build | None:
    """The running (or just finished) background build of this database, started when there is no
    database or an unfinished one; None when a complete database exists and no build ran here."""
    path = connection.db_path(db)
    key = os.path.abspath(path)
    with _builds_lock:
        build = _builds.get(key)
        if build is not None and (not build.done.is_set() or build.error is None):
            return build
        if path.exists() and not marker(path).exists():
            return None
        build = _builds[key] = Build(path, last or latest_complete_period())
        build.thread.start()
        build._started.wait()
        return build


def write_bundle(last: Period | None = None, target: Path = BUNDLE,
                 log: Callable[[str], None] | None = print) -> Path:
    """Write every demo workbook once and bundle them (python -m etl.demo), in background-build order."""
    last = last or latest_complete_period()
    items = list(plan(_ref(), last))
    items = [items[i] for i in load_order(items, last)]
    jobs = [(theme, str(period), sector, report) for theme, sector, period, report, _, _ in items]
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        datas = list(pool.map(_workbook, jobs, chunksize=8))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    names = [_name(theme, sector, period, report, rev) for theme, sector, period, report, _, rev in items]
    with tarfile.open(tmp, "w:xz", preset=9) as tar:
        for name, data in [(INDEX, json.dumps(names).encode()), *zip(names, datas, strict=True)]:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, target)
    if log:
        log(f"{len(items)} workbooks for {FIRST_PERIOD}..{last} in {target} ({target.stat().st_size:,} bytes)")
    return target


if __name__ == "__main__":
    write_bundle()
