"""Real servers a fleet test owns and may break: a PostgreSQL cluster and a Redis of its own (on free loopback
ports, in a temporary folder), and Kabinet processes started with their own environment. Each is stopped by its pid
however the test ends; nothing here touches the machine's shared PostgreSQL or Redis."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str) -> float:
    """Seconds it took; fails the test with ``what`` when ``timeout`` passes first."""
    started = time.monotonic()
    while True:
        try:
            if condition():
                return time.monotonic() - started
        except Exception:  # not up yet
            pass
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s: {what}")
        time.sleep(0.1)


def taken_in(port: int) -> tuple[int, int, int]:
    """What the kernel holds at a listening port: (connections not yet accepted, bytes received on accepted ones
    that the server has not read, connections established). When the first two are zero, every request sent so far
    is in the server's hands: a graceful stop must answer it. A fixed sleep said so only on an idle machine."""
    backlog = unread = established = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            rows = f.read().splitlines()[1:]
        for row in rows:
            fields = row.split()
            if int(fields[1].rsplit(":", 1)[1], 16) != port:
                continue
            waiting = int(fields[4].split(":")[1], 16)
            if fields[3] == "0A":  # listening: its receive queue is the accept backlog
                backlog += waiting
            elif fields[3] == "01":
                unread, established = unread + waiting, established + 1
    return backlog, unread, established


def in_the_servers_hands(port: int, sent: int, answered: Callable[[], int], timeout: float = 10) -> None:
    """Wait until ``sent`` requests to ``port`` are each either answered or accepted and read by the server."""
    def all_taken() -> bool:
        backlog, unread, established = taken_in(port)
        return backlog == 0 and unread == 0 and established + answered() >= sent

    wait_until(all_taken, timeout, f"{sent} requests in the server's hands")


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or ([shutil.which(name)] if shutil.which(name)
                                                                        else [])
    assert found, f"PostgreSQL's {name} is needed for the fleet test (Debian: postgresql)"
    return found[-1]


class PrivatePostgres:
    """A cluster of its own: PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="kabinet-fleet-pg-", dir="/tmp"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._as([_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync"])
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as(self, command: list[str], timeout: float = 60) -> None:
        """Output to a file, not a pipe: the server pg_ctl starts inherits it, and a pipe would never reach EOF."""
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        with (self.folder / "ctl.log").open("ab") as out:
            subprocess.run(prefix + command, check=True, timeout=timeout, stdout=out, stderr=subprocess.STDOUT)

    def _ctl(self, *args: str) -> None:
        self._as([_pg_bin("pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args])

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder} " \
                  f"-c fsync=off -c max_connections=200"
        self._ctl("-o", options, "-l", str(self.folder / "log"), "start")

    def halt(self) -> None:
        """As a restart or a failover does: every connection cut, and none taken until ``start``."""
        self._ctl("-m", "fast", "stop")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._ctl("-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: socket.create_connection(("127.0.0.1", self.port), 0.2).close() is None, 10, "redis up")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@dataclass
class Kabinet:
    """A ``kabinet serve`` or ``kabinet worker`` process; its output goes to a log file the test reads after."""

    args: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> Kabinet:
        out = self.log.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "kabinet.cli", *self.args], cwd=ROOT, env=self.env,
                                        stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        if self.port is not None:
            wait_until(lambda: httpx.get(f"{self.base}/health/ready", timeout=1).status_code == 200, 60,
                       f"{self.args} ready")
        return self

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def signal(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)  # the process group: uvicorn's workers too

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.wait(10)
