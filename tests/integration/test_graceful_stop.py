"""Graceful stop (issue 22): ``kabinet serve --workers 2`` told SIGTERM — the supervisor alone, as systemd or an
orchestrator sends it — passes it on to its worker processes; each stops accepting, answers the requests it has
(within KABINET_GRACEFUL_S), closes its pools, and every process of the server is gone within the bound."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx

from kabinet import bootstrap
from kabinet.config import Settings
from kabinet.demo import PHONE, seed
from tests.fleet_parts import ROOT, free_port, in_the_servers_hands, wait_until

PASSWORD = "Graceful-Stop-Passw0rd-1"


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_to_the_supervisor_lets_every_worker_finish_its_requests(tmp_path):
    secret = "44" * 32
    kb = bootstrap.build(Settings(data_dir=tmp_path, secret_key=secret))
    from kabinet.store.migrate import upgrade

    upgrade(kb.store.engine)
    seed(kb, PASSWORD)
    kb.store.dispose()
    port = free_port()
    env = {"PATH": os.environ["PATH"], "KABINET_DATA_DIR": str(tmp_path), "KABINET_SECRET_KEY": secret,
           "KABINET_GRACEFUL_S": "10", "KABINET_RATE_LIMITS": "0"}
    with (tmp_path / "serve.log").open("ab") as out:
        server = subprocess.Popen([sys.executable, "-m", "kabinet.cli", "serve", "--workers", "2", "--port",
                                   str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{base}/health/ready", timeout=1).status_code == 200, 60, "the server ready")
        answers: list[object] = []

        def sign_in() -> None:
            try:
                answers.append(httpx.post(f"{base}/api/v1/sign-in", json={"login": PHONE, "password": PASSWORD},
                                          timeout=30).status_code)
            except httpx.HTTPError as exc:
                answers.append(type(exc).__name__)

        threads = [threading.Thread(target=sign_in) for _ in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(0.15)  # on their way: each holds a worker for an Argon2 hash
        in_the_servers_hands(port, len(threads), lambda: len(answers))
        server.send_signal(signal.SIGTERM)  # to the supervisor only
        for thread in threads:
            thread.join(30)
        assert answers == [202] * 6, answers
        server.wait(20)
        wait_until(lambda: not group_alive(server.pid), 20, "every worker process gone")
        log = (tmp_path / "serve.log").read_text()
        assert log.count("Application shutdown complete") == 2, log[-3000:]  # each worker closed its pools
    finally:
        if group_alive(server.pid):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
