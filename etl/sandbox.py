"""Check (and mark up) one uploaded workbook in a child process with a memory and a time limit.

The Upload page serves every session from one server process: a hostile or merely enormous
file checked there could take gigabytes and minutes from everyone (issue 18). Here the check
(etl.load.check) and the marked-up copy (etl.annotate) run in a child process forked from a
warm "forkserver" (etl and openpyxl already imported, so a child starts in milliseconds), under
an address-space limit (RLIMIT_AS, $ISC_CHECK_MEMORY_MB) and a wall-clock limit ($ISC_CHECK_SECONDS, then the
child is killed). Out of memory or out of time, the file gets a plain refusal (an Issue on the
"(file)" sheet, like any unreadable file), never a traceback, and the server is untouched. At
most MAX_PARALLEL checks run at once; more wait for a slot.

The validation comes back first and the marked copy second, so a file whose marked copy runs
out of time or memory keeps its list of problems (`Checked.not_marked` says why there is no copy).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.spawn
import threading
import time
from dataclasses import dataclass

from etl.reference import Reference
from etl.validate import Issue, Validation
from isc.settings import MAX_PARALLEL_CHECKS as MAX_PARALLEL
from isc.settings import environment

# The memory and time limits are $ISC_CHECK_MEMORY_MB and $ISC_CHECK_SECONDS (isc.settings.environment).
_slots = threading.BoundedSemaphore(MAX_PARALLEL)
_context_lock = threading.Lock()
_context = None


def _without_main(prepare):
    """multiprocessing.spawn.prepare, minus re-running the parent's __main__ in the child. Under
    Streamlit, __main__ is the page script being run (dashboard.py): a child must never run the
    app. Installed where this module is imported, so in the forkserver (it is preloaded there)
    and in every child forked from it; the targets here need nothing from __main__."""
    if getattr(prepare, "without_main", False):
        return prepare

    def wrapped(data):
        prepare({k: v for k, v in data.items() if k not in ("init_main_from_path", "init_main_from_name")})

    wrapped.without_main = True
    return wrapped


multiprocessing.spawn.prepare = _without_main(multiprocessing.spawn.prepare)


@dataclass
class Checked:
    validation: Validation
    annotated: bytes | None = None
    # why there is no marked copy although there are issues: "cells" (too many cells for one,
    # `cells` says how many), "memory", "time", "failed" (openpyxl could not open it); None otherwise
    not_marked: str | None = None
    cells: int = 0


def _ctx():
    global _context
    with _context_lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["etl.load", "etl.annotate", "etl.sandbox"])
            _context = ctx
        return _context


def refusal(kind: str) -> Validation:
    """The validation of a file whose check ran out of memory ("memory") or time ("time")."""
    if kind == "memory":
        key, params = "file_memory", {"limit": environment().check_memory_bytes // (1024 * 1024)}
    else:
        key, params = "file_time", {"limit": round(environment().check_seconds)}
    return Validation(None, [Issue("error", "(file)", None, None, "", key, params)])


def _child(conn, data: bytes, ref: Reference | None, mark: bool | str, memory: int,
           issues: list | None = None) -> None:
    """In the child: limit the address space, check, send the validation, then the marked copy
    (mark True), or only whether one could be made (mark "later": "cells" when the file is too large
    for one). With `issues` (and no ref), the file was checked before: only the marked copy is made."""
    import resource

    if memory:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:  # already limited from outside: stay within it
            memory = min(memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    from etl import annotate, load

    if issues is None:
        try:
            result = load.check(data, ref)
        except MemoryError:
            conn.send(("memory", None))
            return
        conn.send(("ok", result))
        issues = result.issues
    readable = not any(i.sheet == "(file)" for i in issues)
    if not (mark and issues and readable):
        conn.send(("none", None))
        return
    try:
        if mark == "later":
            from etl.reader import count_cells

            cells = count_cells(data)
            conn.send(("cells", cells) if cells > annotate.MAX_CELLS else ("none", None))
            return
        conn.send(("ok", annotate.annotate(data, issues)))
    except annotate.TooManyCells as exc:
        conn.send(("cells", exc.cells))
    except MemoryError:
        conn.send(("memory", None))
    except ValueError as exc:
        conn.send(("memory" if isinstance(exc.__cause__, MemoryError) else "failed", None))


def _receive(conn, proc, deadline: float):
    """(what, value) from the child; ("time", None) past the deadline, ("memory", None) if it died
    (a native allocation failure aborts the process)."""
    if not conn.poll(max(0.0, deadline - time.monotonic())):
        return "time", None
    try:
        return conn.recv()
    except (EOFError, OSError):
        return "memory", None


def check(data: bytes, ref: Reference, mark: bool | str = True, *, memory: int | None = None,
          seconds: float | None = None) -> Checked:
    """etl.load.check(data, ref) and, when `mark` and the file has issues, its marked-up copy,
    in a child process limited to `memory` bytes and `seconds` (default: isc.settings.environment()).
    mark="later": no copy yet (see mark()), but `not_marked` is "cells" for a file too large for one."""
    return _run(data, ref, mark, None, memory, seconds)


def mark(data: bytes, issues: list[Issue], *, memory: int | None = None, seconds: float | None = None) -> Checked:
    """The marked-up copy of a file checked before (its issues), made in a child process under the
    same limits as the check; `validation` holds the issues given."""
    out = _run(data, None, True, issues, memory, seconds, marking=True)
    out.validation = Validation(None, list(issues))
    return out


def _run(data: bytes, ref: Reference | None, mark: bool | str, issues: list | None, memory: int | None,
         seconds: float | None, marking: bool = False) -> Checked:
    memory = environment().check_memory_bytes if memory is None else memory
    seconds = environment().check_seconds if seconds is None else seconds
    ctx = _ctx()
    with _slots:
        deadline = time.monotonic() + seconds
        receiver, sender = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(sender, data, ref, mark, memory, issues), daemon=True)
        proc.start()
        sender.close()
        try:
            if marking:
                out = Checked(Validation(None, []))
            else:
                what, value = _receive(receiver, proc, deadline)
                if what != "ok":
                    return Checked(refusal(what))
                out = Checked(value)
            what, value = _receive(receiver, proc, deadline)
            if what == "ok":
                out.annotated = value
            elif what != "none":
                out.not_marked = what
                out.cells = value if what == "cells" else 0
            return out
        finally:
            receiver.close()
            if proc.is_alive():
                proc.kill()
            proc.join()
