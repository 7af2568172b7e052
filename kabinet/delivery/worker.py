"""Drains the outbox: claim due rows, send each, record the outcome; retries with exponential
backoff and a dead state after ``MAX_ATTEMPTS``.

Why a lease: a claimed row's next attempt is pushed ``LEASE`` ahead inside the claiming transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so many workers never take the same row and a worker
that dies mid-send only delays its rows, never loses them. A worker's heartbeat (every ``BEAT_EVERY_S``) moves the
leases of what it is still sending on, so the lease can be short — a killed worker's messages go out from another
within ``LEASE`` — without a slow receiver's message ever being taken twice; a worker that is told to stop finishes
its sends within its bound and hands back the rest at once.

Delivery is at least once, with one idempotency key per message that every retry repeats (the letter's Message-ID,
the SMS gateway's ``id``): only a worker killed between a receiver's "accepted" and the commit that records it sends a
message again, and that copy carries the same key (docs/OPERATIONS.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from kabinet.audit.verify import breaks
from kabinet.clock import Clock
from kabinet.delivery.compose import Envelope, compose
from kabinet.delivery.dkim_sign import DkimSigner
from kabinet.delivery.metrics import DELIVERIES, LATENCY
from kabinet.delivery.outbox import unseal
from kabinet.delivery.render import render_letter, render_sms
from kabinet.delivery.senders import DeliveryError, Mailer, SetPusher, SmsGateway
from kabinet.delivery.waker import Waker
from kabinet.domain.errors import Unavailable
from kabinet.security.crypto import Sealer
from kabinet.security.tokens import Hasher
from kabinet.store import fleet
from kabinet.store.db import Store
from kabinet.store.models import Contact, Outbox
from kabinet.store.purge import purge
from kabinet.store.wakeups import listen

log = logging.getLogger("kabinet.worker")
MAX_ATTEMPTS = 6
BACKOFF_S = (10, 30, 120, 600, 1800)
LEASE = timedelta(seconds=30)
BEAT_EVERY_S = 5.0  # heartbeat, lease renewal and the fleet's periodic jobs, in one transaction
IN_FLIGHT = 16  # sends under way at once per worker
POLL_S = 1.0  # a worker also looks for due retries this often
GATHER_S = 0.05  # a finished send waits this long for others of its batch, to share their transaction
# Once per fleet (``fleet.take``): the purge hourly, every account's history chain daily.
PURGE_EVERY = timedelta(hours=1)
CHAIN_CHECK_EVERY = timedelta(days=1)


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
    graceful_s: float = 20.0  # told to stop, sends under way get this long to finish (KABINET_GRACEFUL_S)


def claim(courier: Courier, limit: int = 20) -> list[Outbox]:
    """Take up to ``limit`` due rows (codes and links first) in a transaction of their own."""
    return turn(courier, [], limit)


def _claim(db: Session, now: datetime, limit: int) -> list[Outbox]:
    """One statement: push the due rows' next attempt a lease ahead and hand them back (``UPDATE … RETURNING``;
    the inner ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers take different rows)."""
    urgent = case((Outbox.template.in_(INTERACTIVE), 0), else_=1)
    due = (select(Outbox.id).where(Outbox.state.in_(DUE), Outbox.next_attempt_at <= now)
           .order_by(urgent, Outbox.id).limit(limit).with_for_update(skip_locked=True))
    rows = db.scalars(update(Outbox).where(Outbox.id.in_(due.scalar_subquery()))
                      .values(attempts=Outbox.attempts + 1, next_attempt_at=now + LEASE).returning(Outbox)
                      .execution_options(synchronize_session=False)).all()
    return sorted(rows, key=lambda r: (r.template not in INTERACTIVE, r.id))


@dataclass(frozen=True)
class Outcome:
    """What one send came to; recorded with the others of its batch in one transaction (a transaction
    per message was a third of a message's cost)."""

    row: Outbox  # as claimed (its attempts already counted)
    state: str  # sent | failed | rejected
    detail: str  # the provider's id, or the error
    reason: str = ""  # a refusal's words


async def deliver(courier: Courier, row: Outbox) -> Outcome:
    data = unseal(row.data, courier.sealer)
    try:
        if row.channel == "email":
            letter = render_letter(row.template, row.locale, data)
            envelope = _envelope(courier, row)
            raw = compose(letter, envelope)
            provider_id = await courier.mailer.send(letter, envelope, raw=courier.dkim.sign(raw) if courier.dkim
                                                    else raw, envelope_from=_envelope_from(courier, row))
        elif row.channel == "push":
            provider_id = await courier.push.send(row.destination, data["set"], row.idempotency_key)
        elif row.channel == "logout":
            provider_id = await courier.push.logout(row.destination, data["logout_token"], row.idempotency_key)
        else:
            provider_id = await courier.sms.send(row.destination, render_sms(row.template, row.locale, data),
                                            row.idempotency_key)
    except DeliveryError as exc:
        outcome = Outcome(row, "rejected" if exc.permanent else "failed", str(exc), exc.reason)
    except Exception as exc:  # a template or data fault: retry later, end as dead, never loop forever
        log.exception("delivery %s broke", row.id)
        outcome = Outcome(row, "failed", f"error: {type(exc).__name__}")
    else:
        outcome = Outcome(row, "sent", provider_id)
    DELIVERIES.labels(row.channel, outcome.state).inc()
    return outcome


def record(courier: Courier, outcomes: list[Outcome]) -> None:
    """Every outcome of a batch in one write transaction."""
    turn(courier, outcomes, 0)


def turn(courier: Courier, outcomes: list[Outcome], room: int) -> list[Outbox]:
    """One write transaction per turn of the worker: record what finished, claim what is due."""
    if not outcomes and room <= 0:
        return []
    now = courier.clock.now()
    with courier.store.write() as db:
        _record(db, outcomes, now)
        return _claim(db, now, room) if room > 0 else []


def _record(db: Session, outcomes: list[Outcome], now: datetime) -> None:
    """One executemany of the batch's changes by id (the claimed rows carry what the rules need: no re-read)."""
    if not outcomes:
        return
    changes = [{"id": o.row.id, **{"sent": _sent, "failed": _failed, "rejected": _rejected}[o.state](o, now)}
               for o in outcomes]
    for keys in {tuple(sorted(c)) for c in changes}:  # rows changing the same columns go in one executemany
        db.execute(update(Outbox), [c for c in changes if tuple(sorted(c)) == keys])
    bounced = [o.row.contact_id for o in outcomes if o.state == "rejected" and o.row.channel == "email"
               and o.row.contact_id is not None]
    if bounced:  # the next letter must not go the same way
        db.execute(update(Contact).where(Contact.id.in_(bounced)).values(bounced_at=now))
    for outcome in outcomes:
        row = outcome.row
        fields = {"outbox_id": row.id, "channel": row.channel, "state": outcome.state, "request_id": row.request_id}
        if outcome.state == "sent":
            log.info("delivery %s sent (%s, attempt %s)", row.id, row.channel, row.attempts, extra=fields)
        else:
            log.warning("delivery %s %s: %s %s", row.id, outcome.state, outcome.detail, outcome.reason, extra=fields)


def _envelope(courier: Courier, row: Outbox) -> Envelope:
    # One Message-ID per outbox row, the same on every retry: a receiver that got it once drops the copy.
    domain = courier.mail_from.rpartition("@")[2] or "kabinet.localhost"
    return Envelope(sender=courier.mail_from, to=row.destination, at=courier.clock.now(),
                    message_id=f"<{row.idempotency_key}@{domain}>")


def _envelope_from(courier: Courier, row: Outbox) -> str:
    """VERP: a bounce that arrives days later names the letter it is about (``kabinet bounces``) — signed, because
    letter ids are sequential: without the mark anyone could mail a forged bounce for someone else's letter."""
    domain = courier.bounce_domain or courier.mail_from.rpartition("@")[2] or "kabinet.localhost"
    mark = f"-{verp_mark(courier.hasher, row.id)}" if courier.hasher else ""
    return f"bounce+{row.id}{mark}@{domain}"


def verp_mark(hasher: Hasher, row_id: int) -> str:
    return hasher.digest("verp", str(row_id))[:12]


def _wiped(row: Outbox) -> dict:
    return {k: v for k, v in row.data.items() if k != "_sealed"}  # the code is no one's business now


def _rejected(outcome: Outcome, now: datetime) -> dict:
    """Refused for good by the receiver: never retried; the receiver's words are kept for the citizen's page
    (and masked in the log, as every log line is)."""
    return {"state": "rejected", "last_error": f"{outcome.detail}: {outcome.reason}"[:500],
            "data": _wiped(outcome.row)}


def _sent(outcome: Outcome, now: datetime) -> dict:
    row = outcome.row
    LATENCY.labels(row.channel).observe(max(0.0, (now - row.created_at).total_seconds()))
    return {"state": "sent", "sent_at": now, "provider_id": outcome.detail[:200], "data": _wiped(row)}


def _failed(outcome: Outcome, now: datetime) -> dict:
    row = outcome.row
    if row.attempts >= MAX_ATTEMPTS:
        return {"state": "dead", "last_error": outcome.detail[:500], "data": _wiped(row)}
    delay = BACKOFF_S[min(row.attempts, len(BACKOFF_S)) - 1]
    return {"state": "failed", "last_error": outcome.detail[:500], "next_attempt_at": now + timedelta(seconds=delay)}


async def drain_once(courier: Courier) -> int:
    """Send one claimed batch, all at once: the waits on SMTP and the SMS gateway overlap."""
    rows = claim(courier)
    record(courier, list(await asyncio.gather(*(deliver(courier, row) for row in rows))))
    return len(rows)


def drain(courier: Courier) -> int:
    """Send everything that is due now (tests, and ``kabinet worker --once``)."""
    return asyncio.run(_drain(courier))


async def _drain(courier: Courier) -> int:
    total = 0
    try:
        while count := await drain_once(courier):
            total += count
    finally:
        await close_senders(courier)
    return total


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run(courier: Courier, stop: threading.Event, name: str | None = None) -> None:
    """Claim what is due and send each row as its own task, up to ``IN_FLIGHT`` at once.

    Each turn is one write transaction (record what finished, claim what is due). A commit that queued a message
    due now wakes the worker at once, so a code never waits behind a batch of notices; a send that finished waits
    up to ``GATHER_S`` for the others of its batch, to be recorded together, and starts a claim only if the last
    claim filled every free slot (otherwise there is nothing new to find). Delayed notices and retries are found
    by the poll, at least every ``POLL_S``. Every ``BEAT_EVERY_S`` the worker beats (``fleet.beat``) and takes
    whichever of the fleet's periodic jobs is due. Told to stop, it gives its sends ``graceful_s`` to finish,
    records them and hands back the rest."""
    me = name or worker_name()
    woken = courier.wake.attach()
    listen(courier.store.engine, courier.wake.set, stop)  # PostgreSQL: requests in other processes wake it too
    sending: dict[asyncio.Task[Outcome], int] = {}  # each send under way, and its row
    finished: list[Outcome] = []

    def done(task: asyncio.Task[Outcome]) -> None:
        sending.pop(task, None)
        if not task.cancelled() and task.exception() is None:
            finished.append(task.result())

    started = courier.clock.now()
    claim_now, more, last_claim = True, False, 0.0
    loop = asyncio.get_running_loop()
    next_beat = loop.time()
    while not stop.is_set():
        if loop.time() >= next_beat:
            next_beat = loop.time() + BEAT_EVERY_S
            jobs = _beat(courier, me, started, sending.values())
            if "purge" in jobs:
                await asyncio.to_thread(_purge, courier)
            if "chain_check" in jobs:
                loop.run_in_executor(None, check_chains, courier)  # long: sending goes on
        woken.clear()  # before claiming: a commit from now on is seen by the wait below
        batch, finished[:] = finished[:], []
        room = IN_FLIGHT - len(sending) if claim_now else 0
        try:
            rows = turn(courier, batch, room)
        except Unavailable:  # the database is away: its outcomes are recorded once it is back
            log.warning("outbox turn: the database is unavailable; trying again")
            finished[:0], rows = batch, []
        except Exception:  # a broken row must not end the worker (its lease brings it back)
            log.exception("outbox turn failed")
            finished[:0], rows = batch, []  # recorded next turn
        if room > 0:
            more, last_claim = len(rows) == room, loop.time()
        for row in rows:
            task = asyncio.create_task(deliver(courier, row))
            sending[task] = row.id
            task.add_done_callback(done)
        waiter = asyncio.create_task(woken.wait())
        await asyncio.wait({waiter, *sending}, timeout=POLL_S, return_when=asyncio.FIRST_COMPLETED)
        if finished and not woken.is_set() and sending:
            # Sends finished but nothing new was queued: let the rest of the batch finish too (at most GATHER_S; a
            # commit ends the wait at once), so their outcomes and the next claim share one transaction.
            rest = asyncio.ensure_future(asyncio.wait(set(sending), timeout=GATHER_S))
            await asyncio.wait({waiter, rest}, return_when=asyncio.FIRST_COMPLETED)
            rest.cancel()
        waiter.cancel()
        claim_now = woken.is_set() or more or loop.time() - last_claim >= POLL_S
    await _stop(courier, me, sending, finished)


async def _stop(courier: Courier, me: str, sending: dict[asyncio.Task[Outcome], int],
                finished: list[Outcome]) -> None:
    """Sends under way get ``graceful_s`` to finish; what finished is recorded, what did not is handed back (due at
    once for another worker, not after its lease), and this worker's beat is removed — one transaction."""
    if sending:
        await asyncio.wait(set(sending), timeout=courier.graceful_s)
    unsent = [row_id for task, row_id in sending.items() if not task.done()]
    for task in list(sending):
        task.cancel()
    try:
        with courier.store.write() as db:
            now = courier.clock.now()
            _record(db, finished, now)
            released = fleet.release(db, unsent, now, DUE)
            fleet.stopped(db, me)
        log.info("outbox worker %s stopped: %s recorded, %s handed back", me, len(finished), released)
    except Exception:
        log.exception("outbox worker %s could not record its last sends (their leases bring them back)", me)
    await close_senders(courier)


def _beat(courier: Courier, me: str, started: datetime, in_flight: Collection[int]) -> set[str]:
    """The heartbeat with the lease renewal, and the periodic jobs this worker takes, in one transaction."""
    ids = list(in_flight)
    try:
        with courier.store.write() as db:
            now = courier.clock.now()
            fleet.beat(db, me, now, started, ids, now + LEASE, DUE)
            return {job for job, every in (("purge", PURGE_EVERY), ("chain_check", CHAIN_CHECK_EVERY))
                    if fleet.take(db, job, now, every, me)}
    except Exception as exc:  # a missed beat is seen as an ageing one; sending goes on
        log.warning("outbox worker %s: heartbeat failed (%s)", me, type(exc).__name__)
        return set()


async def close_senders(courier: Courier) -> None:
    """The HTTP senders' connections of this loop, closed before the loop ends (not left to the garbage collector)."""
    await courier.sms.aclose()
    await courier.push.aclose()


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
