"""X-Forwarded-For is believed only from KABINET_TRUSTED_PROXIES (issue 8): otherwise anyone could pick the
address that rate limits count and history records. A real uvicorn on loopback, as `kabinet serve` runs it."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
import uvicorn

from kabinet.cli import proxy_options
from kabinet.config import Settings
from kabinet.demo import PHONE, seed
from kabinet.web.app import create_app
from tests.integration.helpers import PASSWORD


def session_ip(kb, sms, trusted: str) -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = proxy_options(Settings(trusted_proxies=trusted))
    server = uvicorn.Server(uvicorn.Config(create_app(kb), host="127.0.0.1", port=port, log_level="warning",
                                           **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-Forwarded-For": "6.6.6.6"}) as http:
            ch = http.post("/api/v1/sign-in", json={"login": PHONE, "password": PASSWORD}).json()["challenge"]
            from kabinet.delivery.worker import drain

            drain(kb.courier)
            token = http.post(f"/api/v1/challenges/{ch['id']}/confirm",
                              json={"code": sms.last_code(PHONE)}).json()["session_token"]
            sessions = http.get("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"}).json()
            return next(s["ip"] for s in sessions["sessions"] if s["current"])
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.mark.parametrize(("trusted", "seen"), [("", "127.0.0.1"), ("127.0.0.1", "6.6.6.6")])
def test_forwarded_for_is_believed_only_from_trusted_proxies(kb, sms, trusted, seen):
    seed(kb, PASSWORD)
    assert session_ip(kb, sms, trusted) == seen


def test_a_short_secret_key_is_refused():
    with pytest.raises(ValueError, match="64 hex digits"):
        _ = Settings(secret_key="abc123").key
    assert len(Settings(secret_key="ab" * 32).key) == 32
