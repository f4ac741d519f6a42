"""Many sessions at once, through Streamlit's own websocket protocol (no browser).

    python bench/bench_sessions.py [--demo DB] [--sessions 25] [--seconds 30] [--single-seconds 20]
                                   [--think 1.0-3.0] [--profile]

Starts the real server (`streamlit run dashboard.py` on a copy of the demo database, 127.0.0.1,
a free port) and opens sessions the way the frontend does: a websocket to /_stcore/stream with
the "streamlit" subprotocol, then BackMsg.rerun_script with a ClientState (query string, page
script hash, widget states). Each session opens with its own filters in the query string
(period, track, sector), then, until the time is up, waits a moment (a person reading: --think,
uniform) and either switches to the next Monitor page (the page_script_hash of st.navigation's
pages) or changes a sidebar filter (the widget state of the filter's selectbox: another period,
track or sector), and times the rerun: from sending the BackMsg to the ForwardMsg
script_finished (FINISHED_SUCCESSFULLY), every ForwardMsg of the run read and parsed.

Reported: errors (an exception element in a ForwardMsg, a compile error, a disconnect, a rerun
that does not finish within --rerun-timeout), rerun median and p95 for one session alone and for
N at once and their ratio (target: p95 <= 3x one session's), the server's memory (RSS of its
process group: idle, peak, end) and CPU. One session visits every page first (not counted) so
that the measured reruns find the server's caches as a user would after the first visit.

--no-post-script-gc serves with Streamlit's runner.postScriptGC off: by default every script run
ends with a full gc.collect(2) holding the GIL, about 0.1 s of CPU a rerun here, during which no
other session runs (the largest single item of a rerun under load; see the report of issue 17).

--profile runs the server under cProfile (python -m cProfile -o ...) and prints where its time
went during the N-session run (the ratio's cause, when it misses).

Every process started here is stopped on exit, error, Ctrl-C or SIGTERM (bench_all's spawn and
stop_all); every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import random
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_all as ba  # noqa: E402 - after the path

MONITOR = ("", "themes", "tracks", "sectors", "resolutions")  # url paths of the Monitor pages
FILTERS = ("filter_period", "filter_track", "filter_sector")
FINISHED = 0  # ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
COMPILE_ERROR = 1


class SessionError(RuntimeError):
    pass


@dataclass
class Stats:
    times: list[float] = field(default_factory=list)  # reruns (page switches and filter changes)
    opens: list[float] = field(default_factory=list)  # the first run of each session
    errors: list[str] = field(default_factory=list)
    bytes_in: int = 0
    messages: int = 0

    def summary(self) -> dict:
        t = self.times
        return {"n": len(t), "median": statistics.median(t) if t else 0.0, "p95": ba.pct(t, 0.95) if t else 0.0,
                "max": max(t) if t else 0.0, "opens": len(self.opens),
                "open_median": statistics.median(self.opens) if self.opens else 0.0, "errors": len(self.errors),
                "error_samples": self.errors[:5], "mb_in": self.bytes_in / 1e6, "messages": self.messages}  # fmt: skip


class Session:
    """One browser tab's worth of protocol: what the frontend sends and what it waits for."""

    def __init__(self, url: str, query: str, stats: Stats, timeout: float) -> None:
        self.ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.query = query
        self.stats = stats
        self.timeout = timeout
        self.ws = None
        self.pages: dict[str, str] = {}  # url path -> page_script_hash
        self.page = ""
        self.selects: dict[str, tuple[str, list[str]]] = {}  # filter key -> (widget id, option labels)
        self.widgets: dict[str, object] = {}  # widget id -> WidgetState the frontend would send back

    async def open(self) -> float:
        import websockets

        self.ws = await asyncio.wait_for(
            websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None, ping_interval=None),
            self.timeout,
        )
        t = await self.rerun("")
        self.stats.opens.append(t)
        return t

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):  # closing a broken socket
                await asyncio.wait_for(self.ws.close(), 5)

    async def rerun(self, page: str) -> float:
        """Send rerun_script for `page` (url path) with the current widget states and query string;
        seconds until the run finished, every message read."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        if page in self.pages:
            state.page_script_hash = self.pages[page]
        state.page_name = page
        for w in self.widgets.values():
            state.widget_states.widgets.append(w)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        deadline = t0 + self.timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise SessionError(f"/{page}: no script_finished within {self.timeout:.0f} s")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), left)
            except TimeoutError:
                continue
            except Exception as exc:  # websockets' ConnectionClosed and the like
                raise SessionError(f"/{page}: disconnected ({type(exc).__name__}: {exc})") from exc
            self.stats.bytes_in += len(raw)
            self.stats.messages += 1
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta":
                self._delta(fwd.delta, page)
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages}
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string
            elif kind == "page_not_found":
                raise SessionError(f"/{page}: page not found")
            elif kind == "script_finished":
                if fwd.script_finished == COMPILE_ERROR:
                    raise SessionError(f"/{page}: compile error")
                if fwd.script_finished == FINISHED:
                    self.page = page
                    return time.perf_counter() - t0

    def _delta(self, delta, page: str) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind == "exception":
            self.stats.errors.append(f"/{page}: exception shown: {el.exception.type} {el.exception.message[:160]}")
        elif kind == "selectbox":
            key = el.selectbox.id.rpartition("-")[2]
            if key in FILTERS:
                self.selects[key] = (el.selectbox.id, list(el.selectbox.options))

    def change_filter(self, rng: random.Random) -> str:
        """Pick another value for one sidebar filter, as a click in its selectbox would."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        key = rng.choice([k for k in FILTERS if k in self.selects])
        wid, options = self.selects[key]
        w = WidgetState(id=wid, string_value=rng.choice(options))
        self.widgets[wid] = w
        return f"{key}={w.string_value}"


