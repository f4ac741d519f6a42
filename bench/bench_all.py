"""Issue 17 in one run: where people wait, each next to a floor or baseline measured in the same run.

    python bench/bench_all.py [--quick] [--only first_start,switches,...] [--sessions 25]

Parts (--only takes a comma-separated subset; default all):
  first_start  `streamlit run dashboard.py` on a fresh `git clone` of this repository (no database,
               ISC_TODAY=2026-11-30) until the Overview's first chart is drawn in Chromium (the demo
               build included), then a restart on the database it built; vs the floor app
               (bench/floor_app/app.py) until its chart is drawn.
  switches     page switches in Chromium: click a sidebar link, wait until the script is idle and
               the page's `.js-plotly-plot` count is stable; median and p95 over N switches round the
               Monitor pages (demo data; also the large dataset with --large), vs the floor app.
  upload       server-side check and preview of a typical report as the Upload page makes it
               (etl.service.prepare: hash, read and validate in the worker process, preview), and
               the Load of that Prepared (etl.service.load: no second read, validation or hash).
  pack         the 12-chart Council pack (isc.pack, the renderer already running) vs its own 12
               images rendered one at a time as PNG with the persistent renderer (as 12 download
               clicks would), alternated run by run; also vs 12 x one small bar chart
               (bench/bench_export.py's functions).
  sessions     N concurrent sessions through Streamlit's websocket protocol (bench/bench_sessions.py:
               BackMsg rerun_script / ForwardMsg script_finished, no browser), each switching
               Monitor pages and sidebar filters with a pause between actions for a bounded time:
               errors, rerun p95 vs one session alone, server RSS and CPU.
  etl          the 50,000-row report through the ETL vs pandas.read_excel(openpyxl) + insert
               (bench/bench_etl.py's functions).

Only 127.0.0.1. Every wait and loop is bounded in count and time. Every server, worker process
and browser this script starts is stopped on exit, error, Ctrl-C or SIGTERM. The in-process parts
(upload, pack, etl, the demo build) run in worker processes of this script (--worker), each in a
process group of its own. Figures are wall-clock times on whatever else the machine is doing:
look at the load average printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR_APP = ROOT / "bench" / "floor_app" / "app.py"
FLOOR_PAGES = ("Alpha", "Beta", "Gamma", "Delta", "Epsilon")
# (link text in the sidebar, URL path) of the dashboard's Monitor pages, in the sidebar's order.
DASH_PAGES = (("Overview", ""), ("Themes", "themes"), ("Tracks", "tracks"), ("Sectors", "sectors"),
              ("Resolutions", "resolutions"))  # fmt: skip
ISC_TODAY = "2026-11-30"
PARTS = ("first_start", "switches", "upload", "pack", "sessions", "etl")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
VIEWPORT = {"width": 1920, "height": 1080}
APP = '[data-testid="stApp"]'
STATUS_WIDGET = '[data-testid="stStatusWidget"]'

# ---------------------------------------------------------------------------------------------
# Processes: everything started is registered here and its process group killed on the way out.

_procs: list[subprocess.Popen] = []


def _kill_group(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


def stop_all() -> None:
    while _procs:
        _kill_group(_procs.pop())


def _on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def spawn(cmd: list[str], *, cwd: Path, env: dict, log: Path | None = None) -> subprocess.Popen:
    out = log.open("wb") if log else subprocess.PIPE
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT if log else subprocess.PIPE,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    finally:
        if log:
            out.close()
    _procs.append(proc)
    return proc


def release(proc: subprocess.Popen) -> None:
    _kill_group(proc)
    if proc in _procs:
        _procs.remove(proc)


def base_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("ISC_DB",)}
    env.update({"ISC_TODAY": ISC_TODAY, "PYTHONUNBUFFERED": "1"}, **extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path
    started: float  # time.monotonic() at Popen
    healthy_after: float = 0.0

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


async def start_server(script: str, cwd: Path, log: Path, env: dict, timeout: float = 120) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]  # fmt: skip
    t0 = time.monotonic()
    proc = spawn(cmd, cwd=cwd, env=env, log=log)
    server = Server(proc, f"http://127.0.0.1:{port}", log, t0)
    deadline = t0 + timeout
    while not await asyncio.to_thread(healthy, server.url):
        if proc.poll() is not None or time.monotonic() > deadline:
            release(proc)
            raise RuntimeError(f"the server did not start ({script}):\n{server.log_text()[-3000:]}")
        await asyncio.sleep(0.05)
    server.healthy_after = time.monotonic() - t0
    return server


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process in the process group (the server and its children)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    total = 0
    if psutil is not None:
        for p in psutil.process_iter(["pid"]):
            try:
                if os.getpgid(p.pid) == pgid:
                    total += p.memory_info().rss
            except (psutil.Error, ProcessLookupError, PermissionError):
                pass
        return total / 2**20
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) != pgid:  # fields[0] is state; pgrp is the 5th field of stat
                continue
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
    return total / 2**20


def group_cpu_s(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of the process group."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == pgid:
                total += int(fields[11]) + int(fields[12])  # utime, stime (stat fields 14 and 15)
        except (OSError, ValueError, IndexError):
            pass
    return total / tick


# ---------------------------------------------------------------------------------------------
# Chromium: waiting until a page is drawn.

# Installed before a click: a MutationObserver notes the last moment anything we watch changed
# (script state, status widget, number of plotly charts, URL path) and whether the script ran.
INSTALL_JS = """([app, widget, path]) => {
  if (window.__bench && window.__bench.obs) window.__bench.obs.disconnect();
  const s = window.__bench = {start: performance.now(), seenRun: false, key: null, changed: performance.now(),
                              path: path, n: 0, state: null};
  const look = () => {
    const root = document.querySelector(app);
    const state = root ? root.getAttribute('data-test-script-state') : null;
    if (state === 'running') s.seenRun = true;
    const busy = !!document.querySelector(widget);
    if (busy) s.seenRun = true;
    const n = document.querySelectorAll('.js-plotly-plot').length;
    const here = location.pathname.replace(/\\/+$/, '') === s.path;
    const key = [state, busy, n, here].join('|');
    if (key !== s.key) { s.key = key; s.changed = performance.now(); }
    s.n = n; s.state = state; s.busy = busy; s.here = here;
  };
  s.look = look;
  look();
  s.obs = new MutationObserver(look);
  s.obs.observe(document.body, {subtree: true, childList: true, attributes: true,
                                attributeFilter: ['data-test-script-state', 'class']});
}"""

# Polled: true once the script is idle, the path is the target's, there are at least `min`
# charts, and nothing watched has changed for `settle` ms. Returns the time of the last change.
SETTLED_JS = """([settle, min]) => {
  const s = window.__bench; s.look();
  const now = performance.now();
  const idle = s.state === 'notRunning' && !s.busy && s.here && s.n >= min && (s.seenRun || now - s.start > 3000);
  if (idle && now - s.changed >= settle) return {ms: s.changed - s.start, n: s.n, seenRun: s.seenRun};
  return null;
}"""


class SwitchError(RuntimeError):
    pass


async def wait_drawn(page, path: str, settle_ms: int, timeout_s: float, min_charts: int = 1) -> dict:
    try:
        handle = await page.wait_for_function(SETTLED_JS, arg=[settle_ms, min_charts], polling=50,
                                              timeout=timeout_s * 1000)  # fmt: skip
    except Exception as exc:  # playwright TimeoutError and page crashes alike
        state = await _safe_eval(page, "() => window.__bench && [window.__bench.key, window.__bench.seenRun]")
        raise SwitchError(f"not drawn within {timeout_s:.0f} s on /{path} (last state {state}): "
                          f"{type(exc).__name__}") from exc  # fmt: skip
    out = await handle.json_value()
    exceptions = await page.locator('[data-testid="stException"]').count()
    if exceptions:
        raise SwitchError(f"/{path} shows {exceptions} exception(s)")
    return out


async def _safe_eval(page, js: str):
    try:
        return await page.evaluate(js)
    except Exception:
        return None


async def open_app(page, url: str, path: str, settle_ms: int, timeout_s: float) -> dict:
    await page.goto(f"{url}/{path}", wait_until="domcontentloaded", timeout=timeout_s * 1000)
    await page.wait_for_selector(APP, timeout=timeout_s * 1000)
    await page.evaluate(INSTALL_JS, [APP, STATUS_WIDGET, f"/{path}" if path else ""])
    return await wait_drawn(page, path, settle_ms, timeout_s)


async def switch(page, link_text: str, path: str, settle_ms: int, timeout_s: float) -> float:
    """Click the sidebar link; seconds until the target page is drawn (idle, charts stable)."""
    link = page.locator('[data-testid="stSidebar"] a', has_text=link_text).first
    await page.evaluate(INSTALL_JS, [APP, STATUS_WIDGET, f"/{path}" if path else ""])
    await link.click(timeout=timeout_s * 1000)
    out = await wait_drawn(page, path, settle_ms, timeout_s)
    return out["ms"] / 1000


async def new_tab(browser):
    ctx = await browser.new_context(viewport=VIEWPORT, device_scale_factor=1, locale="en-GB")
    tab = await ctx.new_page()
    tab.set_default_timeout(60_000)
    return ctx, tab


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of the values."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


# ---------------------------------------------------------------------------------------------
# Results table.


@dataclass
class Row:
    what: str
    now: str
    base: str = "-"
    ratio: float | None = None
    target: str = ""

    def verdict(self) -> str:
        if self.ratio is None or not self.target:
            return ""
        op, limit = self.target.split(" ", 1)
        limit = float(limit.rstrip("x"))
        ok = self.ratio <= limit if op == "<=" else self.ratio >= limit
        return "met" if ok else "NOT met"


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    def add(self, *args, **kwargs) -> None:
        self.rows.append(Row(*args, **kwargs))
        r = self.rows[-1]
        ratio = f"  ratio {r.ratio:.2f}x" if r.ratio is not None else ""
        if r.target:
            ratio += f" (target {r.target}: {r.verdict()})"
        print(f"  -> {r.what}: {r.now}  | {r.base}{ratio}", flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    def table(self) -> str:
        head = ("what", "now", "floor / baseline (same run)", "ratio", "target")
        body = [(r.what, r.now, r.base, f"{r.ratio:.2f}x" if r.ratio is not None else "-",
                 f"{r.target} {r.verdict()}".strip()) for r in self.rows]  # fmt: skip
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)


def s(x: float) -> str:
    return f"{x:.2f} s"


# ---------------------------------------------------------------------------------------------
# Parts in Chromium.


async def first_start(browser, args, work: Path, res: Results) -> Path | None:
    """Floor app, then the dashboard on a fresh clone; returns the clone's demo database."""
    timeout = args.first_start_timeout
    # Floor: from Popen to its chart drawn, measured exactly as the dashboard's below (the first
    # `.js-plotly-plot`; open_app's settle and script-state wait would add seconds to the floor only).
    t0 = time.monotonic()
    srv = await start_server(str(FLOOR_APP), ROOT, work / "floor_first.log", base_env())
    try:
        ctx, tab = await new_tab(browser)
        try:
            await tab.goto(srv.url, wait_until="domcontentloaded", timeout=timeout * 1000)
            await tab.wait_for_selector(".js-plotly-plot", timeout=timeout * 1000)
            floor = time.monotonic() - t0
            floor_cpu = group_cpu_s(srv.proc.pid)  # the server's CPU seconds: less noisy than wall time
        finally:
            await ctx.close()
    finally:
        release(srv.proc)
    print(
        f"  floor app: healthy after {srv.healthy_after:.2f} s, chart drawn after {floor:.2f} s "
        f"(server CPU {floor_cpu:.2f} s)", flush=True
    )

    # Dashboard: a fresh clone (the committed HEAD; --worktree copies the working tree instead).
    clone = work / "clone"
    t = time.monotonic()
    if args.worktree:
        files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                               capture_output=True, timeout=60).stdout.decode().split("\0")  # fmt: skip
        for name in filter(None, files):
            src = ROOT / name
            if src.is_file():
                (clone / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, clone / name)
        source = "working tree copy"
    else:
        subprocess.run(
            ["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True, timeout=120
        )
        source = "git clone of HEAD"
    print(f"  {source} in {clone} ({time.monotonic() - t:.1f} s, not counted)", flush=True)
    db = clone / "data" / "isc.duckdb"
    assert not db.exists(), db
    times = {}
    for run in ("first", "restart"):
        t0 = time.monotonic()
        srv = await start_server(
            "dashboard.py", clone, work / f"dashboard_{run}.log", base_env(), timeout=timeout
        )
        try:
            ctx, tab = await new_tab(browser)
            try:
                await tab.goto(srv.url, wait_until="domcontentloaded", timeout=timeout * 1000)
                await tab.wait_for_selector(".js-plotly-plot", timeout=timeout * 1000)
                times[run] = time.monotonic() - t0
                times[f"{run}_cpu"] = group_cpu_s(srv.proc.pid)
                # The rest of the demo loads in the background after the first page (etl.demo.Build;
                # its marker file goes when it is done): wait for it, so that the restart and the
                # other parts get the whole demo database.
                marker = Path(f"{db}.demo-building")
                while marker.exists() and time.monotonic() - t0 < timeout:
                    await asyncio.sleep(0.1)
                if run == "first":
                    times["complete"] = time.monotonic() - t0
            finally:
                await ctx.close()
        finally:
            release(srv.proc)
        print(f"  dashboard ({run}): healthy after {srv.healthy_after:.2f} s, first chart after {times[run]:.2f} s "
              f"(server CPU {times[f'{run}_cpu']:.2f} s)",
              flush=True)  # fmt: skip
    res.add(
        "first start: fresh clone, no database, until the Overview's first chart (demo build included)",
        s(times["first"]),
        f"floor app's chart {s(floor)}",
        times["first"] / floor,
        "<= 2x",
    )
    res.add(
        "first start: until the whole demo is loaded (in the background, after the first chart)",
        s(times["complete"]),
        f"floor app's chart {s(floor)}",
    )
    res.add(
        "restart on the built database, until the Overview's first chart",
        s(times["restart"]),
        f"floor app's chart {s(floor)}",
        times["restart"] / floor,
    )
    res.data["first_start"] = {"floor": floor, "floor_cpu": floor_cpu, **times, "source": source}
    return db if db.exists() else None


async def measure_switches(browser, url: str, pages, n: int, args, label: str) -> dict:
    """One session: open the first page, one round of first visits (not counted), then n switches."""
    ctx, tab = await new_tab(browser)
    try:
        await open_app(tab, url, pages[0][1], args.settle_ms, args.switch_timeout)
        first_visits = []
        for text, path in [*pages[1:], pages[0]]:
            first_visits.append(await switch(tab, text, path, args.settle_ms, args.switch_timeout))
        times = []
        deadline = time.monotonic() + args.switch_budget
        k = 1
        while len(times) < n and time.monotonic() < deadline:
            text, path = pages[k % len(pages)]
            times.append(await switch(tab, text, path, args.settle_ms, args.switch_timeout))
            k += 1
    finally:
        await ctx.close()
    out = {"n": len(times), "median": statistics.median(times), "p95": pct(times, 0.95), "max": max(times),
           "first_visit_median": statistics.median(first_visits)}  # fmt: skip
    print(f"  {label}: {out['n']} switches, median {out['median']:.3f} s, p95 {out['p95']:.3f} s, "
          f"max {out['max']:.3f} s (first visits: median {out['first_visit_median']:.3f} s)", flush=True)  # fmt: skip
    return out


async def switches(browser, args, work: Path, demo: Path, res: Results) -> None:
    n = args.switches
    floor_pages = [(p, p.lower()) for p in FLOOR_PAGES]
    floor_pages[0] = (FLOOR_PAGES[0], "")  # the default page is served at the root
    srv = await start_server(str(FLOOR_APP), ROOT, work / "floor_switch.log", base_env())
    try:
        floor = await measure_switches(browser, srv.url, floor_pages, n, args, "floor app")
    finally:
        release(srv.proc)
    datasets = [("demo", demo)]
    if args.large:
        if Path(args.large).exists():
            datasets.append(("large", Path(args.large)))
        else:
            res.note(f"--large {args.large} does not exist: build it with bench/large_dataset.py")
    for name, db in datasets:
        copy = copy_db(db, work / f"switch_{name}")
        root = Path(args.root) if getattr(args, "root", None) else ROOT
        srv = await start_server(
            "dashboard.py", root, work / f"dashboard_switch_{name}.log", base_env(ISC_DB=str(copy))
        )
        try:
            dash = await measure_switches(browser, srv.url, DASH_PAGES, n, args, f"dashboard ({name})")
        finally:
            release(srv.proc)
        res.add(
            f"page switch, {name} data ({dash['n']} switches): median",
            s(dash["median"]),
            f"floor app {s(floor['median'])}",
            dash["median"] / floor["median"],
            "<= 1.5x",
        )
        res.add(
            f"page switch, {name} data: p95",
            s(dash["p95"]),
            f"floor app {s(floor['p95'])}",
            dash["p95"] / floor["p95"],
            "<= 2x",
        )
        res.data[f"switches_{name}"] = dash
    res.data["switches_floor"] = floor


def sessions(args, work: Path, demo: Path, res: Results) -> None:
    """bench/bench_sessions.py: N sessions through Streamlit's websocket protocol (no browser)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    # bench_sessions starts its server with this module's spawn: the same module (and process
    # list, stopped on exit) whether this file runs as a script or is imported.
    sys.modules.setdefault("bench.bench_all", sys.modules[__name__])
    from bench import bench_sessions

    opts = argparse.Namespace(sessions=args.sessions, seconds=args.session_seconds, single_seconds=args.single_seconds,
                              think=args.think, rerun_timeout=args.switch_timeout, profile=False)  # fmt: skip
    r = asyncio.run(bench_sessions.measure(demo, work, opts))
    for line in bench_sessions.report(r, os.cpu_count()):
        print(f"  {line}", flush=True)
    single, many = r["single"], r["many"]
    errors = single["errors"] + many["errors"]
    res.add(
        f"{args.sessions} sessions at once for {args.session_seconds:.0f} s (websocket protocol, a pause of "
        f"{args.think} s between actions): p95 rerun ({many['n']} reruns, {errors} errors, "
        f"{r['log_tracebacks']} tracebacks in the server log)",
        s(many["p95"]) if many["n"] else "no rerun",
        f"one session alone {s(single['p95'])} ({single['n']} reruns)",
        many["p95"] / single["p95"] if many["n"] and single["n"] else None,
        "<= 3x",
    )
    res.add(
        f"{args.sessions} sessions: median rerun",
        s(many["median"]),
        f"one session alone {s(single['median'])}",
        many["median"] / single["median"] if many["n"] and single["n"] else None,
    )
    res.add(
        f"server memory (RSS of its process group) with {args.sessions} sessions",
        f"peak {many['rss_peak']:.0f} MB, end {r['rss_end']:.0f} MB",
        f"idle {r['rss_idle']:.0f} MB, after one session {r['rss_single']:.0f} MB",
    )
    res.add(
        f"server CPU during the {args.sessions} sessions (of {os.cpu_count()} cores; the client shares the machine)",
        f"{many['server_cpu'] / many['wall']:.2f} cores",
        f"one session {single['server_cpu'] / single['wall']:.2f} cores",
    )
    res.data["sessions"] = r


async def _until(cond) -> None:
    while not cond():
        await asyncio.sleep(0.1)


# ---------------------------------------------------------------------------------------------
# Parts in worker processes (python bench/bench_all.py --worker NAME ...): JSON on the last line.


def run_worker(name: str, args, work: Path, *extra: str, timeout: float = 900) -> dict:
    log = work / f"worker_{name}.log"
    proc = spawn([sys.executable, str(Path(__file__).resolve()), "--worker", name, *extra], cwd=ROOT,
                 env=base_env(), log=log)  # fmt: skip
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"worker {name} took longer than {timeout:.0f} s") from None
    finally:
        release(proc)
    text = log.read_text(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"worker {name} failed:\n{text[-3000:]}")
    # The result is the last JSON line: DuckDB's bindings may print leak notes at exit after it.
    return json.loads(next(line for line in reversed(text.splitlines()) if line.startswith("{")))


def worker_demo(db: str) -> dict:
    from etl.demo import build_demo

    t = time.perf_counter()
    build_demo(db)
    return {"seconds": time.perf_counter() - t}


def worker_upload(db: str, repeat: int) -> dict:
    from bench.bench_upload import typical_report
    from etl import service
    from etl.reference import Reference

    ref = Reference.load()
    data, name = typical_report()
    hashes = []
    real_sha256 = service.hashlib.sha256

    def counted_sha256(*a, **k):  # the Load must not hash (nor read, nor validate) the file again
        hashes.append(1)
        return real_sha256(*a, **k)

    service.hashlib.sha256 = counted_sha256

    def check_file() -> tuple[float, service.Prepared]:
        t = time.perf_counter()
        prepared = service.prepare(data, name, ref, db=db)  # as pages/upload.py: hash, check, preview
        return time.perf_counter() - t, prepared

    cold, prepared = check_file()  # the first check also starts the forkserver
    assert prepared.ok, [str(i) for i in prepared.validation.issues][:3]
    runs = [check_file() for _ in range(repeat)]
    prepared = runs[-1][1]
    before = len(hashes)
    t = time.perf_counter()
    out = service.load(prepared, "bench", ref=ref, db=db)
    load_s = time.perf_counter() - t
    assert out.accepted, out.message
    return {"bytes": len(data), "rows": len(prepared.validation.report.activities), "cold": cold,
            "warm": statistics.median(s for s, _ in runs), "load": load_s, "outcome": out.outcome,
            "load_hashes": len(hashes) - before}  # fmt: skip


def worker_pack(db: str, images: int, repeat: int) -> dict:
    from bench import bench_export

    startup, per_image = bench_export.persistent(images)
    bench_export.pack(db)  # not counted: the first build imports python-docx, python-pptx, openpyxl
    packs, own = [], []
    for _ in range(repeat):  # alternated, so both see the same moments of a shared machine
        own.append(sum(bench_export.pack_images(db)))
        packs.append(bench_export.pack(db)[0])
    return {"startup": startup, "image_median": statistics.median(per_image), "images": images,
            "pack": statistics.median(packs), "packs": packs, "own_images": statistics.median(own),
            "own_runs": own}  # fmt: skip


def worker_etl(rows: int, repeat: int) -> dict:
    from bench import bench_etl
    from etl.reference import Reference

    ref = Reference.load()
    data = bench_etl.big_workbook(rows)
    etl, base = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as d:
            etl.append(bench_etl.run_etl(data, Path(d), ref)[0][0])
        with tempfile.TemporaryDirectory() as d:
            base.append(bench_etl.run_baseline(data, Path(d))[0][0])
    return {"rows": rows, "etl": min(etl), "baseline": min(base)}


def worker_main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    name, *rest = argv
    func = {"demo": worker_demo, "upload": worker_upload, "pack": worker_pack, "etl": worker_etl}[name]
    conv = [int(x) if x.isdigit() else x for x in rest]
    print(json.dumps(func(*conv)), flush=True)
    return 0


# ---------------------------------------------------------------------------------------------


def copy_db(master: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "isc.duckdb"
    shutil.copy2(master, target)
    for suffix in (".wal",):
        if Path(str(master) + suffix).exists():
            shutil.copy2(Path(str(master) + suffix), Path(str(target) + suffix))
    if (master.parent / "uploads").exists():
        shutil.copytree(master.parent / "uploads", folder / "uploads")
    return target


async def browser_parts(parts: list[str], args, work: Path, res: Results, demo_holder: dict) -> None:
    from playwright.async_api import async_playwright

    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, task.cancel)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            if "first_start" in parts:
                print("\n[first_start]", flush=True)
                built = await first_start(browser, args, work, res)
                if built and not demo_holder.get("db"):
                    demo_holder["db"] = copy_db(built, work / "demo")
            demo = ensure_demo(args, work, demo_holder) if "switches" in parts else None
            if "switches" in parts:
                print("\n[switches]", flush=True)
                await switches(browser, args, work, demo, res)
        finally:
            await browser.close()


def ensure_demo(args, work: Path, holder: dict) -> Path:
    if holder.get("db"):
        return holder["db"]
    if args.demo:
        holder["db"] = Path(args.demo)
        return holder["db"]
    db = work / "demo" / "isc.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    print(f"\nbuilding the demo database in {db} (ISC_TODAY={ISC_TODAY}) ...", flush=True)
    out = run_worker("demo", args, work, str(db))
    print(f"  built in {out['seconds']:.1f} s", flush=True)
    holder["db"] = db
    return db


def other_parts(parts: list[str], args, work: Path, res: Results, demo_holder: dict) -> None:
    if "upload" in parts:
        print("\n[upload]", flush=True)
        db = copy_db(ensure_demo(args, work, demo_holder), work / "upload")
        u = run_worker("upload", args, work, str(db), str(args.repeat))
        print(f"  typical report ({u['bytes'] / 1e3:.0f} kB, {u['rows']} activities): etl.service.prepare as the "
              f"page calls it {u['warm']:.3f} s (first {u['cold']:.3f} s, starts the forkserver); Load of the "
              f"Prepared {u['load']:.3f} s, hashing the file {u['load_hashes']} more time(s)", flush=True)  # fmt: skip
        res.add(
            "upload: check + preview of a typical report, server-side (etl.service.prepare)",
            s(u["warm"]),
            "target 0.5 s",
            u["warm"] / 0.5,
            "<= 1x",
        )
        res.add(
            "upload: then Load stores the Prepared (no second read, validation or hash)",
            s(u["load"]),
            f"hashes in Load: {u['load_hashes']}",
        )
        res.data["upload"] = u
    if "pack" in parts:
        print("\n[pack]", flush=True)
        db = copy_db(ensure_demo(args, work, demo_holder), work / "pack")
        p = run_worker("pack", args, work, str(db), str(args.images), str(args.repeat_pack))
        images = 12 * p["image_median"]
        print(f"  kaleido start {p['startup']:.2f} s; one small bar chart {p['image_median']:.3f} s (median of "
              f"{p['images']}); the pack's own 12 images one by one {', '.join(f'{x:.2f}' for x in p['own_runs'])} s;"
              f" packs {', '.join(f'{x:.2f}' for x in p['packs'])} s", flush=True)  # fmt: skip
        res.add(
            "Council pack, 12 charts (renderer running)",
            s(p["pack"]),
            f"its 12 images (PNG, one by one) {s(p['own_images'])}",
            p["pack"] / p["own_images"],
            "<= 2x",
        )
        res.add(
            "Council pack vs 12 x one small bar chart",
            s(p["pack"]),
            f"12 x {p['image_median']:.3f} s = {s(images)}",
            p["pack"] / images,
        )
        res.data["pack"] = p
    if "sessions" in parts:
        print(f"\n[sessions] {args.sessions} sessions for {args.session_seconds:.0f} s", flush=True)
        sessions(args, work, ensure_demo(args, work, demo_holder), res)
    if "etl" in parts:
        print("\n[etl]", flush=True)
        e = run_worker("etl", args, work, str(args.rows), str(args.repeat_etl))
        print(f"  {e['rows']:,} rows: ETL {e['etl']:.2f} s, baseline {e['baseline']:.2f} s (best of {args.repeat_etl})",
              flush=True)  # fmt: skip
        res.add(
            f"ETL of a {e['rows']:,}-row report (speed-up over the baseline)",
            s(e["etl"]),
            f"pandas + openpyxl + insert {s(e['baseline'])}",
            e["baseline"] / e["etl"],
            ">= 10x",
        )
        res.data["etl"] = e


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return worker_main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}")
    ap.add_argument("--quick", action="store_true", help="small N everywhere (a smoke run, noisy figures)")
    ap.add_argument("--sessions", type=int, help="concurrent sessions (default 25; --quick 5)")
    ap.add_argument(
        "--session-seconds", type=float, help="how long the sessions switch (default 30; --quick 10)"
    )
    ap.add_argument(
        "--single-seconds", type=float, help="how long one session alone switches (default 20; --quick 8)"
    )
    ap.add_argument("--think", default="1.0-3.0",
                    help="sessions: seconds between two actions of a session, uniform lo-hi (default 1.0-3.0)")
    ap.add_argument("--switches", type=int, help="switches per app (default 40; --quick 10)")
    ap.add_argument(
        "--switch-budget", type=float, default=240, help="seconds at most for the switches of one app"
    )
    ap.add_argument(
        "--switch-timeout", type=float, default=60, help="seconds at most for one page to be drawn"
    )
    ap.add_argument(
        "--settle-ms", type=int, default=300, help="the page must be unchanged this long to count as drawn"
    )
    ap.add_argument("--first-start-timeout", type=float, default=300)
    ap.add_argument("--rows", type=int, default=50_000, help="ETL report rows")
    ap.add_argument("--repeat", type=int, help="upload check repeats (default 7; --quick 3)")
    ap.add_argument(
        "--repeat-etl", type=int, help="ETL and baseline repeats, best kept (default 3; --quick 1)"
    )
    ap.add_argument("--repeat-pack", type=int, help="packs built (default 3; --quick 1)")
    ap.add_argument("--images", type=int, help="single images timed (default 12; --quick 5)")
    ap.add_argument("--demo", help="an existing demo database to use (default: the one first_start builds, "
                                   "else a fresh build)")  # fmt: skip
    ap.add_argument(
        "--large", help="also measure switches on this database (bench/large_dataset.py builds it)"
    )
    ap.add_argument(
        "--worktree",
        action="store_true",
        help="first_start on a copy of the working tree (uncommitted changes included) instead of a clone",
    )
    ap.add_argument("--root", help="switches: serve dashboard.py of this checkout (e.g. to compare a change)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (server logs, clone)")
    args = ap.parse_args(argv)
    quick = args.quick
    for name, full, small in (("sessions", 25, 5), ("session_seconds", 30.0, 10.0), ("single_seconds", 20.0, 8.0),
                              ("switches", 40, 10), ("repeat", 7, 3), ("repeat_etl", 3, 1), ("repeat_pack", 3, 1),
                              ("images", 12, 5)):  # fmt: skip
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown part(s) {sorted(unknown)}; choose from {', '.join(PARTS)}")
    if args.large and not args.large.strip():
        args.large = None

    # Ctrl-C works even when started from a shell that ignores SIGINT in background jobs; SIGTERM
    # and SIGHUP stop the run the same way (inside the browser parts: by cancelling them).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    atexit.register(stop_all)
    work = Path(tempfile.mkdtemp(prefix="bench_all_"))
    res = Results()
    start = time.monotonic()
    load0 = os.getloadavg()
    print(f"bench_all: {', '.join(parts)}{' (quick)' if quick else ''}; {os.cpu_count()} cores, load average "
          f"{load0[0]:.1f}; work folder {work}", flush=True)  # fmt: skip
    demo_holder: dict = {}
    status = 0
    try:
        if {"first_start", "switches"} & set(parts):
            asyncio.run(browser_parts(parts, args, work, res, demo_holder))
        other_parts(parts, args, work, res, demo_holder)
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ninterrupted: stopping everything started", file=sys.stderr)
        status = 130
    except Exception as exc:
        print(f"\nfailed: {type(exc).__name__}: {exc}", file=sys.stderr)
        status = 1
    finally:
        stop_all()
        load1 = os.getloadavg()
        print(
            f"\n{dt.datetime.now():%Y-%m-%d %H:%M}, {time.monotonic() - start:.0f} s; load average {load0[0]:.1f} "
            f"at the start, {load1[0]:.1f} at the end ({os.cpu_count()} cores); numbers on a loaded machine are noisy\n"
        )
        if res.rows:
            print(res.table())
        for n in res.notes:
            print(f"note: {n}")
        if args.json:
            Path(args.json).write_text(json.dumps({"rows": [r.__dict__ for r in res.rows], "data": res.data,
                                                   "args": vars(args)}, indent=2, default=str))  # fmt: skip
        if args.keep or status:
            print(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
