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

Once the workers run, the parent has no use for what it built: it replaces itself with the light supervisor
(``web.supervisor``), which waits for the workers, passes a stop on and replaces a worker that dies by starting
``python -m kabinet.web.prefork --fd …`` (``main`` below): a worker that builds the app itself.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn

import uvicorn
from fastapi import FastAPI

from kabinet.web import supervisor

log = logging.getLogger("kabinet.serve")

PR_SET_PDEATHSIG = 1
STOPS = {signal.SIGTERM, signal.SIGINT}


def serve(*, host: str, port: int, workers: int, options: dict[str, Any], graceful_s: float,
          log_format: str) -> NoReturn:
    """Build the app, bind, fork ``workers`` workers, then become their supervisor (``exec``: this process's exit
    status is the supervisor's, which is the server's)."""
    app = _preload()
    config = uvicorn.Config(app, host=host, port=port, **options)
    sock = config.bind_socket()
    parent = os.getpid()
    started: dict[int, float] = {}
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                _worker(config, sock, parent, app)
            finally:
                os._exit(0)
        started[pid] = time.monotonic()
    log.info("serving on %s:%d with %d workers forked from %d", host, port, workers, parent)
    # A stop that comes while this process becomes the supervisor waits for the supervisor's handler (a blocked
    # signal stays pending across exec) instead of ending the process the workers report to.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    os.set_inheritable(sock.fileno(), True)
    argv = supervisor.command(fd=sock.fileno(), workers=started, graceful_s=graceful_s, log_format=log_format,
                              options=json.dumps(options))
    logging.shutdown()
    os.execv(sys.executable, argv)  # noqa: S606 - this interpreter, no shell: argv is ours


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


def main(argv: list[str] | None = None) -> int:
    """A worker started by the supervisor in place of one that ended: it builds the app itself and serves on the
    listening socket it inherited."""
    from kabinet.config import Settings
    from kabinet.logs import configure

    ap = argparse.ArgumentParser(prog="kabinet.web.prefork")
    ap.add_argument("--fd", type=int, required=True)
    ap.add_argument("--parent", type=int, required=True)
    ap.add_argument("--options", required=True)
    args = ap.parse_args(argv)
    configure(Settings().log_format)
    sock = socket.socket(fileno=args.fd)
    app = _preload()
    _worker(uvicorn.Config(app, **json.loads(args.options)), sock, args.parent, app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
