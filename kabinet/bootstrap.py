"""The composition root: the one place that picks real or dev adapters from the settings.

Everything a flow needs (store, clock, hashing key, limiter, senders) hangs off ``Kabinet``; tests
build one with a frozen clock and real local SMTP / HTTP servers.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.orm import Session

from kabinet.audit.events import CHAIN_KEY
from kabinet.clock import Clock, SystemClock
from kabinet.config import Settings
from kabinet.delivery.senders import DevMailbox, DevSmsInbox, HttpSmsGateway, Mailer, SmsGateway, SmtpMailer
from kabinet.delivery.waker import Waker
from kabinet.identity_registers import DevRegisters, IdentityRegisters
from kabinet.security.crypto import Sealer
from kabinet.security.ratelimit import RateLimiter
from kabinet.security.tokens import Hasher
from kabinet.store.db import Store
from kabinet.store.models import Outbox


@dataclass
class Kabinet:
    settings: Settings
    store: Store
    clock: Clock
    hasher: Hasher
    limiter: RateLimiter
    outbox_sealer: Sealer
    totp_sealer: Sealer
    mailer: Mailer
    sms: SmsGateway
    wake: Waker = field(default_factory=Waker)
    registers: IdentityRegisters = field(default_factory=DevRegisters)


def build(settings: Settings, *, clock: Clock | None = None, store: Store | None = None) -> Kabinet:
    clock = clock or SystemClock()
    store = store or Store.from_url(settings.db_url)
    key = settings.key
    store.carry(**{CHAIN_KEY: hmac.new(key, b"history-chain", hashlib.sha256).digest()})
    kb = Kabinet(
        settings=settings, store=store, clock=clock, hasher=Hasher(key),
        limiter=RateLimiter(settings.redis_url, enabled=settings.rate_limits), outbox_sealer=Sealer(key, "outbox"),
        totp_sealer=Sealer(key, "totp"), mailer=_mailer(settings, store), sms=_sms(settings, store, clock),
    )
    _wake_worker_on_commit(kb)
    return kb


def _mailer(settings: Settings, store: Store) -> Mailer:
    return DevMailbox(store) if settings.smtp_url == "dev" else SmtpMailer(settings.smtp_url)


def _sms(settings: Settings, store: Store, clock: Clock) -> SmsGateway:
    return DevSmsInbox(store, clock) if settings.sms_gateway == "dev" else HttpSmsGateway(settings.sms_gateway)


def _wake_worker_on_commit(kb: Kabinet) -> None:
    """Let the in-process worker send a new message at once instead of at its next poll."""
    sessions = kb.store._sessions

    @event.listens_for(sessions, "before_flush")
    def _mark(session: Session, _ctx: object, _instances: object) -> None:
        if any(isinstance(obj, Outbox) for obj in session.new):
            session.info["outbox"] = True

    @event.listens_for(sessions, "after_commit")
    def _wake(session: Session) -> None:
        if session.info.pop("outbox", False):
            kb.wake.set()