def queries(rng: random.Random, count: int) -> list[str]:
    """Each session's own opening filters (query strings as a shared link would carry them)."""
    periods = ("2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4")
    tracks = ("", "strategic", "programmatic", "performance")
    sectors = ("", "ITU-R", "ITU-T", "ITU-D")
    out = []
    for _ in range(count):
        parts = [f"period={rng.choice(periods)}"]
        if t := rng.choice(tracks):
            parts.append(f"track={t}")
        if s := rng.choice(sectors):
            parts.append(f"sector={s}")
        out.append("&".join(parts))
    return out


async def run_sessions(url: str, count: int, seconds: float, think: tuple[float, float], timeout: float,
                       seed: int, pgid: int) -> dict:  # fmt: skip
    """`count` sessions open (bounded), then all act for `seconds`; figures and server RSS/CPU."""
    stats = Stats()
    rng = random.Random(seed)
    sessions = [Session(url, q, stats, timeout) for q in queries(rng, count)]
    opened: list[Session] = []
    gate = asyncio.Event()
    rss_peak = 0.0

    async def one(k: int, s: Session) -> None:
        r = random.Random(seed * 1000 + k)
        try:
            await s.open()
            opened.append(s)
            await gate.wait()
            deadline = time.monotonic() + seconds
            i = k  # the sessions start on different pages
            await asyncio.sleep(r.uniform(0, think[1]))  # not all in step
            while time.monotonic() < deadline:
                try:
                    if s.selects and r.random() < 0.3:
                        s.change_filter(r)
                        stats.times.append(await s.rerun(s.page))
                    else:
                        i += 1
                        stats.times.append(await s.rerun(MONITOR[i % len(MONITOR)]))
                except SessionError as exc:
                    stats.errors.append(f"session {k}: {exc}")
                    if "disconnected" in str(exc):
                        return
                await asyncio.sleep(r.uniform(*think))
        except Exception as exc:  # noqa: BLE001 - a session that cannot go on counts as an error
            stats.errors.append(f"session {k}: {type(exc).__name__}: {str(exc)[:200]}")

    async def sample() -> None:
        nonlocal rss_peak
        while True:
            rss_peak = max(rss_peak, await asyncio.to_thread(ba.group_rss_mb, pgid))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    tasks = [asyncio.create_task(one(k, s)) for k, s in enumerate(sessions)]
    try:
        await asyncio.wait_for(ba._until(lambda: len(opened) + len(stats.errors) >= count), timeout * 3)
    except TimeoutError:
        stats.errors.append(f"only {len(opened)} of {count} sessions opened in time")
    cpu0, wall0 = ba.group_cpu_s(pgid), time.monotonic()
    gate.set()
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), seconds + timeout * 2)
    except TimeoutError:
        stats.errors.append("sessions did not finish in time (cancelled)")
    finally:
        for t in tasks:
            t.cancel()
        sampler.cancel()
        await asyncio.gather(*tasks, sampler, return_exceptions=True)
        server_cpu, wall = ba.group_cpu_s(pgid) - cpu0, time.monotonic() - wall0
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    return stats.summary() | {"sessions": count, "opened": len(opened), "rss_peak": rss_peak,
                              "server_cpu": server_cpu, "wall": wall}  # fmt: skip


