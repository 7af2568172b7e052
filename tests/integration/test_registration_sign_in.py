"""Registration, sign-in with an SMS code, sessions (issue: foundation). Over HTTP, codes from the real
SMS gateway, on SQLite or PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from kabinet.audit.events import chain_key, verify_chain
from kabinet.store.models import Account, Challenge, Event, Outbox
from tests.driver import Citizen
from tests.integration.helpers import NEW_PASSWORD as PASSWORD

PHONE = "+79161234567"


def citizen(client, kb, sms, mail) -> Citizen:
    return Citizen(client, kb, sms, mail)


def test_register_then_sign_in_with_sms_code(client, kb, sms, mail):
    c = citizen(client, kb, sms, mail)
    created = c.register("8 (916) 123-45-67", PASSWORD)
    assert created.status_code == 201, created.text
    assert created.json()["account"]["level"] == "simplified"
    assert created.cookies.get("kabinet_session") == created.json()["session_token"]

    me = c.get("/api/v1/me").json()
    assert me["full_name"] == "Петров Пётр Петрович" and me["level"] == "simplified"
    contacts = c.get("/api/v1/contacts").json()["contacts"]
    assert [(x["kind"], x["value"], x["verified"], x["primary"]) for x in contacts] == [
        ("phone", "+7 916 123-45-67", True, True)]

    other = citizen(client, kb, sms, mail)
    signed = other.sign_in("+7 916 1234567", PASSWORD, PHONE)
    assert signed.status_code == 200, signed.text
    assert signed.json()["account"]["id"] == me["id"]
    assert other.get("/api/v1/me").json()["id"] == me["id"]


def test_sms_text_names_the_action_and_warns(client, kb, sms, mail):
    c = citizen(client, kb, sms, mail)
    c.register(PHONE, PASSWORD)
    text = sms.to(PHONE)[-1]["text"]
    assert "Никому не сообщайте" in text and "Регистрация" in text


def test_codes_are_stored_only_as_hashes(client, kb, sms, mail):
    c = citizen(client, kb, sms, mail)
    started = c.post("/api/v1/registrations", {"phone": PHONE, "password": PASSWORD, "full_name": "Петров Пётр"})
    c.deliver()
    code = sms.last_code(PHONE)
    with kb.store.read() as db:
        ch = db.get_one(Challenge, __import__("uuid").UUID(started.json()["challenge"]["id"]))
        row = db.scalars(select(Outbox)).one()
    assert code not in (ch.secret_hash or "") and code not in str(ch.payload)
    assert code not in str(row.data)  # wiped from the outbox once sent
    assert row.state == "sent"


def test_sessions_list_and_revoke_another(client, kb, sms, mail):
    first = citizen(client, kb, sms, mail)
    first.register(PHONE, PASSWORD)
    second = citizen(client, kb, sms, mail)
    client.cookies.clear()
    second.sign_in(PHONE, PASSWORD, PHONE)

    listed = first.get("/api/v1/sessions").json()["sessions"]
    assert len(listed) == 2
    assert sum(s["current"] for s in listed) == 1
    other_id = next(s["id"] for s in listed if not s["current"])

    assert first.delete(f"/api/v1/sessions/{other_id}").status_code == 204
    client.cookies.clear()
    assert second.get("/api/v1/me").status_code == 401
    assert first.get("/api/v1/me").status_code == 200
    assert [s["current"] for s in first.get("/api/v1/sessions").json()["sessions"]] == [True]


def test_revoke_others_needs_fresh_second_factor(client, kb, sms, mail, clock):
    first = citizen(client, kb, sms, mail)
    first.register(PHONE, PASSWORD)
    client.cookies.clear()
    for _ in range(2):
        citizen(client, kb, sms, mail).sign_in(PHONE, PASSWORD, PHONE)
        client.cookies.clear()
    clock.advance(minutes=11)
    first.get("/api/v1/me")  # still alive: idle limit is 30 min
    refused = first.post("/api/v1/sessions/revoke-others")
    assert refused.status_code == 403 and refused.json()["code"] == "auth.step_up_required"

    started = first.post("/api/v1/step-up")
    assert started.status_code == 202
    old_token = first.token
    assert first.confirm(started.json()["challenge"], first.code_for(PHONE)).status_code == 200
    assert first.token != old_token  # rotated at step-up
    assert first.post("/api/v1/sessions/revoke-others").status_code == 204
    assert len(first.get("/api/v1/sessions").json()["sessions"]) == 1


def test_sign_out_ends_the_session(client, kb, sms, mail):
    c = citizen(client, kb, sms, mail)
    c.register(PHONE, PASSWORD)
    assert c.post("/api/v1/sign-out").status_code == 204
    client.cookies.clear()
    assert c.get("/api/v1/me").status_code == 401


def test_session_idle_expiry(client, kb, sms, mail, clock):
    c = citizen(client, kb, sms, mail)
    c.register(PHONE, PASSWORD)
    client.cookies.clear()
    clock.advance(minutes=31)
    assert c.get("/api/v1/me").status_code == 401


def test_history_is_hash_chained_and_newest_first(client, kb, sms, mail):
    c = citizen(client, kb, sms, mail)
    c.register(PHONE, PASSWORD)
    client.cookies.clear()
    citizen(client, kb, sms, mail).sign_in(PHONE, PASSWORD, PHONE)
    events = c.get("/api/v1/history").json()["events"]
    assert [e["type"] for e in events] == ["sign_in:completed", "sign_in:code_sent", "account:registered"]
    assert events[0]["ip"] and events[0]["actor"]["kind"] == "citizen"
    with kb.store.read() as db:
        account = db.scalars(select(Account)).one()
        rows = list(db.scalars(select(Event).where(Event.account_id == account.id).order_by(Event.seq)))
        key = chain_key(db)
        assert verify_chain(rows, key, head=account.event_head, count=account.event_seq)
        assert not verify_chain(rows[:-1], key, head=account.event_head, count=account.event_seq)  # newest gone
        rows[1].details = {"channel": "forged"}
        assert not verify_chain(rows, key)
        db.rollback()


def test_sign_in_with_snils_and_email(client, kb, sms, mail, clock):
    from kabinet.demo import seed

    seed(kb, "demo-password-1")
    c = citizen(client, kb, sms, mail)
    assert c.sign_in("112-233-445 95", "demo-password-1", "+79001234567").status_code == 200
    client.cookies.clear()
    c2 = citizen(client, kb, sms, mail)
    assert c2.sign_in("Ivan.Ivanov@MAIL.ru", "demo-password-1", "+79001234567").status_code == 200
    assert c2.get("/api/v1/me").json()["level"] == "confirmed"
