"""Letters that arrive (issue 14), against a real SMTP server (aiosmtpd): a 550 at RCPT is refused for good at once
and the contact page says why; a 451 is retried and the letter sent once; every letter is DKIM-signed and checks
out with dkimpy's verifier; bounces (DSN) and complaints (ARF) fed to `kabinet bounces` mark the right letter; a
bounced address is skipped for notices while another works, and nothing is removed by it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dkim
from sqlalchemy import select

from kabinet import bootstrap
from kabinet.delivery.dkim_sign import keygen
from kabinet.demo import EMAIL
from kabinet.store.models import Contact, Outbox
from tests.integration.helpers import add_verified_email, contacts, demo_citizen
from tests.unit.test_dsn import ARF, dsn

TYPO = "ivan.ivanov@example.org"


def letters_to(kb, address: str) -> list[Outbox]:
    with kb.store.read() as db:
        return list(db.scalars(select(Outbox).where(Outbox.destination == address).order_by(Outbox.id)))


def test_a_550_at_rcpt_is_refused_for_good_in_one_pass_and_the_page_says_why(client, kb, sms, mail, ivan):
    mail.unknown = {TYPO}
    assert ivan.post("/api/v1/contacts", {"kind": "email", "value": TYPO}).status_code == 201
    ivan.deliver()
    [row] = letters_to(kb, TYPO)
    assert (row.state, row.attempts) == ("rejected", 1) and "User unknown" in row.last_error
    shown = contacts(ivan)[TYPO]
    assert shown["bounced"] is True and shown["last_delivery"]["state"] == "rejected"
    assert "User unknown" in shown["last_delivery"]["reason"]
    client.cookies.set("kabinet_session", ivan.token)
    page = client.get("/settings/contacts").text
    client.cookies.clear()
    assert "отклонено почтовым сервером" in page and "Письма на этот адрес возвращаются" in page
    again = ivan.post(f"/api/v1/contacts/{shown['id']}/resend")
    assert again.status_code == 409 and again.json()["code"] == "contact.bounced"
    assert ivan.deliver() == 0 and letters_to(kb, TYPO)[0].attempts == 1  # never retried


def test_a_451_is_retried_and_the_letter_arrives_once(client, kb, sms, mail, clock, ivan):
    address = "ivan.new@example.org"
    mail.defer_once = {address}
    added = ivan.post("/api/v1/contacts", {"kind": "email", "value": address}).json()["contact"]
    ivan.deliver()
    assert mail.deferred == [address] and letters_to(kb, address)[0].state == "failed"
    waiting = contacts(ivan)[address]["last_delivery"]
    assert waiting["state"] == "failed" and waiting["retry_at"]
    clock.advance(seconds=11)
    ivan.deliver()
    [row] = letters_to(kb, address)
    assert (row.state, row.attempts) == ("sent", 2)
    assert len(mail.to(address)) == 1
    assert mail.to(address)[0].message["Message-ID"] == f"<{row.idempotency_key}@kabinet.localhost>"
    assert added["id"]


def test_every_letter_is_dkim_signed_and_bounces_come_back_to_its_own_address(settings, clock, mail, sms, tmp_path):
    key = tmp_path / "dkim.pem"
    record = keygen(key, "kabinet", "kabinet.localhost")
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    txt = record.split("IN TXT ", 1)[1].strip('"').encode()
    kb = bootstrap.build(settings.model_copy(update={"dkim_key": key}), clock=clock)
    from fastapi.testclient import TestClient

    from kabinet.web.app import create_app

    with TestClient(create_app(kb), base_url="http://testserver") as client:
        ivan = demo_citizen(client, kb, sms, mail)
        assert ivan.post("/api/v1/notifications/test").status_code == 202
        ivan.deliver()
    received = mail.to(EMAIL)[-1]
    assert received.raw.startswith(b"DKIM-Signature:")

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"kabinet._domainkey.kabinet.localhost."
        return txt

    assert dkim.verify(received.raw, dnsfunc=dns)
    tampered = received.raw.replace(b"Subject: ", b"Subject: Re: ", 1)
    assert not dkim.verify(tampered, dnsfunc=dns)
    [row] = [r for r in letters_to(kb, EMAIL) if r.template == "test_notification"]
    assert received.mail_from.startswith(f"bounce+{row.id}-") and received.mail_from.endswith("@kabinet.localhost")
    kb.store.dispose()


def bounce(settings, raw: bytes, recipient: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KABINET_DATABASE_URL": settings.database_url, "KABINET_DATA_DIR": str(settings.data_dir),
           "KABINET_SECRET_KEY": settings.secret_key}
    args = [sys.executable, "-m", "kabinet.cli", "bounces", *(["--recipient", recipient] if recipient else [])]
    return subprocess.run(args, input=raw, env=env, capture_output=True, timeout=120, check=False)  # type: ignore[call-overload]


def test_a_bounce_and_a_complaint_fed_to_kabinet_bounces_mark_the_right_letter(client, kb, sms, mail, settings, ivan):
    assert ivan.post("/api/v1/notifications/test").status_code == 202
    assert ivan.post("/api/v1/notifications/test").status_code in (202, 429)
    ivan.deliver()
    first, *_ = [r for r in letters_to(kb, EMAIL) if r.template == "test_notification"]
    raw = dsn().replace(b"3f2a9c@kabinet.localhost", f"{first.idempotency_key}@kabinet.localhost".encode())
    done = bounce(settings, raw)
    assert done.returncode == 0, done.stderr
    assert f"letter {first.id}: bounced" in done.stdout.decode()
    with kb.store.read() as db:
        assert db.get_one(Outbox, first.id).state == "bounced"
        assert db.scalars(select(Contact).where(Contact.value == EMAIL)).one().bounced_at is not None
    shown = contacts(ivan)[EMAIL]
    assert shown["bounced"] is True and shown["verified"] is True  # flagged, not removed
    types = [e["type"] for e in ivan.get("/api/v1/history").json()["events"]]
    assert "contact:letter_bounced" in types

    complaint = ARF.replace(b"<77aa01@kabinet.localhost>", f"<{first.idempotency_key}@kabinet.localhost>".encode())
    assert b"letter" in bounce(settings, complaint).stdout
    with kb.store.read() as db:
        assert db.get_one(Outbox, first.id).state == "complained"
    nothing = bounce(settings, dsn().replace(b"bounce+42", b"bounce+999999"))
    assert nothing.returncode == 0 and b"no such letter" in nothing.stdout


def test_a_forged_bounce_naming_a_letter_by_its_bare_id_is_not_believed(client, kb, sms, mail, settings):
    from kabinet.delivery.worker import verp_mark

    ivan = demo_citizen(client, kb, sms, mail)
    assert ivan.post("/api/v1/notifications/test").status_code == 202
    ivan.deliver()
    [row] = [r for r in letters_to(kb, EMAIL) if r.template == "test_notification"]
    anonymous = dsn().replace(b"<3f2a9c@kabinet.localhost>", b"<unknown@kabinet.localhost>")
    forged = bounce(settings, anonymous, recipient=f"bounce+{row.id}@kabinet.localhost")
    assert b"no such letter" in forged.stdout  # ids are sequential: a bare one proves nothing
    wrong = bounce(settings, anonymous, recipient=f"bounce+{row.id}-000000000000@kabinet.localhost")
    assert b"no such letter" in wrong.stdout
    mark = verp_mark(kb.ctx.hasher, row.id)
    real = bounce(settings, anonymous, recipient=f"bounce+{row.id}-{mark}@kabinet.localhost")
    assert f"letter {row.id}: bounced".encode() in real.stdout


def test_a_bounced_address_is_skipped_for_notices_while_another_works_and_nothing_is_removed(client, kb, sms, mail):
    from kabinet.domain.dsn import Feedback
    from kabinet.flows.contacts import letter_fate

    ivan = demo_citizen(client, kb, sms, mail)
    add_verified_email(ivan, "ivan.ivanov@yandex.ru")
    ivan.deliver()
    [letter] = [r for r in letters_to(kb, EMAIL)][-1:]
    assert letter_fate.record_feedback(kb.ctx, Feedback("bounced", letter.idempotency_key, None, "5.1.1", "gone"))
    mail.clear()
    assert ivan.post("/api/v1/backup-codes").status_code == 201  # a security notice to every channel
    ivan.deliver()
    assert mail.to("ivan.ivanov@yandex.ru") and not mail.to(EMAIL)
    yandex = contacts(ivan)["ivan.ivanov@yandex.ru"]["id"]
    removal = ivan.delete(f"/api/v1/contacts/{yandex}")
    assert removal.status_code == 202  # the working address may go: the bounced one still counts …
    assert ivan.confirm(removal.json()["challenge"], ivan.code_for("+79001234567")).status_code == 200
    mail.clear()
    assert ivan.post("/api/v1/backup-codes").status_code == 201
    ivan.deliver()
    assert mail.to(EMAIL)  # … and as the only address left, it is still tried: never no channel at all
    assert set(contacts(ivan)) == {EMAIL, "+7 900 123-45-67"}


def test_dkim_keygen_prints_the_record_and_never_overwrites(tmp_path: Path):
    env = {**os.environ, "KABINET_MAIL_FROM": "no-reply@gosuslugi.example", "KABINET_DATA_DIR": str(tmp_path)}
    out = tmp_path / "dkim.pem"
    made = subprocess.run([sys.executable, "-m", "kabinet.cli", "dkim", "keygen", "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith('kabinet._domainkey.gosuslugi.example. IN TXT "v=DKIM1; k=rsa; p=')
    again = subprocess.run([sys.executable, "-m", "kabinet.cli", "dkim", "keygen", "--out", str(out)], env=env,
                           capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 2 and "never overwritten" in again.stderr


def test_the_operator_sees_the_same_fate(client, kb, sms, mail):
    from tests.integration.test_centre import operator

    ivan = demo_citizen(client, kb, sms, mail)
    mail.unknown = {TYPO}
    ivan.post("/api/v1/contacts", {"kind": "email", "value": TYPO})
    ivan.deliver()
    visit = operator(client, kb, sms, mail).open_visit().json()["visit"]
    typo = next(c for c in visit["account"]["contacts"] if c["value"].endswith("@example.org"))
    assert typo["last_delivery"] == "rejected" and typo["bounced"] is True


def test_metrics_show_the_outbox_to_the_monitoring_network_only(client, kb, sms, mail, clock, ivan):
    mail.refuse = True
    assert ivan.post("/api/v1/notifications/test").status_code == 202
    ivan.deliver()  # a 451: failed, waiting for its retry
    clock.advance(seconds=5)
    text = client.get("/metrics").text
    assert 'kabinet_outbox_waiting{channel="email",state="failed"} 1.0' in text
    assert "kabinet_outbox_oldest_age_seconds 5.0" in text
    assert 'kabinet_outbox_deliveries_total{channel="email",outcome="failed"}' in text
    assert 'kabinet_outbox_delivery_seconds_count{channel="sms"}' in text  # the sign-in code, sent
    from starlette.requests import Request

    from kabinet.web.metrics import metrics

    public = Request({"type": "http", "method": "GET", "path": "/metrics", "headers": [], "client": ("8.8.8.8", 5)})
    assert metrics(public, kb).status_code == 404  # the public never sees it
    private = Request({"type": "http", "method": "GET", "path": "/metrics", "headers": [], "client": ("10.0.0.7", 5)})
    assert metrics(private, kb).status_code == 200


def test_changes_close_together_make_one_notice_per_contact_and_none_is_lost(client, kb, sms, mail, ivan):
    ivan.deliver()
    sms.clear()
    email = contacts(ivan)[EMAIL]["id"]
    assert ivan.client.patch(f"/api/v1/contacts/{email}", json={"recovery": False}, headers=ivan.auth).status_code \
        == 200
    assert ivan.post("/api/v1/backup-codes").status_code == 201  # a second change before anything was sent
    assert ivan.client.patch(f"/api/v1/contacts/{email}", json={"recovery": True}, headers=ivan.auth).status_code \
        == 200
    ivan.deliver()
    notices = [m["text"] for m in sms.to("+79001234567")]
    assert len(notices) == 2  # contact changes merged into one SMS, the security notice (another kind) its own
    merged = next(t for t in notices if t.count("настройки входа и восстановления") == 2)
    assert "not-me" in merged
    assert any("резервные коды" in t for t in notices)
    with kb.store.read() as db:
        rows = db.scalars(select(Outbox).where(Outbox.destination == "+79001234567")).all()
        assert {r.state for r in rows} == {"sent"}


def test_a_notice_a_worker_has_claimed_is_never_extended(client, kb, sms, mail):
    from kabinet.delivery.worker import claim

    ivan = demo_citizen(client, kb, sms, mail)
    ivan.deliver()
    sms.clear()
    email = contacts(ivan)[EMAIL]["id"]
    ivan.client.patch(f"/api/v1/contacts/{email}", json={"recovery": False}, headers=ivan.auth)
    claimed = claim(kb.courier)  # a worker took it and is sending it
    assert claimed
    ivan.client.patch(f"/api/v1/contacts/{email}", json={"recovery": True}, headers=ivan.auth)
    with kb.store.read() as db:
        waiting = db.scalars(select(Outbox).where(Outbox.destination == "+79001234567",
                                                  Outbox.template == "contact_changed")).all()
    assert len(waiting) == 2  # the second change got its own notice, the claimed one was left alone


def test_notices_wait_a_moment_so_changes_made_together_go_out_as_one(settings, clock, sms, mail):
    from fastapi.testclient import TestClient

    from kabinet.web.app import create_app

    kb = bootstrap.build(settings.model_copy(update={"notice_delay_s": 3}), clock=clock)
    with TestClient(create_app(kb), base_url="http://testserver") as client:
        ivan = demo_citizen(client, kb, sms, mail)
        ivan.deliver()
        sms.clear()
        email = contacts(ivan)[EMAIL]["id"]
        for recovery in (False, True, False):
            client.patch(f"/api/v1/contacts/{email}", json={"recovery": recovery}, headers=ivan.auth)
            ivan.deliver()  # a notice is not due yet: nothing goes
        assert sms.to("+79001234567") == []
        clock.advance(seconds=3)
        ivan.deliver()
    [notice] = sms.to("+79001234567")
    assert notice["text"].count("настройки входа и восстановления") == 3  # three changes, one message
    kb.store.dispose()