async def warm_up(url: str, timeout: float) -> None:
    """One session visits every Monitor page: the server's caches are filled once per server."""
    s = Session(url, "", Stats(), timeout)
    try:
        await s.open()
        for page in [*MONITOR[1:], MONITOR[0]]:
            await s.rerun(page)
    finally:
        await s.close()


def parse_think(text: str) -> tuple[float, float]:
    lo, _, hi = text.partition("-")
    return float(lo), float(hi or lo)


async def measure(db: Path, work: Path, args, log_name: str = "dashboard_sessions.log") -> dict:
    """The whole measurement on one server: warm-up, one session alone, then N at once."""
    copy = ba.copy_db(db, work / "sessions_db")
    env = ba.base_env(ISC_DB=str(copy))
    if getattr(args, "no_post_script_gc", False):  # Streamlit reads STREAMLIT_<SECTION>_<OPTION>
        env["STREAMLIT_RUNNER_POST_SCRIPT_GC"] = "false"
    script = "dashboard.py"
    if args.profile:  # the server under cProfile: its own module runs streamlit's CLI
        prof = work / "server.prof"
        env["ISC_BENCH_PROFILE"] = str(prof)
    srv = await start(script, work / log_name, env, args)
    think = parse_think(args.think)
    try:
        pgid = srv.proc.pid
        rss_idle = ba.group_rss_mb(pgid)
        await warm_up(srv.url, args.rerun_timeout)
        single = await run_sessions(srv.url, 1, args.single_seconds, think, args.rerun_timeout, 1, pgid)
        rss_single = ba.group_rss_mb(pgid)
        many = await run_sessions(srv.url, args.sessions, args.seconds, think, args.rerun_timeout, 2, pgid)
        rss_end = ba.group_rss_mb(pgid)
        log_tracebacks = sum(1 for line in srv.log_text().splitlines() if "Traceback" in line)
    finally:
        if args.profile:
            import os

            os.killpg(srv.proc.pid, signal.SIGINT)  # cProfile writes its file on a clean exit
            with contextlib.suppress(Exception):
                srv.proc.wait(timeout=30)
        ba.release(srv.proc)
    out = {"single": single, "many": many, "rss_idle": rss_idle, "rss_single": rss_single, "rss_end": rss_end,
           "log_tracebacks": log_tracebacks, "think": think}  # fmt: skip
    if args.profile and (work / "server.prof").exists():
        out["profile"] = str(work / "server.prof")
    return out


def serve_profiled(out: str, argv: list[str]) -> None:
    """`streamlit <argv>` with every thread under cProfile (a script run is a thread of its own,
    which `python -m cProfile` would not see), timed in CPU seconds of its thread (wall time would
    mostly count waiting: for the GIL, locks, sockets); the merged profile is written to `out`."""
    import cProfile
    import threading

    profiles: list[cProfile.Profile] = []

    def start_thread(frame, event, arg) -> None:  # noqa: ANN001 - a sys.setprofile hook
        sys.setprofile(None)
        prof = cProfile.Profile(time.thread_time)
        profiles.append(prof)
        prof.enable()

    def dump() -> None:
        import pstats

        stats = None
        for prof in profiles:
            prof.create_stats()
            if prof.stats:
                stats = pstats.Stats(prof) if stats is None else stats.add(prof)
        if stats is not None:
            stats.dump_stats(out)

    threading.setprofile(start_thread)
    main_prof = cProfile.Profile(time.thread_time)
    profiles.append(main_prof)
    atexit.register(dump)
    from streamlit.web import cli

    sys.argv = ["streamlit", *argv]
    main_prof.enable()
    try:
        cli.main()
    finally:
        dump()


