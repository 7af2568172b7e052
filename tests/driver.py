"""A citizen driving the API, reading codes from the real SMS gateway and letters from the real SMTP
server, so tests read like the seed's steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from kabinet.bootstrap import Kabinet
from kabinet.delivery.worker import drain
from kabinet.domain.phone import parse_phone
from tests.servers import SmsSink, SmtpSink


@dataclass
class Citizen:
    client: TestClient
    kb: Kabinet
    sms: SmsSink
    mail: SmtpSink
    token: str | None = None

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def deliver(self) -> int:
        return drain(self.kb.courier)

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.auth, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(path, json=json, headers=self.auth, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(path, headers=self.auth, **kw)

    def code_for(self, phone: str) -> str:
        self.deliver()
        return self.sms.last_code(phone)

    def confirm(self, challenge: dict[str, Any], code: str) -> Any:
        response = self.post(f"/api/v1/challenges/{challenge['id']}/confirm", {"code": code})
        if response.status_code in (200, 201) and response.json().get("session_token"):
            self.token = response.json()["session_token"]
        return response

    def register(self, phone: str, password: str, full_name: str = "Петров Пётр Петрович") -> Any:
        started = self.post("/api/v1/registrations", {"phone": phone, "password": password, "full_name": full_name})
        assert started.status_code == 202, started.text
        return self.confirm(started.json()["challenge"], self.code_for(parse_phone(phone).e164))

    def sign_in(self, login: str, password: str, phone: str) -> Any:
        started = self.post("/api/v1/sign-in", {"login": login, "password": password})
        assert started.status_code == 202, started.text
        return self.confirm(started.json()["challenge"], self.code_for(phone))
