"""TOTP enrolment and sign-in with the app; password change; rate limits shared through a real Redis."""

from __future__ import annotations

import os

import pyotp
import pytest

from kabinet.demo import EMAIL, PHONE
from kabinet.domain.errors import RateLimited
from kabinet.security.ratelimit import RateLimiter
from tests.driver import Citizen
from tests.integration.helpers import PASSWORD, contacts

REDIS_URL = os.environ.get("KABINET_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def enrol(ivan: Citizen, clock) -> pyotp.TOTP:
    started = ivan.post("/api/v1/totp")
    assert started.status_code == 202, started.text
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/") and body["challenge"]["channel"] == "totp"
    totp = pyotp.TOTP(body["secret"])
    assert ivan.confirm(body["challenge"], totp.at(clock.now())).status_code == 200
    return totp


def test_sign_in_asks_the_app_once_enrolled(client, kb, sms, mail, clock, ivan):
    totp = enrol(ivan, clock)
    ivan.deliver()
    assert "приложение-аутентификатор" in sms.to(PHONE)[-1]["text"]  # the phone is told
    def codes() -> int:  # codes only: a sign-in from a browser with no device cookie is told too (issue 24)
        return sum("Код подтверждения" in m["text"] for m in sms.to(PHONE))

    sent_before = codes()
    client.cookies.clear()
    clock.advance(seconds=30)
    started = client.post("/api/v1/sign-in", json={"login": EMAIL, "password": PASSWORD}).json()["challenge"]
    assert started["channel"] == "totp" and started["destination"] is None
    other = Citizen(client, kb, sms, mail)
    code = totp.at(clock.now())
    assert other.confirm(started, code).status_code == 200
    ivan.deliver()
    assert codes() == sent_before  # no SMS code was sent for this sign-in

    # the same TOTP code cannot be used twice
    client.cookies.clear()
    again = client.post("/api/v1/sign-in", json={"login": EMAIL, "password": PASSWORD}).json()["challenge"]
    assert Citizen(client, kb, sms, mail).confirm(again, code).status_code == 400


def test_with_totp_the_last_phone_may_go_and_removal_is_confirmed_in_the_app(client, kb, sms, mail, clock, ivan):
    totp = enrol(ivan, clock)
    phone_id = contacts(ivan)["+7 900 123-45-67"]["id"]
    checklist = ivan.get(f"/api/v1/contacts/{phone_id}/checklist").json()
    assert checklist["can_remove"] is True
    challenge = ivan.delete(f"/api/v1/contacts/{phone_id}").json()["challenge"]
    assert challenge["channel"] == "totp"
    clock.advance(seconds=30)
    assert ivan.confirm(challenge, totp.at(clock.now())).status_code == 200
    assert list(contacts(ivan)) == [EMAIL]


def test_password_change_ends_other_sessions(client, kb, sms, mail, ivan):
    client.cookies.clear()
    other = Citizen(client, kb, sms, mail)
    other.sign_in(PHONE, PASSWORD, PHONE)
    client.cookies.clear()
    wrong = ivan.post("/api/v1/password", {"current": "not it at all", "new": "a brand new secret"})
    assert wrong.status_code == 401 and wrong.json()["errors"][0]["field"] == "current"
    weak = ivan.post("/api/v1/password", {"current": PASSWORD, "new": "password123"})
    assert weak.status_code == 422 and weak.json()["code"] == "password.weak"
    assert ivan.post("/api/v1/password", {"current": PASSWORD, "new": "a brand new secret"}).status_code == 204
    assert other.get("/api/v1/me").status_code == 401
    assert ivan.get("/api/v1/me").status_code == 200
    client.cookies.clear()
    assert client.post("/api/v1/sign-in", json={"login": PHONE, "password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/sign-in", json={"login": PHONE, "password": "a brand new secret"}).status_code == 202


def test_rate_limits_are_shared_through_redis():
    first = RateLimiter(REDIS_URL, rules={"sign_in.login": "3/minute"})
    second = RateLimiter(REDIS_URL, rules={"sign_in.login": "3/minute"})  # another worker process
    first.reset()
    for limiter in (first, second, first):
        limiter.hit("sign_in.login", "ivan@mail.ru")
    with pytest.raises(RateLimited) as refused:
        second.hit("sign_in.login", "ivan@mail.ru")
    assert 0 < refused.value.extra["retry_after"] <= 61
    second.hit("sign_in.login", "someone-else@mail.ru")  # counted per login
    first.reset()