async def start(script: str, log: Path, env: dict, args):
    root = Path(getattr(args, "root", None) or ROOT)
    if not args.profile:
        return await ba.start_server(script, root, log, env)
    # As ba.start_server, with the server's threads under cProfile (serve_profiled).
    port = ba.free_port()
    prof = env["ISC_BENCH_PROFILE"]
    cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-profiled", prof, "run", script, "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]  # fmt: skip
    t0 = time.monotonic()
    proc = ba.spawn(cmd, cwd=root, env=env, log=log)
    srv = ba.Server(proc, f"http://127.0.0.1:{port}", log, t0)
    while not await asyncio.to_thread(ba.healthy, srv.url):
        if proc.poll() is not None or time.monotonic() > t0 + 120:
            ba.release(proc)
            raise RuntimeError(f"the server did not start:\n{srv.log_text()[-3000:]}")
        await asyncio.sleep(0.1)
    return srv


def report(r: dict, cores: int | None) -> list[str]:
    single, many = r["single"], r["many"]
    lines = [
        f"one session alone: {single['n']} reruns, median {single['median']:.3f} s, p95 {single['p95']:.3f} s "
        f"(max {single['max']:.3f} s)",
        f"{many['sessions']} sessions at once: {many['n']} reruns, median {many['median']:.3f} s, p95 "
        f"{many['p95']:.3f} s (max {many['max']:.3f} s); opening run median {many['open_median']:.3f} s; "
        f"{many['opened']} opened; {many['mb_in']:.1f} MB in {many['messages']} ForwardMsgs",
        f"errors: {single['errors'] + many['errors']} in the sessions, {r['log_tracebacks']} tracebacks in the "
        "server log",
        f"server memory (RSS of its process group): idle {r['rss_idle']:.0f} MB, after one session "
        f"{r['rss_single']:.0f} MB, peak {many['rss_peak']:.0f} MB, end {r['rss_end']:.0f} MB",
        f"server CPU: one session {single['server_cpu'] / single['wall']:.2f} cores, {many['sessions']} sessions "
        f"{many['server_cpu'] / many['wall']:.2f} cores (of {cores}; this client shares the machine)",
    ]
    lines += [f"  error: {e}" for e in (single["error_samples"] + many["error_samples"])[:6]]
    return lines


def print_profile(path: str, top: int = 30) -> None:
    import pstats

    p = pstats.Stats(path)
    p.sort_stats("cumulative").print_stats(top)
    p.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    import os

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve-profiled"]:
        serve_profiled(argv[1], argv[2:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--demo", help="the demo database (default: a fresh build)")
    ap.add_argument("--sessions", type=int, default=25)
    ap.add_argument("--seconds", type=float, default=30.0, help="how long the N sessions act")
    ap.add_argument("--single-seconds", type=float, default=20.0, help="how long one session alone acts")
    ap.add_argument("--think", default="1.0-3.0", help="seconds between two actions of a session (uniform lo-hi)")
    ap.add_argument("--rerun-timeout", type=float, default=60.0)
    ap.add_argument("--profile", action="store_true", help="run the server under cProfile and print where it went")
    ap.add_argument("--no-post-script-gc", action="store_true",
                    help="serve with runner.postScriptGC = false (Streamlit's full gc.collect after every run)")
    ap.add_argument("--root", help="serve dashboard.py of this checkout instead (e.g. to compare a change)")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, ba._on_signal)
    signal.signal(signal.SIGHUP, ba._on_signal)
    atexit.register(ba.stop_all)
    work = Path(tempfile.mkdtemp(prefix="bench_sessions_"))
    load0 = os.getloadavg()
    status = 0
    try:
        db = Path(args.demo) if args.demo else None
        if db is None:
            db = work / "demo" / "isc.duckdb"
            db.parent.mkdir(parents=True)
            print(f"building the demo database in {db} ...", flush=True)
            ba.run_worker("demo", args, work, str(db))
        r = asyncio.run(measure(db, work, args))
        for line in report(r, os.cpu_count()):
            print(line)
        ratio = r["many"]["p95"] / r["single"]["p95"] if r["single"]["p95"] else float("nan")
        print(f"p95 ratio {ratio:.2f}x (target <= 3x)")
        if r.get("profile"):
            print_profile(r["profile"])
    except (KeyboardInterrupt, asyncio.CancelledError):
        status = 130
    finally:
        ba.stop_all()
        print(f"load average {load0[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} cores)")
        if args.keep or status:
            print(f"kept {work}")
        else:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
