"""Password recovery over HTTP (issue 9): two proofs, backup codes, TOTP, the silent-contact rule, every session
ended, notices over real SMTP and the SMS gateway, nothing revealed about unknown logins."""

from __future__ import annotations

from sqlalchemy import select

from kabinet.demo import EMAIL, PHONE, SNILS
from kabinet.store.models import Account, Contact
from tests.driver import Citizen
from tests.integration.helpers import PASSWORD, demo_citizen
from tests.integration.test_totp_password import enrol

NEW_PASSWORD = "a fresh long secret 7"
OTHER_PHONE = "+79165551234"


def recover(c: Citizen, login: str) -> dict:
    started = c.client.post("/api/v1/recovery", json={"login": login})
    assert started.status_code == 202, started.text
    return started.json()


def code_by_mail(c: Citizen, address: str) -> str:
    c.deliver()
    import re

    return re.search(r"(\d{6})", c.mail.to(address)[-1].text).group(1)


def test_phone_then_email_code_then_new_password_ends_every_session(client, kb, sms, mail, ivan):
    old_token = ivan.token
    client.cookies.clear()
    started = recover(ivan, PHONE)
    assert started["challenge"]["channel"] == "sms" and started["challenge"]["purpose"] == "recovery"
    first = client.post(f"/api/v1/challenges/{started['challenge']['id']}/confirm",
                        json={"code": ivan.code_for(PHONE)})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["next"] == "challenge" and body["challenge"]["channel"] == "email"  # the other kind is asked
    early = client.post(f"/api/v1/recovery/{started['recovery_id']}/password", json={"password": NEW_PASSWORD})
    assert early.status_code == 404  # out of order: one proof is not enough here
    second = client.post(f"/api/v1/challenges/{body['challenge']['id']}/confirm",
                         json={"code": code_by_mail(ivan, EMAIL)})
    assert second.status_code == 200 and second.json()["next"] == "password"
    done = client.post(f"/api/v1/recovery/{started['recovery_id']}/password", json={"password": NEW_PASSWORD})
    assert done.status_code == 204
    again = client.post(f"/api/v1/recovery/{started['recovery_id']}/password", json={"password": "yet another 9x"})
    assert again.status_code == 404  # single-use
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {old_token}"}).status_code == 401
    assert client.post("/api/v1/sign-in", json={"login": PHONE, "password": PASSWORD}).status_code == 401
    ivan.deliver()
    assert "восстановление доступа" in sms.to(PHONE)[-1]["text"]
    assert "восстановление доступа" in mail.to(EMAIL)[-1].text
    client.cookies.clear()
    assert Citizen(client, kb, sms, mail).sign_in(PHONE, NEW_PASSWORD, PHONE).status_code == 200


def phone_only_citizen(client, kb, sms, mail) -> Citizen:
    c = Citizen(client, kb, sms, mail)
    assert c.register(OTHER_PHONE, "registered secret 1").status_code == 201
    return c


def test_phone_and_a_backup_code_and_the_code_works_once(client, kb, sms, mail):
    c = phone_only_citizen(client, kb, sms, mail)
    made = c.post("/api/v1/backup-codes")
    assert made.status_code == 201 and len(made.json()["codes"]) == 10
    codes = made.json()["codes"]
    client.cookies.clear()
    for attempt in range(2):
        started = recover(c, OTHER_PHONE)
        confirmed = client.post(f"/api/v1/challenges/{started['challenge']['id']}/confirm",
                                json={"code": c.code_for(OTHER_PHONE)}).json()
        assert confirmed["next"] == "proof" and confirmed["alternatives"] == [{"kind": "backup_code"}]
        proof = client.post(f"/api/v1/recovery/{started['recovery_id']}/proof",
                            json={"kind": "backup_code", "code": codes[0].upper()})
        if attempt == 0:
            assert proof.status_code == 200 and proof.json()["next"] == "password"
        else:
            assert proof.status_code == 400 and proof.json()["code"] == "recovery.proof_wrong"  # used already
    c.deliver()
    assert any("резервный код" in m["text"] for m in sms.to(OTHER_PHONE))


def test_new_backup_codes_kill_the_old(client, kb, sms, mail):
    c = phone_only_citizen(client, kb, sms, mail)
    old = c.post("/api/v1/backup-codes").json()["codes"]
    c.post("/api/v1/backup-codes")
    client.cookies.clear()
    started = recover(c, OTHER_PHONE)
    client.post(f"/api/v1/challenges/{started['challenge']['id']}/confirm", json={"code": c.code_for(OTHER_PHONE)})
    proof = client.post(f"/api/v1/recovery/{started['recovery_id']}/proof", json={"kind": "backup_code",
                                                                                    "code": old[3]})
    assert proof.status_code == 400


