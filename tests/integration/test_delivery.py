"""The outbox: letters over real SMTP with both parts and the right headers, retries with backoff, a dead
state after the last try; the contact list shows each contact's last delivery."""

from __future__ import annotations

from sqlalchemy import select

from kabinet.delivery.worker import MAX_ATTEMPTS
from kabinet.security import passwords
from kabinet.store.models import Account, Outbox
from tests.integration.helpers import PASSWORD, contacts, demo_citizen

NEW = "ivan@yandex.ru"


def test_letter_has_both_parts_and_headers(client, kb, sms, mail, ivan):
    assert ivan.post("/api/v1/notifications/test").status_code == 202
    ivan.deliver()
    letter = mail.to("ivan.ivanov@mail.ru")[-1]
    assert letter.message["From"] == kb.settings.mail_from
    assert letter.message["Date"] and letter.message["Message-ID"].endswith("@kabinet.localhost>")
    assert letter.message["Auto-Submitted"] == "auto-generated"
    assert "Иванов Иван Иванович" in letter.text and "<p" in letter.html


def test_failed_letters_back_off_then_die_and_the_list_shows_it(client, kb, sms, mail, clock, ivan):
    mail.refuse = True
    added = ivan.post("/api/v1/contacts", {"kind": "email", "value": NEW}).json()["contact"]
    ivan.deliver()
    with kb.store.read() as db:
        row = db.scalars(select(Outbox).where(Outbox.destination == NEW)).one()
        assert (row.state, row.attempts) == ("failed", 1) and row.last_error == "smtp: 451"
        first_retry = row.next_attempt_at
    assert (first_retry - clock.now()).total_seconds() == 10
    listed = contacts(ivan)[NEW]["last_delivery"]
    assert listed["state"] == "failed" and listed["attempts"] == 1  # failed: retrying (API.md)
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


def test_smtp_connection_is_kept_and_reopened_after_the_server_drops_it():
    import asyncio
    from datetime import UTC, datetime

    from aiosmtpd.controller import Controller

    from kabinet.delivery.compose import Envelope, compose
    from kabinet.delivery.render import Letter
    from kabinet.delivery.senders import SmtpMailer
    from tests.servers import start_smtp

    controller, sink = start_smtp()
    servers = [controller]
    def send(mailer: SmtpMailer, n: int):
        letter = Letter(subject=f"n{n}", text="hello\n", html="<p>hello</p>")
        envelope = Envelope(sender="k@example.org", to="a@example.org", message_id=f"<{n}@x>", at=datetime.now(UTC))
        return mailer.send(letter, envelope, raw=compose(letter, envelope), envelope_from="k@example.org")

    async def scenario() -> None:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{controller.port}")
        await send(mailer, 1)
        await send(mailer, 2)
        idle, _slots = mailer._pool()  # the point of the test
        assert len(idle) == 1 and idle[0].is_connected  # one connection, kept open between letters
        controller.stop()  # the server goes away and comes back: the kept connection is dead
        servers.append(Controller(sink, hostname="127.0.0.1", port=controller.port))
        servers[-1].start()
        await send(mailer, 3)

    try:
        asyncio.run(scenario())
    finally:
        servers[-1].stop()
    assert [m.subject for m in sink.messages] == ["n1", "n2", "n3"]


def test_inline_worker_sends_as_soon_as_the_change_commits(settings, kb, sms, mail):
    import time

    from fastapi.testclient import TestClient

    from kabinet.web.app import create_app

    kb.settings.outbox = "inline"
    with TestClient(create_app(kb)) as client:  # the lifespan starts the worker thread
        started = client.post("/api/v1/registrations",
                              json={"phone": "+79161234567", "password": "correct horse battery",
                                    "full_name": "Петров Пётр"})
        assert started.status_code == 202
        deadline = time.monotonic() + 10
        while not sms.to("+79161234567") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sms.to("+79161234567"), "the worker did not send the code"
    with kb.store.read() as db:
        assert db.scalars(select(Outbox.state)).all() == ["sent"]


def test_a_retried_letter_keeps_its_message_id(client, kb, sms, mail, clock, ivan):
    mail.refuse = True
    ivan.post("/api/v1/contacts", {"kind": "email", "value": NEW})
    ivan.deliver()
    mail.refuse = False
    clock.advance(seconds=11)
    ivan.deliver()
    with kb.store.read() as db:
        row = db.scalars(select(Outbox).where(Outbox.destination == NEW)).one()
    assert row.state == "sent" and row.attempts == 2
    assert mail.to(NEW)[-1].message["Message-ID"] == f"<{row.idempotency_key}@kabinet.localhost>"
