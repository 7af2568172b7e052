"""The supervisor of ``kabinet serve --workers N``: a process that holds nothing but its workers.

Why a process of its own: the parent that built the app and forked the workers (``web.prefork``) keeps every page
it had at the fork. A page that every worker has since written to (a reference count is a write) is the parent's
alone: 43 MB of its 65 MB, measured under the benchmark's load — memory a fleet paid for a process that only waits.
So once its workers run, the parent replaces itself (``exec``) with this module, which loads the standard library
and the log format and nothing else. The workers stay its children (``exec`` keeps the process id), so it waits
for them, passes a stop on to them, and replaces one that dies.

A replacement is a fresh interpreter that builds the app itself (``python -m kabinet.web.prefork --fd …``) and
serves on the same listening socket, inherited by its descriptor number; it shares no pages with the others (the
parent that held them is gone), which is the price of a worker that has died — an exception, not the steady state.

What the supervisor owes the fleet is unchanged: SIGTERM or SIGINT tells every worker to stop gracefully
(uvicorn's ``timeout_graceful_shutdown``; a worker still busy after it and ten seconds more is killed); a worker
that dies is replaced; workers that keep dying at start (a bad configuration) stop the whole server with an error
instead of a restart loop. Each worker dies with the supervisor (``PR_SET_PDEATHSIG``, which an ``exec`` keeps).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import time

from kabinet import logs

log = logging.getLogger("kabinet.serve")

QUICK_DEATH_S = 5.0  # a worker that dies sooner than this after its start counts towards giving up
QUICK_DEATHS = 5


def command(*, fd: int, workers: dict[int, float], graceful_s: float, log_format: str, options: str) -> list[str]:
    """The command line that turns the current process into the supervisor of ``workers`` (pid -> start time on
    the monotonic clock, which is the system's, so it carries across the ``exec``)."""
    return [sys.executable, "-m", "kabinet.web.supervisor", "--fd", str(fd), "--graceful-s", str(graceful_s),
            "--log-format", log_format, "--options", options,
            *(f"--worker={pid}:{started}" for pid, started in workers.items())]


def supervise(*, fd: int, workers: dict[int, float], graceful_s: float, options: str) -> int:
    """Wait for the workers until they have all ended; the exit status of the whole server."""
    children = dict(workers)
    stopping = False
    quick = 0

    def start() -> None:
        argv = [sys.executable, "-m", "kabinet.web.prefork", "--fd", str(fd), "--parent", str(os.getpid()),
                "--options", options]
        pid = os.posix_spawn(sys.executable, argv, os.environ)  # the listening socket is inherited: not CLOEXEC
        children[pid] = time.monotonic()
        log.info("worker %d started in place of the one that ended", pid)

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
    # The process that became this one blocked the stops while it did; one that came meanwhile is delivered now.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    # A worker that ended while this process was being exec'd is already a zombie: the first wait finds it.
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
        if not stopping:  # a stop may have come during the pause
            start()
    with contextlib.suppress(OSError):
        os.close(fd)
    return status


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has just ended
        os.kill(pid, sig)


def _worker(text: str) -> tuple[int, float]:
    pid, started = text.split(":")
    return int(pid), float(started)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="kabinet.web.supervisor")
    ap.add_argument("--fd", type=int, required=True, help="the listening socket's descriptor")
    ap.add_argument("--graceful-s", type=float, required=True)
    ap.add_argument("--log-format", default="text")
    ap.add_argument("--options", required=True, help="uvicorn's options, JSON, for a replacement worker")
    ap.add_argument("--worker", action="append", type=_worker, default=[], help="pid:started (monotonic)")
    args = ap.parse_args(argv)
    logs.configure(args.log_format)
    return supervise(fd=args.fd, workers=dict(args.worker), graceful_s=args.graceful_s, options=args.options)


if __name__ == "__main__":
    sys.exit(main())
