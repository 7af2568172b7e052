"""The outbox: letters over real SMTP with both parts and the right headers, retries with backoff, a dead
state after the last try; the contact list shows each contact's last delivery."""

from __future__ import annotations

from sqlalchemy import select

from kabinet.delivery.worker import MAX_ATTEMPTS
from kabinet.security import passwords
from kabinet.store.models import Account, Outbox
from tests.integration.helpers import PASSWORD, contacts, demo_citizen

NEW = "ivan@yandex.ru"


def test_letter_has_both_parts_and_headers(client, kb, sms, mail):
    ivan = demo_citizen(client, kb, sms, mail)
    assert ivan.post("/api/v1/notifications/test").status_code == 202
    ivan.deliver()
    letter = mail.to("ivan.ivanov@mail.ru")[-1]
    assert letter.message["From"] == kb.settings.mail_from
    assert letter.message["Date"] and letter.message["Message-ID"].endswith("@kabinet.localhost>")
    assert letter.message["Auto-Submitted"] == "auto-generated"
    assert "Иванов Иван Иванович" in letter.text and "<p" in letter.html


def test_failed_letters_back_off_then_die_and_the_list_shows_it(client, kb, sms, mail, clock):
    ivan = demo_citizen(client, kb, sms, mail)
    mail.refuse = True
    added = ivan.post("/api/v1/contacts", {"kind": "email", "value": NEW}).json()["contact"]
    ivan.deliver()
    with kb.store.read() as db:
        row = db.scalars(select(Outbox).where(Outbox.destination == NEW)).one()
        assert (row.state, row.attempts) == ("queued", 1) and row.last_error == "smtp: SMTPDataError"
        first_retry = row.next_attempt_at
    assert (first_retry - clock.now()).total_seconds() == 10
    listed = contacts(ivan)[NEW]["last_delivery"]
    assert listed["state"] == "queued" and listed["attempts"] == 1
    for _ in range(MAX_ATTEMPTS):
        for _half in range(2):  # the longest backoff is 30 min: keep the session from idling out meanwhile
            clock.advance(minutes=16)
            ivan.get("/api/v1/me")
        ivan.deliver()
    with kb.store.read() as db:
        row = db.scalars(select(Outbox).where(Outbox.destination == NEW)).one()
        assert (row.state, row.attempts) == ("dead", MAX_ATTEMPTS) and "_sealed" not in row.data
    assert contacts(ivan)[NEW]["last_delivery"]["state"] == "dead"
    assert mail.to(NEW) == []
    assert added["last_delivery"] is None


def test_password_hash_is_upgraded_on_sign_in(client, kb, sms, mail):
    from argon2 import PasswordHasher

    ivan = demo_citizen(client, kb, sms, mail)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with kb.store.write() as db:
        db.scalars(select(Account)).one().password_hash = weak
    client.cookies.clear()
    started = client.post("/api/v1/sign-in", json={"login": "ivan.ivanov@mail.ru", "password": PASSWORD})
    assert started.status_code == 202
    with kb.store.read() as db:
        stored = db.scalars(select(Account)).one().password_hash
    assert stored != weak and not passwords.needs_rehash(stored) and passwords.verify_password(stored, PASSWORD)
    assert "password:rehashed" in [e["type"] for e in ivan.get("/api/v1/history").json()["events"]]
