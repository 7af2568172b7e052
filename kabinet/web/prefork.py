"""``kabinet serve --workers N``: N uvicorn workers forked from one parent that has already imported the app.

Why not uvicorn's own ``--workers``: it *spawns* each worker, so every worker imports FastAPI, SQLAlchemy, Pydantic
and Kabinet afresh — ~100 MB of code and data per worker, private to it. Forked from a parent that imported them
once (and froze them out of the garbage collector's reach, so collections in a worker do not write to those pages),
the workers share those pages until they write to them: each worker's proportional share of memory (PSS) is what a
fleet pays, and that is what shrinks (docs/PERFORMANCE.md has the figures).

The parent builds the app itself — routes, their validators, the compiled pages, both languages' data — so the
workers share that too. What a worker must not inherit is never opened in the parent: a database connection (the
engines are built but have not connected; each worker forgets their pools), the outbox thread and the event loop
(started by each worker's lifespan), a Redis or gateway connection (opened at first use). The parent runs no thread
when it forks.

The parent is the supervisor, as uvicorn's is: SIGTERM or SIGINT tells every worker to stop gracefully (uvicorn's
``timeout_graceful_shutdown``; a worker still busy after it and ten seconds more is killed); a worker that dies is
replaced; workers that keep dying at start (a bad configuration) stop the whole server with an error instead of a
restart loop. A worker dies with its parent (``PR_SET_PDEATHSIG``), so a ``kill -9`` of the supervisor leaves no
orphan serving.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

log = logging.getLogger("kabinet.serve")

QUICK_DEATH_S = 5.0  # a worker that dies sooner than this after its start counts towards giving up
QUICK_DEATHS = 5
PR_SET_PDEATHSIG = 1


def serve(*, host: str, port: int, workers: int, options: dict[str, Any], graceful_s: float) -> int:
    """Build the app, bind, fork ``workers`` workers and supervise them; the exit status of the whole server."""
    app = _preload()
    config = uvicorn.Config(app, host=host, port=port, **options)
    sock = config.bind_socket()
    parent = os.getpid()
    children: dict[int, float] = {}  # pid -> when it started
    stopping = False
    quick = 0

    def start() -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                _worker(config, sock, parent, app)
            finally:
                os._exit(0)
        children[pid] = time.monotonic()

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        if not stopping:
            log.info("stopping %d workers (signal %d)", len(children), signum)
            signal.signal(signal.SIGALRM, kill_rest)
            signal.alarm(int(graceful_s) + 10)
        stopping = True
        for pid in children:
            _signal(pid, signal.SIGTERM)  # TERM either way: a second INT would make uvicorn drop its requests

    def kill_rest(_signum: int, _frame: object) -> None:
        for pid in children:
            log.warning("worker %d still running after the graceful time: killed", pid)
            _signal(pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        start()
    log.info("serving on %s:%d with %d workers forked from %d", host, port, workers, os.getpid())
    status = 0
    while children:
        try:
            pid, code = os.wait()
        except ChildProcessError:
            break
        started = children.pop(pid, None)
        if started is None or stopping:
            continue
        quick = quick + 1 if time.monotonic() - started < QUICK_DEATH_S else 0
        log.warning("worker %d ended (status %d)%s", pid, os.waitstatus_to_exitcode(code),
                    "" if quick < QUICK_DEATHS else "; workers keep failing at start: stopping")
        if quick >= QUICK_DEATHS:
            status = 1
            stop(signal.SIGTERM, None)
            continue
        time.sleep(min(quick, 3) * 0.5)  # a worker failing at once is not restarted in a tight loop
        start()
    sock.close()
    return status


def in_a_child(step: Callable[[], None]) -> bool:
    """Run ``step`` in a forked child and wait for it: whether it succeeded. What it imports and allocates (the
    migration's Alembic and Mako) stays out of the parent the workers are forked from."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            step()
            code = 0
        except BaseException:
            log.exception("failed in the child")
        finally:
            logging.shutdown()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _preload() -> FastAPI:
    """The app every worker serves, built and warmed here; then frozen: objects made before the fork stay out of
    the collector's generations, so a worker's collections never touch (and copy) their pages."""
    from kabinet.web.main import app_from_env
    from kabinet.web.templating import warm

    app = app_from_env()
    warm()
    if threading.active_count() > 1:  # a thread does not survive a fork, and a lock it held stays held
        log.warning("%d threads running before the fork", threading.active_count() - 1)
    gc.collect()
    gc.freeze()
    return app


def _worker(config: uvicorn.Config, sock: Any, parent: int, app: FastAPI) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # uvicorn installs its own handlers when it starts
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    _die_with_parent(parent)
    app.state.kb.ctx.store.after_fork()
    uvicorn.Server(config).run(sockets=[sock])


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died between the fork and the line above
            os._exit(0)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has just ended
        os.kill(pid, sig)
