"""Budgets that an owner needs cannot be spent by strangers, and limits count per account, not per spelling
(issue 8, points 2-4). Each test fails when its protection is taken out."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from kabinet.demo import EMAIL, PHONE, SNILS
from kabinet.security.passwords import verify_password
from kabinet.store.models import Account
from tests.driver import Citizen
from tests.integration.helpers import PASSWORD, demo_citizen
from tests.integration.test_totp_password import enrol

STRANGER = {"password": "another good pass", "full_name": "Сидоров Сидор"}


def test_a_stranger_registering_the_owners_number_cannot_block_the_owners_sign_in(client, kb, sms, mail, ivan):
    client.cookies.clear()
    stranger = Citizen(client, kb, sms, mail)
    answers = [stranger.post("/api/v1/registrations", {"phone": PHONE, **STRANGER}).status_code for _ in range(6)]
    assert answers[:3] == [202] * 3 and set(answers[3:]) == {429}  # the stranger's own budget, then a wall
    stranger.deliver()
    notices = [m for m in sms.to(PHONE) if "уже привязан" in m["text"]]
    assert len(notices) == 1  # one "someone tried" a day, however often they try
    for _ in range(3):  # and the owner still signs in, again and again
        client.cookies.clear()
        assert ivan.sign_in(PHONE, PASSWORD, PHONE).status_code == 200


def test_a_fresh_number_and_a_taken_one_hit_the_registration_wall_alike(client, kb, sms, mail):
    demo_citizen(client, kb, sms, mail)
    client.cookies.clear()
    stranger = Citizen(client, kb, sms, mail)
    fresh = [stranger.post("/api/v1/registrations", {"phone": "+79165550001", **STRANGER}).status_code
             for _ in range(4)]
    taken = [stranger.post("/api/v1/registrations", {"phone": PHONE, **STRANGER}).status_code for _ in range(4)]
    assert fresh == taken == [202, 202, 202, 429]


def test_wrong_passwords_count_per_account_whatever_the_spelling(client, kb, sms, mail):
    demo_citizen(client, kb, sms, mail)
    client.cookies.clear()
    spellings = ["+79001234567", "8 900 123-45-67", "+7 (900) 1234567", EMAIL.upper(), "112-233-445 95"]
    for login in spellings:
        assert client.post("/api/v1/sign-in", json={"login": login, "password": "wrong guess 1"}).status_code == 401
    limited = client.post("/api/v1/sign-in", json={"login": SNILS, "password": PASSWORD})
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"


def test_unknown_logins_count_per_normalised_login(client):
    for login in ["+79160000001", "89160000001", "+7 916 000-00-01", "8 (916) 000 00 01", "+7916 0000001"]:
        assert client.post("/api/v1/sign-in", json={"login": login, "password": "whatever1"}).status_code == 401
    assert client.post("/api/v1/sign-in", json={"login": "+79160000001", "password": "x1"}).status_code == 429


def test_password_change_checks_its_limit_before_the_guess(client, kb, sms, mail, ivan):
    for _ in range(5):
        wrong = ivan.post("/api/v1/password", {"current": "not it at all", "new": "a brand new secret"})
        assert wrong.status_code == 401
    right = ivan.post("/api/v1/password", {"current": PASSWORD, "new": "a brand new secret"})
    assert right.status_code == 429  # the sixth guess is not even tried, right or wrong
    with kb.store.read() as db:
        assert verify_password(db.scalars(select(Account)).one().password_hash, PASSWORD)  # unchanged


def test_totp_codes_are_limited_per_account_across_challenges(client, kb, sms, mail, clock, ivan):
    totp = enrol(ivan, clock)
    client.cookies.clear()
    answers = []
    for _ in range(4):  # a thief with the password asks for a TOTP challenge again and again
        ch = client.post("/api/v1/sign-in", json={"login": EMAIL, "password": PASSWORD}).json()["challenge"]
        for _ in range(3):
            answers.append(client.post(f"/api/v1/challenges/{ch['id']}/confirm", json={"code": "000000"}).status_code)
    assert 429 in answers and answers.count(400) + answers.count(410) <= 10
    clock.advance(seconds=60)
    ch = client.post("/api/v1/sign-in", json={"login": EMAIL, "password": PASSWORD}).json()["challenge"]
    right = client.post(f"/api/v1/challenges/{ch['id']}/confirm", json={"code": totp.at(clock.now())})
    assert right.status_code == 429
    assert isinstance(totp, pyotp.TOTP)


def test_a_signed_in_account_cannot_pump_sms_to_many_numbers(client, kb, sms, mail, ivan):
    answers = [ivan.post("/api/v1/contacts", {"kind": "phone", "value": f"+7916777{i:04d}"}).status_code
               for i in range(12)]
    assert answers[:10] == [202] * 10 and answers[10:] == [429, 429]
    ivan.deliver()
    assert sum(len(sms.to(f"+7916777{i:04d}")) for i in range(12)) == 10
