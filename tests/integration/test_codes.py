"""Codes: attempts, expiry, replay, resend cooldown, rate limits, no enumeration."""

from __future__ import annotations

import time

from tests.driver import Citizen
from tests.integration.helpers import NEW_PASSWORD as PASSWORD

PHONE = "+79161234567"


def registered(client, kb, sms, mail) -> Citizen:
    c = Citizen(client, kb, sms, mail)
    c.register(PHONE, PASSWORD)
    client.cookies.clear()
    return Citizen(client, kb, sms, mail)


def start_sign_in(c: Citizen):
    response = c.post("/api/v1/sign-in", {"login": PHONE, "password": PASSWORD})
    assert response.status_code == 202, response.text
    return response.json()["challenge"]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_wrong_code_counts_down_then_the_challenge_is_dead(client, kb, sms, mail):
    c = registered(client, kb, sms, mail)
    ch = start_sign_in(c)
    assert ch["attempts_left"] == 3 and ch["channel"] == "sms" and ch["destination"] == "+7 916 ***-**-67"
    good = c.code_for(PHONE)
    first = c.confirm(ch, wrong(good))
    assert first.status_code == 400 and first.json()["code"] == "challenge.code_wrong"
    assert first.json()["attempts_left"] == 2
    assert c.confirm(ch, wrong(good)).json()["attempts_left"] == 1
    dead = c.confirm(ch, wrong(good))
    assert dead.status_code == 410 and dead.json()["code"] == "challenge.too_many_attempts"
    late = c.confirm(ch, good)  # even the right code is worth nothing now
    assert late.status_code == 410 and c.token is None


def test_expired_code(client, kb, sms, mail, clock):
    c = registered(client, kb, sms, mail)
    ch = start_sign_in(c)
    code = c.code_for(PHONE)
    clock.advance(minutes=5, seconds=1)
    response = c.confirm(ch, code)
    assert response.status_code == 410 and response.json()["code"] == "challenge.expired"


def test_replayed_code(client, kb, sms, mail):
    c = registered(client, kb, sms, mail)
    ch = start_sign_in(c)
    code = c.code_for(PHONE)
    assert c.confirm(ch, code).status_code == 200
    again = c.confirm(ch, code)
    assert again.status_code == 410 and again.json()["code"] == "challenge.used"


def test_resend_inside_cooldown_is_refused_then_allowed(client, kb, sms, mail, clock):
    c = registered(client, kb, sms, mail)
    ch = start_sign_in(c)
    first_code = c.code_for(PHONE)
    early = c.post(f"/api/v1/challenges/{ch['id']}/resend")
    assert early.status_code == 429 and early.json()["code"] == "challenge.resend_too_soon"
    assert early.json()["resend_after"] == 60 and early.headers["Retry-After"] == "60"
    clock.advance(seconds=61)
    later = c.post(f"/api/v1/challenges/{ch['id']}/resend")
    assert later.status_code == 202
    new_code = c.code_for(PHONE)
    if new_code != first_code:  # one in a million they match
        assert c.confirm(ch, first_code).status_code == 400  # the old code died with the resend
    assert c.confirm(ch, new_code).status_code == 200


def test_sign_in_rate_limit_per_login(client, kb, sms, mail):
    c = registered(client, kb, sms, mail)
    for _ in range(5):
        assert c.post("/api/v1/sign-in", {"login": PHONE, "password": "wrong password"}).status_code == 401
    limited = c.post("/api/v1/sign-in", {"login": PHONE, "password": PASSWORD})
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0


def test_unknown_login_and_wrong_password_look_the_same(client, kb, sms, mail):
    c = registered(client, kb, sms, mail)

    def attempt(login: str) -> tuple[dict, float]:
        started = time.perf_counter()
        response = c.post("/api/v1/sign-in", {"login": login, "password": "not the password"})
        assert response.status_code == 401
        body = response.json()
        body.pop("reference")
        return body, time.perf_counter() - started

    known, t_known = attempt(PHONE)
    unknown, t_unknown = attempt("+79169999999")
    also_unknown, _ = attempt("nobody@example.org")
    assert known == unknown == also_unknown
    # Both spend one full argon2 verification; a missing account is not measurably faster.
    assert t_unknown > t_known / 4


def test_registration_of_a_taken_number_reveals_nothing(client, kb, sms, mail):
    registered(client, kb, sms, mail)
    stranger = Citizen(client, kb, sms, mail)
    response = stranger.post("/api/v1/registrations",
                             {"phone": PHONE, "password": "another good pass", "full_name": "Сидоров Сидор"})
    assert response.status_code == 202
    assert set(response.json()["challenge"]) == {"id", "purpose", "channel", "destination", "expires_at",
                                                 "resend_after", "attempts_left"}
    stranger.deliver()
    assert "уже привязан" in sms.to(PHONE)[-1]["text"]
    assert stranger.confirm(response.json()["challenge"], "123456").status_code == 400


def test_sms_gateway_failure_is_retried_with_backoff(client, kb, sms, mail, clock):
    from sqlalchemy import select

    from kabinet.store.models import Outbox

    sms.fail_next = 1
    c = Citizen(client, kb, sms, mail)
    c.post("/api/v1/registrations", {"phone": PHONE, "password": PASSWORD, "full_name": "Петров Пётр"})
    c.deliver()
    assert sms.to(PHONE) == []
    with kb.store.read() as db:
        row = db.scalars(select(Outbox)).one()
        assert (row.state, row.attempts, row.last_error) == ("failed", 1, "sms: HTTP 503")
    clock.advance(seconds=11)
    c.deliver()
    assert len(sms.to(PHONE)) == 1


def test_body_over_64_kib_is_refused(client):
    response = client.post("/api/v1/sign-in", content=b"{" + b" " * 70_000 + b"}",
                           headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "request.too_large"


def test_errors_are_problem_json_in_russian_and_english(client):
    ru = client.post("/api/v1/sign-in", json={"login": "+79160000000", "password": "whatever1"})
    en = client.post("/api/v1/sign-in", json={"login": "+79160000000", "password": "whatever1"},
                     headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert ru.headers["content-type"] == "application/problem+json"
    assert ru.json()["title"] == "Неверный логин или пароль" and en.json()["title"] == "Wrong login or password"
    assert len(ru.json()["reference"]) == 12


def test_bad_registration_input_names_the_field(client):
    response = client.post("/api/v1/registrations",
                           json={"phone": "+7 495 123-45-67", "password": "x", "full_name": "Иван"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "phone"
    assert response.json()["errors"][0]["code"] == "phone.not_mobile"
    # issue 26: every wrong field at once, not only the first
    assert [e["field"] for e in response.json()["errors"]] == ["phone", "password"]


def test_non_ascii_digits_are_not_a_code_and_spend_no_attempt(client, kb, sms, mail):
    c = registered(client, kb, sms, mail)
    ch = start_sign_in(c)
    refused = c.confirm(ch, "١٢٣٤٥٦")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "code"
    assert c.confirm(ch, wrong(c.code_for(PHONE))).json()["attempts_left"] == 2  # the refusal cost nothing
