"""The composition root: the one place that knows every part and picks real or dev adapters from the settings.

Flows get a narrow ``FlowContext`` (no senders), the outbox worker a ``Courier`` (no limiter, no hasher); the
web app and the CLI hold the whole ``Kabinet``. Tests build one with a frozen clock and real local SMTP / HTTP
servers.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session

from kabinet import flows
from kabinet.audit.events import CHAIN_KEY
from kabinet.clock import Clock, SystemClock
from kabinet.config import Settings
from kabinet.delivery.dkim_sign import DkimSigner
from kabinet.delivery.senders import DevMailbox, DevSmsInbox, HttpSmsGateway, Mailer, SmsGateway, SmtpMailer
from kabinet.delivery.waker import Waker
from kabinet.delivery.worker import Courier
from kabinet.flows.shared.challenges import check_wiring
from kabinet.flows.shared.context import FlowContext
from kabinet.identity_registers import DevRegisters
from kabinet.policy import Cooling
from kabinet.security.crypto import Sealer
from kabinet.security.ratelimit import RateLimiter
from kabinet.security.tokens import Hasher
from kabinet.store.db import Store


@dataclass(frozen=True)
class Kabinet:
    settings: Settings
    ctx: FlowContext
    courier: Courier

    # Shortcuts for the web edge, the CLI and tests; flows and the worker only ever see their own part.
    @property
    def store(self) -> Store:
        return self.ctx.store

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    @property
    def hasher(self) -> Hasher:
        return self.ctx.hasher

    @property
    def limiter(self) -> RateLimiter:
        return self.ctx.limiter

    @property
    def outbox_sealer(self) -> Sealer:
        return self.ctx.outbox_sealer

    @property
    def totp_sealer(self) -> Sealer:
        return self.ctx.totp_sealer

    @property
    def wake(self) -> Waker:
        return self.courier.wake


def _cooling(settings: Settings) -> Cooling:
    return Cooling(contact=timedelta(hours=settings.cooling_contact_hours),
                   recovery=timedelta(hours=settings.cooling_recovery_hours),
                   trusted=timedelta(hours=settings.cooling_trusted_hours))


def build(settings: Settings, *, clock: Clock | None = None, store: Store | None = None) -> Kabinet:
    assert flows  # imported for its confirm handlers: every challenge purpose must have one before we serve
    check_wiring()
    clock = clock or SystemClock()
    store = store or Store.from_url(settings.db_url, lock_timeout_s=settings.lock_timeout_s)
    key = settings.key
    store.carry(**{CHAIN_KEY: hmac.new(key, b"history-chain", hashlib.sha256).digest()})
    outbox_sealer = Sealer(key, "outbox")
    ctx = FlowContext(
        store=store, clock=clock, hasher=Hasher(key), limiter=RateLimiter(settings.redis_url,
                                                                           enabled=settings.rate_limits,
                                                                           fallback=store.engine),
        outbox_sealer=outbox_sealer, totp_sealer=Sealer(key, "totp"), registers=DevRegisters(),
        base_url=settings.base_url, key_sealer=Sealer(key, "signing-keys"), cooling=_cooling(settings),
        notice_delay=timedelta(seconds=settings.notice_delay_s),
    )
    courier = Courier(store=store, clock=clock, sealer=outbox_sealer, mailer=_mailer(settings, store),
                      sms=_sms(settings, store, clock), wake=Waker(), mail_from=settings.mail_from,
                      dkim=DkimSigner.from_file(settings.dkim_key, settings.dkim_selector, settings.mail_from)
                      if settings.dkim_key else None, bounce_domain=settings.bounce_domain, hasher=ctx.hasher,
                      graceful_s=settings.graceful_s)
    _wake_worker_on_commit(store, courier.wake)
    return Kabinet(settings=settings, ctx=ctx, courier=courier)


def _mailer(settings: Settings, store: Store) -> Mailer:
    return DevMailbox(store) if settings.smtp_url == "dev" else SmtpMailer(settings.smtp_url)


def _sms(settings: Settings, store: Store, clock: Clock) -> SmsGateway:
    return DevSmsInbox(store, clock) if settings.sms_gateway == "dev" else HttpSmsGateway(settings.sms_gateway)


def _wake_worker_on_commit(store: Store, wake: Waker) -> None:
    """Let the in-process worker send a new message at once instead of at its next poll (``enqueue`` marks a
    transaction that queued one due now)."""
    sessions = store._sessions

    @event.listens_for(sessions, "after_commit")
    def _wake(session: Session) -> None:
        if session.info.pop("outbox", False):
            wake.set()
