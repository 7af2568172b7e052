"""Drains the outbox: claim due rows, send each, record the outcome; retries with exponential
backoff and a dead state after ``MAX_ATTEMPTS``.

Why a lease: a claimed row's next attempt is pushed ``LEASE`` ahead inside the claiming transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so many workers never take the same row and a worker
that dies mid-send only delays its rows, never loses them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from kabinet.audit.verify import breaks
from kabinet.clock import Clock
from kabinet.delivery.dkim_sign import DkimSigner
from kabinet.delivery.metrics import DELIVERIES, LATENCY
from kabinet.delivery.outbox import unseal
from kabinet.delivery.render import render_letter, render_sms
from kabinet.delivery.senders import DeliveryError, Mailer, SetPusher, SmsGateway
from kabinet.delivery.waker import Waker
from kabinet.security.crypto import Sealer
from kabinet.security.tokens import Hasher
from kabinet.store.db import Store
from kabinet.store.models import Contact, Outbox
from kabinet.store.purge import purge
from kabinet.store.wakeups import listen

log = logging.getLogger("kabinet.worker")
MAX_ATTEMPTS = 6
BACKOFF_S = (10, 30, 120, 600, 1800)
LEASE = timedelta(minutes=2)
IN_FLIGHT = 16  # sends under way at once per worker
POLL_S = 1.0  # a worker also looks for due retries this often
PURGE_EVERY = timedelta(hours=1)
# Every account's history chain, walked once a day (the first walk ten minutes after start, not at every start).
CHAIN_CHECK_EVERY = timedelta(days=1)
CHAIN_CHECK_FIRST = timedelta(minutes=10)


# "failed" is a temporary failure waiting for its retry (API.md's delivery states); both are due in turn.
DUE = ("queued", "failed")
# Someone is waiting for these (a code, a link to click); notices can follow a moment later.
INTERACTIVE = ("code", "verify_email")


@dataclass(frozen=True)
class Courier:
    """What the worker may touch: the store, the clock, the outbox sealer, the two senders and the waker.
    Flows never get one (they only queue); the composition root builds one for the in-process worker and for
    ``kabinet worker``."""

    store: Store
    clock: Clock
    sealer: Sealer
    mailer: Mailer
    sms: SmsGateway
    wake: Waker
    mail_from: str
    push: SetPusher = field(default_factory=SetPusher)
    dkim: DkimSigner | None = None  # every letter signed when a key is configured
    bounce_domain: str | None = None  # VERP: bounces come back to bounce+<row id>-<mac>@this (default: mail_from's)
    hasher: Hasher | None = None  # signs the VERP address, so a forged bounce cannot name someone else's letter


def claim(courier: Courier, limit: int = 20) -> list[Outbox]:
    now = courier.clock.now()
    urgent = case((Outbox.template.in_(INTERACTIVE), 0), else_=1)
    with courier.store.write() as db:
        rows = list(db.scalars(
            select(Outbox).where(Outbox.state.in_(DUE), Outbox.next_attempt_at <= now)
            .order_by(urgent, Outbox.id).limit(limit).with_for_update(skip_locked=True)
        ))
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + LEASE
    return rows


@dataclass(frozen=True)
class Outcome:
    """What one send came to; recorded with the others of its batch in one transaction (issue 12: a transaction
    per message was a third of a message's cost)."""

    row_id: int
    state: str  # sent | failed | rejected
    detail: str  # the provider's id, or the error
    reason: str = ""  # a refusal's words


async def deliver(courier: Courier, row: Outbox) -> Outcome:
    data = unseal(row.data, courier.sealer)
    try:
        if row.channel == "email":
            letter = render_letter(row.template, row.locale, data)
            message = _message(courier, row, letter)
            raw = message.as_bytes(policy=SMTP)
            provider_id = await courier.mailer.send(message, letter, raw=courier.dkim.sign(raw) if courier.dkim
                                                    else raw, envelope_from=_envelope_from(courier, row))
        elif row.channel == "push":
            provider_id = await courier.push.send(row.destination, data["set"], row.idempotency_key)
        else:
            provider_id = await courier.sms.send(row.destination, render_sms(row.template, row.locale, data),
                                            row.idempotency_key)
    except DeliveryError as exc:
        outcome = Outcome(row.id, "rejected" if exc.permanent else "failed", str(exc), exc.reason)
    except Exception as exc:  # a template or data fault: retry later, end as dead, never loop forever
        log.exception("delivery %s broke", row.id)
        outcome = Outcome(row.id, "failed", f"error: {type(exc).__name__}")
    else:
        outcome = Outcome(row.id, "sent", provider_id)
    DELIVERIES.labels(row.channel, outcome.state).inc()
    return outcome


def record(courier: Courier, outcomes: list[Outcome]) -> None:
    """Every outcome of a batch in one write transaction."""
    if not outcomes:
        return
    now = courier.clock.now()
    with courier.store.write() as db:  # one read of the batch's rows, one executemany of their changes
        rows = {r.id: r for r in db.scalars(select(Outbox).where(Outbox.id.in_([o.row_id for o in outcomes])))}
        for outcome in outcomes:
            {"sent": _sent, "failed": _failed, "rejected": _rejected}[outcome.state](
                db, rows[outcome.row_id], outcome, now)
    for outcome in outcomes:
        if outcome.state != "sent":
            log.warning("delivery %s %s: %s %s", outcome.row_id, outcome.state, outcome.detail, outcome.reason)


def _message(courier: Courier, row: Outbox, letter) -> EmailMessage:  # type: ignore[no-untyped-def]
    msg = EmailMessage()
    msg["From"] = courier.mail_from
    msg["To"] = row.destination
    msg["Subject"] = letter.subject
    msg["Date"] = formatdate(courier.clock.now().timestamp(), usegmt=True)
    # One Message-ID per outbox row, the same on every retry: a receiver that got it once drops the copy.
    msg["Message-ID"] = f"<{row.idempotency_key}@{courier.mail_from.rpartition('@')[2] or 'kabinet.localhost'}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(letter.text)
    msg.add_alternative(letter.html, subtype="html")
    return msg


def _envelope_from(courier: Courier, row: Outbox) -> str:
    """VERP: a bounce that arrives days later names the letter it is about (``kabinet bounces``) — signed, because
    letter ids are sequential: without the mark anyone could mail a forged bounce for someone else's letter."""
    domain = courier.bounce_domain or courier.mail_from.rpartition("@")[2] or "kabinet.localhost"
    mark = f"-{verp_mark(courier.hasher, row.id)}" if courier.hasher else ""
    return f"bounce+{row.id}{mark}@{domain}"


def verp_mark(hasher: Hasher, row_id: int) -> str:
    return hasher.digest("verp", str(row_id))[:12]


def _rejected(db: Session, row: Outbox, outcome: Outcome, now: datetime) -> None:
    """Refused for good by the receiver: never retried; the receiver's words are kept for the citizen's page
    (and masked in the log, as every log line is)."""
    row.state, row.last_error = "rejected", f"{outcome.detail}: {outcome.reason}"[:500]
    row.data = {k: v for k, v in row.data.items() if k != "_sealed"}
    if row.channel == "email" and row.contact_id is not None:  # the next letter must not go the same way
        db.execute(update(Contact).where(Contact.id == row.contact_id).values(bounced_at=now))


def _sent(db: Session, row: Outbox, outcome: Outcome, now: datetime) -> None:
    LATENCY.labels(row.channel).observe(max(0.0, (now - row.created_at).total_seconds()))
    row.state, row.sent_at, row.provider_id = "sent", now, outcome.detail[:200]
    row.data = {k: v for k, v in row.data.items() if k != "_sealed"}  # the code is no one's business now


def _failed(db: Session, row: Outbox, outcome: Outcome, now: datetime) -> None:
    row.last_error = outcome.detail[:500]
    if row.attempts >= MAX_ATTEMPTS:
        row.state = "dead"
        row.data = {k: v for k, v in row.data.items() if k != "_sealed"}
    else:
        row.state = "failed"
        delay = BACKOFF_S[min(row.attempts, len(BACKOFF_S)) - 1]
        row.next_attempt_at = now + timedelta(seconds=delay)


async def drain_once(courier: Courier) -> int:
    """Send one claimed batch, all at once: the waits on SMTP and the SMS gateway overlap."""
    rows = claim(courier)
    record(courier, list(await asyncio.gather(*(deliver(courier, row) for row in rows))))
    return len(rows)


def drain(courier: Courier) -> int:
    """Send everything that is due now (tests, and ``kabinet worker --once``)."""
    total = 0
    while count := asyncio.run(drain_once(courier)):
        total += count
    return total


async def run(courier: Courier, stop: threading.Event) -> None:
    """Claim what is due and send each row as its own task, up to ``IN_FLIGHT`` at once; claim again as soon as
    a commit queues something or a send finishes, so a code never waits behind a batch of notices."""
    woken = courier.wake.attach()
    listen(courier.store.engine, courier.wake.set, stop)  # PostgreSQL: requests in other processes wake it too
    sending: set[asyncio.Task[Outcome]] = set()
    finished: list[Outcome] = []

    def done(task: asyncio.Task[Outcome]) -> None:
        sending.discard(task)
        if not task.cancelled() and task.exception() is None:
            finished.append(task.result())

    next_purge, next_check = courier.clock.now(), courier.clock.now() + CHAIN_CHECK_FIRST
    while not stop.is_set():
        if courier.clock.now() >= next_purge:
            next_purge = courier.clock.now() + PURGE_EVERY
            await asyncio.to_thread(_purge, courier)
        if courier.clock.now() >= next_check:
            next_check = courier.clock.now() + CHAIN_CHECK_EVERY
            asyncio.get_running_loop().run_in_executor(None, check_chains, courier)  # long: sending goes on
        woken.clear()  # before claiming: a commit from now on is seen by the wait below
        try:
            batch, finished[:] = finished[:], []
            record(courier, batch)  # what finished since the last turn, in one transaction
            for row in claim(courier, limit=IN_FLIGHT - len(sending)) if len(sending) < IN_FLIGHT else []:
                task = asyncio.create_task(deliver(courier, row))
                sending.add(task)
                task.add_done_callback(done)
        except Exception:  # a broken row or a lost database must not end the worker (its lease brings it back)
            log.exception("outbox claim failed")
        waiter = asyncio.create_task(woken.wait())
        await asyncio.wait({waiter, *sending}, timeout=POLL_S, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
    if sending:
        await asyncio.wait(sending, timeout=30)
    record(courier, finished)


def _purge(courier: Courier) -> None:
    try:
        purge(courier.store, courier.clock.now())
    except Exception:  # a purge that fails is tried again next hour; sending goes on
        log.exception("purge failed")


def check_chains(courier: Courier) -> int:
    """The scheduled ``kabinet audit verify``: each break is an error in the log (for the alerting that watches
    it); how many were found."""
    found = 0
    try:
        for broken in breaks(courier.store):
            found += 1
            log.error("history chain broken: account %s at event %s", broken.account_id,
                      broken.seq or "head (newest missing)")
        log.info("history chains checked: %s broken", found)
    except Exception:
        log.exception("history chain check failed")
    return found


def start_thread(courier: Courier) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(run(courier, stop)), name="kabinet-outbox", daemon=True)
    thread.start()
    return thread, stop
