"""``kabinet serve --workers N`` forks its workers from one parent that built the app (issue 25: the workers share
its pages). What a supervisor owes a fleet, shown on a real server on loopback: every worker answers (each its own
database connections, made after the fork), a worker that dies is replaced while the others keep answering, and a
supervisor killed outright takes its workers with it — no orphan keeps serving a port nobody watches."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

import httpx

from kabinet import bootstrap
from kabinet.config import Settings
from kabinet.demo import PHONE, seed
from kabinet.store.migrate import upgrade
from tests.fleet_parts import ROOT, free_port, wait_until

PASSWORD = "Prefork-Workers-Passw0rd-1"


def children(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                found |= {int(x) for x in f.read().split()}
    except FileNotFoundError:
        pass
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_forked_workers_answer_are_replaced_and_die_with_their_supervisor(tmp_path):
    secret = "55" * 32
    kb = bootstrap.build(Settings(data_dir=tmp_path, secret_key=secret))
    upgrade(kb.store.engine)
    seed(kb, PASSWORD)
    kb.store.dispose()
    port = free_port()
    env = {"PATH": os.environ["PATH"], "KABINET_DATA_DIR": str(tmp_path), "KABINET_SECRET_KEY": secret,
           "KABINET_RATE_LIMITS": "0", "KABINET_ACCESS_LOG": "1"}
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "serve.log").open("ab") as out:
        server = subprocess.Popen([sys.executable, "-m", "kabinet.cli", "serve", "--workers", "2", "--port",
                                   str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    workers: set[int] = set()
    try:
        wait_until(lambda: httpx.get(f"{base}/health/ready", timeout=1).status_code == 200, 60, "the server ready")
        wait_until(lambda: len(children(server.pid)) == 2, 10, "two workers")
        workers = children(server.pid)

        # Every worker serves, each over its own connections: sign-ins (a write, an Argon2 hash) on fresh
        # connections land on both, and all of them succeed.
        for _ in range(12):
            with httpx.Client(base_url=base, timeout=20) as client:
                answer = client.post("/api/v1/sign-in", json={"login": PHONE, "password": PASSWORD})
                assert answer.status_code == 202, answer.text
        log = (tmp_path / "serve.log").read_text()
        assert all(f"Started server process [{pid}]" in log for pid in workers), log[-2000:]

        # The parent that built the app became the light supervisor once its workers ran: it holds none of the
        # app's libraries any more (their pages would be its alone once the workers have written to theirs).
        assert loaded(server.pid, "kabinet.web.supervisor") and not loaded(server.pid, "_pydantic_core")
        assert all(loaded(pid, "_pydantic_core") for pid in workers)

        # A worker killed outright is replaced; the server answers throughout.
        lost = min(workers)
        os.kill(lost, signal.SIGKILL)
        wait_until(lambda: len(children(server.pid) - {lost}) == 2 and lost not in children(server.pid), 15,
                   "a new worker in the killed one's place")
        assert httpx.get(f"{base}/health/ready", timeout=5).status_code == 200
        replaced = children(server.pid)
        assert len(replaced - workers) == 1, (workers, replaced)
        (new,) = replaced - workers
        workers = replaced
        # The replacement built the app itself (its parent holds none) and serves on the inherited socket: with
        # the other worker stopped, it alone takes the sign-ins, and all of them succeed.
        wait_until(lambda: f"Started server process [{new}]" in (tmp_path / "serve.log").read_text(), 30,
                   "the replacement serving")
        (other,) = workers - {new}
        os.kill(other, signal.SIGSTOP)
        try:
            for _ in range(4):
                with httpx.Client(base_url=base, timeout=20) as client:
                    answer = client.post("/api/v1/sign-in", json={"login": PHONE, "password": PASSWORD})
                    assert answer.status_code == 202, answer.text
        finally:
            os.kill(other, signal.SIGCONT)

        # The supervisor killed outright: its workers follow it (PR_SET_PDEATHSIG), the port is free again.
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        wait_until(lambda: not any(alive(pid) for pid in workers), 10, "every worker gone with its supervisor")
        wait_until(lambda: _refused(base), 10, "nothing answering on the port")
    finally:
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if server.poll() is None:
            server.kill()
            server.wait(10)


def loaded(pid: int, needle: str) -> bool:
    """Whether the process's command line or any file it maps names ``needle``."""
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        if needle.encode() in f.read():
            return True
    with open(f"/proc/{pid}/maps") as f:
        return needle in f.read()


def _refused(base: str) -> bool:
    try:
        httpx.get(f"{base}/health/live", timeout=1)
    except httpx.ConnectError:
        return True
    return False


def test_workers_that_keep_dying_at_start_stop_the_server_with_an_error(tmp_path):
    """A worker that dies within seconds of its start, five times running (a bad configuration would do that), stops
    the whole server with a failing status instead of a restart loop; each death before that is replaced."""
    secret = "56" * 32
    kb = bootstrap.build(Settings(data_dir=tmp_path, secret_key=secret))
    upgrade(kb.store.engine)
    kb.store.dispose()
    port = free_port()
    env = {"PATH": os.environ["PATH"], "KABINET_DATA_DIR": str(tmp_path), "KABINET_SECRET_KEY": secret}
    with (tmp_path / "serve.log").open("ab") as out:
        server = subprocess.Popen([sys.executable, "-m", "kabinet.cli", "serve", "--workers", "2", "--port",
                                   str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        wait_until(lambda: len(children(server.pid)) == 2, 60, "two workers")
        killed: set[int] = set()
        while server.poll() is None and len(killed) < 12:
            for pid in children(server.pid) - killed:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            wait_until(lambda: server.poll() is not None or bool(children(server.pid) - killed), 20,
                       "a replacement or the end")
        assert server.wait(20) == 1
        log = (tmp_path / "serve.log").read_text()
        assert "workers keep failing at start: stopping" in log, log[-2000:]
        assert log.count("started in place of the one that ended") >= 3, log[-2000:]
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        with contextlib.suppress(ProcessLookupError):  # a worker still starting, whatever the test came to
            os.killpg(server.pid, signal.SIGKILL)