def test_phone_and_totp(client, kb, sms, mail, clock):
    c = phone_only_citizen(client, kb, sms, mail)
    totp = enrol(c, clock)
    client.cookies.clear()
    clock.advance(seconds=31)
    started = recover(c, OTHER_PHONE)
    confirmed = client.post(f"/api/v1/challenges/{started['challenge']['id']}/confirm",
                            json={"code": c.code_for(OTHER_PHONE)}).json()
    assert confirmed["next"] == "proof" and {"kind": "totp"} in confirmed["alternatives"]
    wrong = client.post(f"/api/v1/recovery/{started['recovery_id']}/proof", json={"kind": "totp", "code": "000000"})
    assert wrong.status_code == 400 and wrong.json()["attempts_left"] == 2
    right = client.post(f"/api/v1/recovery/{started['recovery_id']}/proof",
                        json={"kind": "totp", "code": totp.at(clock.now())})
    assert right.status_code == 200 and right.json()["next"] == "password"


def test_one_fresh_phone_alone_waits_out_the_cooling_off_but_a_silent_one_sends_to_a_service_centre(
        client, kb, sms, mail, clock):
    c = phone_only_citizen(client, kb, sms, mail)
    client.cookies.clear()
    started = recover(c, OTHER_PHONE)
    fresh = client.post(f"/api/v1/challenges/{started['challenge']['id']}/confirm",
                        json={"code": c.code_for(OTHER_PHONE)})
    assert fresh.json()["next"] == "wait"  # one proof: held for the cooling-off (issue 15), then it may finish
    clock.advance(hours=24)
    assert client.get(f"/api/v1/recovery/{started['recovery_id']}").json()["next"] == "password"
    assert client.post(f"/api/v1/recovery/{started['recovery_id']}/password",
                       json={"password": NEW_PASSWORD}).status_code == 204
    clock.advance(days=181)
    for _ in range(2):  # asking again does not make the silent phone fresh
        clock.advance(seconds=61)
        started = recover(c, OTHER_PHONE)
        silent = client.post(f"/api/v1/challenges/{started['challenge']['id']}/confirm",
                             json={"code": c.code_for(OTHER_PHONE)})
        assert silent.status_code == 200 and silent.json()["next"] == "visit"
        refused = client.post(f"/api/v1/recovery/{started['recovery_id']}/password", json={"password": NEW_PASSWORD})
        assert refused.status_code == 404


def test_unknown_logins_look_the_same_and_nothing_is_sent(client, kb, sms, mail, ivan):
    client.cookies.clear()
    sms.clear()
    mail.clear()
    known = [recover(ivan, login) for login in (PHONE, SNILS)]
    unknown = [recover(ivan, login) for login in ("+79160000042", "123-456-789 64")]
    assert known[0]["challenge"]["destination"] == "+7 900 ***-**-67"
    assert unknown[0]["challenge"]["destination"] == "+7 916 ***-**-42"
    for k, u in zip(known, unknown, strict=True):
        assert set(k) == set(u) and set(k["challenge"]) == set(u["challenge"])
        assert {x: k["challenge"][x] for x in ("purpose", "channel", "attempts_left")} == \
            {x: u["challenge"][x] for x in ("purpose", "channel", "attempts_left")}
    assert recover(ivan, "123-456-789 64")["challenge"]["destination"] == unknown[1]["challenge"]["destination"]
    ivan.deliver()
    assert {m["to"] for m in sms.messages} == {PHONE}  # the real owner only
    nobody = unknown[0]
    wrong = client.post(f"/api/v1/challenges/{nobody['challenge']['id']}/confirm", json={"code": "123456"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "challenge.code_wrong"


def test_recovery_expires(client, kb, sms, mail, clock, ivan):
    client.cookies.clear()
    started = recover(ivan, PHONE)
    first = client.post(f"/api/v1/challenges/{started['challenge']['id']}/confirm",
                        json={"code": ivan.code_for(PHONE)}).json()
    second = client.post(f"/api/v1/challenges/{first['challenge']['id']}/confirm",
                         json={"code": code_by_mail(ivan, EMAIL)})
    assert second.json()["next"] == "password"  # two proofs: nothing to wait for, but 15 minutes to finish
    clock.advance(minutes=16)
    late = client.post(f"/api/v1/recovery/{started['recovery_id']}/password", json={"password": NEW_PASSWORD})
    assert late.status_code == 404 and late.json()["code"] == "recovery.not_found"


def test_this_was_not_me_suspends_password_sign_in_until_recovery(client, kb, sms, mail):
    from tests.secrets import secret_for_contact

    ivan = demo_citizen(client, kb, sms, mail)
    assert ivan.post("/api/v1/backup-codes").status_code == 201  # a change: every channel gets a notice
    with kb.store.read() as db:
        phone = db.scalars(select(Contact).where(Contact.value == PHONE)).one()
    url = secret_for_contact(kb, phone.id, "security_notice", "not_me_url")
    assert url, "no notice with a not-me link"
    assert client.post("/api/v1/not-me", json={"token": url.split("token=")[1]}).status_code == 200
    client.cookies.clear()
    locked = client.post("/api/v1/sign-in", json={"login": PHONE, "password": PASSWORD})
    assert locked.status_code == 403 and locked.json()["code"] == "auth.account_locked"
    started = recover(ivan, PHONE)
    client.post(f"/api/v1/challenges/{started['challenge']['id']}/confirm", json={"code": ivan.code_for(PHONE)})
    second = client.get(f"/api/v1/recovery/{started['recovery_id']}").json()
    assert second["next"] in ("challenge", "proof")
    with kb.store.read() as db:
        assert db.scalars(select(Account)).one().status == "reset_required"

