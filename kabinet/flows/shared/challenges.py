"""Every code a citizen types: one stored object with a purpose, an owner, an expiry, attempts and
resends (STYLE.md 2). A flow ``issue``s a challenge and registers what happens ``on_confirm``;
``confirm`` and ``resend`` are the same for all of them.

Why the owner check: a challenge made inside a session can only be answered from that session, and
one made before sign-in only by whoever holds its random id; anything else is "not found".
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.delivery.outbox import enqueue
from kabinet.domain.errors import (
    ChallengeDead,
    ChallengeExpired,
    ChallengeNotFound,
    ChallengeUsed,
    CodeWrong,
    ContactTooNew,
    InvalidInput,
    NoSecondChannel,
    PasskeyNotFound,
    PasskeyRefused,
    ResendTooSoon,
)
from kabinet.domain.ids import Id, parse_id
from kabinet.domain.masks import mask_destination
from kabinet.flows.shared import passkeys
from kabinet.flows.shared.accounts import Owners, code_contact, write_step
from kabinet.flows.shared.backup_codes import redeem
from kabinet.flows.shared.backup_codes import used as backup_used
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.purposes import PURPOSES, named, purpose
from kabinet.flows.shared.results import ChallengeView, challenge_view
from kabinet.policy import CODE_ATTEMPTS, CODE_TTL, RESEND_AFTER
from kabinet.security.passkeys import challenge_of, request_options
from kabinet.security.tokens import new_code
from kabinet.security.totp import totp_matches
from kabinet.store.challenges import owner
from kabinet.store.contacts import mark_alive
from kabinet.store.db import lock_challenge
from kabinet.store.models import Account, Challenge, Contact, OperatorSession
from kabinet.store.models import Session as UserSession
from kabinet.store.passkeys import passkeys_of
from kabinet.texts import translate

# Derived from the one purpose table (flows.shared.purposes)
NAMES_THE_CONTACT = named("names_contact")
FALLBACK = named("fallback")
PASSKEY_ANSWERS = named("passkey")
NEW_PASSKEY_CANNOT = named("new_passkey_cannot")


# Who answers a code: a citizen's session, an operator's, or nobody yet (sign-in, registration, recovery).
Caller = UserSession | OperatorSession | None


@dataclass
class Step:
    """What a confirm handler gets: the open transaction and who is asking."""

    ctx: FlowContext
    db: Session
    meta: Meta
    now: datetime
    session: Caller


Handler = Callable[[Step, Challenge, Account | None], Any]
# A purpose whose code is not one we sent checks it itself (an app being enrolled, an operator's app).
Check = Callable[[FlowContext, Session, Challenge, str, datetime, Meta], bool]


@dataclass(frozen=True)
class Confirmed:
    """A code that worked: its purpose and what its handler answered (a small dataclass of the purpose's flow)."""

    purpose: str
    result: Any
_HANDLERS: dict[str, Handler] = {}
_CHECKS: dict[str, Check] = {}


def on_confirm(name: str, *, check: Check | None = None) -> Callable[[Handler], Handler]:
    """Register the flow that finishes a confirmed ``name`` challenge (and, for an app's code, how to check it)."""
    assert name in PURPOSES, f"{name}: not in flows.shared.purposes"

    def register(handler: Handler) -> Handler:
        _HANDLERS[name] = handler
        if check is not None:
            _CHECKS[name] = check
        return handler

    return register


def check_wiring() -> None:
    """Every purpose answered by a code or an app has its confirm handler, and every app purpose its check: called
    by ``bootstrap`` once the flows are imported, so a purpose whose handler was never imported fails the start,
    not a citizen's confirmation."""
    missing = [p.name for p in PURPOSES.values() if p.answered_by != "link" and p.name not in _HANDLERS]
    unchecked = [p.name for p in PURPOSES.values() if p.answered_by == "app" and p.name not in _CHECKS]
    if missing or unchecked:
        raise RuntimeError(f"purposes without a confirm handler: {missing}; app codes without a check: {unchecked}")


def issue(
    ctx: FlowContext, db: Session, *, now: datetime, meta: Meta, purpose: str, channel: str,
    destination: str | None = None, account: Account | None = None, session: UserSession | None = None,
    contact_id: uuid.UUID | None = None, payload: dict[str, Any] | None = None, silent: str | None = None,
    decoy: bool = False, notice: dict[str, Any] | None = None,
) -> Challenge:
    """A new challenge, its code queued for sending. ``silent`` names a template sent instead of a
    code: the challenge then looks the same to the caller but no code can ever answer it. A ``decoy`` (a
    login that matched nothing) spends the same budgets and sends nothing at all."""
    ch = Challenge(
        id=uuid.uuid4(), purpose=purpose, channel=channel, destination=destination,
        account_id=account.id if account else None, session_id=session.id if session else None,
        contact_id=contact_id, expires_at=now + CODE_TTL, attempts_left=CODE_ATTEMPTS, created_at=now,
        payload={**(payload or {}), **({"silent": silent, "notice": notice or {}} if silent else {}),
                 **({"decoy": True} if decoy else {})},
    )
    assert purpose in PURPOSES, f"{purpose}: not in flows.shared.purposes"
    db.add(ch)
    if channel in ("sms", "email"):
        _send(ctx, db, ch, now, meta)
    return ch


def _spend(ctx: FlowContext, ch: Challenge, ip: str | None) -> None:
    """Whose budgets a sent code spends (the purpose's: an owner's after a password or inside a session, or the
    anonymous ones of registration and recovery)."""
    assert ch.destination is not None
    keys = {"destination": ch.destination, "prefix": ch.destination[:9], "ip": ip or "-",
            "account": str(ch.account_id)}
    ctx.limiter.hit_all([(rule, keys[rule.rsplit(".", 1)[1]]) for rule in purpose(ch.purpose).budget])


def _send(ctx: FlowContext, db: Session, ch: Challenge, now: datetime, meta: Meta) -> None:
    assert ch.destination is not None
    _spend(ctx, ch, meta.ip)
    ch.sends += 1
    ch.last_sent_at = now
    # The account's language when there is an account (a setting); the caller's before there is one.
    owner = db.get(Account, ch.account_id) if ch.account_id else None
    locale = owner.locale if owner is not None else meta.locale
    common: dict[str, Any] = {"now": now, "channel": ch.channel, "destination": ch.destination, "locale": locale,
              "account_id": ch.account_id, "contact_id": ch.contact_id}
    if ch.payload.get("decoy"):
        return
    if silent := ch.payload.get("silent"):
        # The caller sees the same challenge either way; the owner hears of it at most once a day.
        if ctx.limiter.try_hit("notice.silent.destination", ch.destination):
            enqueue(db, template=silent, data=ch.payload.get("notice"), **common)
        return
    code = new_code()
    ch.secret_hash = ctx.hasher.digest(f"code:{ch.id}", code)
    action = translate(locale, purpose(ch.purpose).sms or "Confirming an action")
    if ch.purpose in NAMES_THE_CONTACT and ch.contact_id is not None and (about := db.get(Contact, ch.contact_id)):
        # "Removing a contact: i***@mail.ru": a citizen asked to read a code out learns what it would do
        action = f"{action}: {mask_destination('sms' if about.kind == 'phone' else 'email', about.value)}"
    enqueue(db, template="code", data={"action": action}, secret={"code": code}, sealer=ctx.outbox_sealer,
            **common)


def _parse_id(challenge_id: Id) -> uuid.UUID:
    return parse_id(challenge_id, ChallengeNotFound)


def _owned(ch: Challenge | None, session: Caller) -> Challenge:
    """A code made inside a citizen's session is answered from that session only; one made inside an operator's
    (``payload["operator_session"]``), from that operator session only."""
    if ch is None:
        raise ChallengeNotFound()
    citizen = session.id if isinstance(session, UserSession) else None
    operator = str(session.id) if isinstance(session, OperatorSession) else None
    if ch.session_id is not None and ch.session_id != citizen:
        raise ChallengeNotFound()
    if ch.payload.get("operator_session") not in (None, operator):
        raise ChallengeNotFound()
    return ch


def _load(db: Session, challenge_id: Id, session: Caller) -> Challenge:
    """For reads only: a write must use ``_lock``."""
    return _owned(db.get(Challenge, _parse_id(challenge_id)), session)


def _owner_of(challenge_id: Id) -> Callable[[Session], Owners]:
    cid = _parse_id(challenge_id)
    return lambda db: owner(db, cid)


def _locked(db: Session, challenge_id: Id, session: Caller) -> Challenge:
    """Lock, then read, then check: the account row is locked first (``write_step``), then the challenge row is
    read afresh under its lock. On PostgreSQL two confirms of one code would otherwise both read it unconsumed
    and both succeed; here the second waits and then finds it used, and every wrong try counts."""
    return _owned(lock_challenge(db, _parse_id(challenge_id)), session)


def _ensure_usable(ch: Challenge, now: datetime) -> None:
    if ch.consumed_at is not None:
        raise ChallengeUsed()
    if ch.attempts_left <= 0:
        raise ChallengeDead()
    if now >= ch.expires_at:
        raise ChallengeExpired()


def _code_ok(ctx: FlowContext, db: Session, ch: Challenge, account: Account | None, code: str,
             now: datetime, meta: Meta) -> bool:
    if (check := _CHECKS.get(ch.purpose)) is not None:
        return check(ctx, db, ch, code, now, meta)
    if ch.channel == "totp":
        return totp_matches(ctx.totp_sealer, account, code, now)
    return ctx.hasher.matches(f"code:{ch.id}", code, ch.secret_hash)


def confirm(ctx: FlowContext, meta: Meta, challenge_id: Id, code: str, session: Caller) -> Confirmed:
    """Check ``code``; on success run the purpose's handler in the same transaction and return its result."""
    code = (code or "").strip()
    if not (code.isascii() and code.isdigit()) or len(code) > 10:  # "١٢٣" is digits too, to Python
        raise InvalidInput(field="code")
    ctx.limiter.check("code.check.ip", meta.ip or "-")
    failure: Exception | None = None
    with write_step(ctx, _owner_of(challenge_id)) as (db, account, now):
        ch = _locked(db, challenge_id, session)
        _ensure_usable(ch, now)
        if account is not None:  # TOTP codes can be asked for again and again: a budget per account, too
            ctx.limiter.check("code.check.account", str(account.id))
        if _code_ok(ctx, db, ch, account, code, now, meta):
            ch.consumed_at = now
            step = Step(ctx=ctx, db=db, meta=meta, now=now, session=session)
            result = _HANDLERS[ch.purpose](step, ch, account)
            _mark_contact_alive(db, ch, now)
            return Confirmed(purpose=ch.purpose, result=result)
        ch.attempts_left -= 1
        if account is not None:
            record(db, account, EventType.CODE_WRONG, at=now, meta=meta, purpose=ch.purpose)
            # Counted while the account lock is held: a confirm racing this one checks after this count.
            ctx.limiter.try_hit("code.check.account", str(account.id))
        failure = CodeWrong(attempts_left=ch.attempts_left) if ch.attempts_left > 0 else ChallengeDead()
    ctx.limiter.hit("code.check.ip", meta.ip or "-")
    raise failure


def _mark_contact_alive(db: Session, ch: Challenge, now: datetime) -> None:
    """The citizen holds this phone or mailbox today. Not for recovery codes: a contact that was silent
    for long must not make itself fresh by starting a recovery (flows/recovery/password_reset)."""
    if ch.contact_id is not None and ch.channel in ("sms", "email") and ch.purpose != "recovery":
        mark_alive(db, ch.contact_id, now)


def resend(ctx: FlowContext, meta: Meta, challenge_id: Id, session: Caller) -> ChallengeView:
    with write_step(ctx, _owner_of(challenge_id)) as (db, _account, now):
        ch = _locked(db, challenge_id, session)
        _ensure_usable(ch, now)
        if ch.channel in ("totp", passkeys.CHANNEL):  # nothing we send: an app's code, or a passkey's answer
            return challenge_view(ch)
        wait = (ch.last_sent_at + RESEND_AFTER - now).total_seconds() if ch.last_sent_at else 0
        if wait > 0:
            raise ResendTooSoon(resend_after=math.ceil(wait))
        _send(ctx, db, ch, now, meta)
        ch.expires_at = now + CODE_TTL
        return challenge_view(ch)


# Second factors the citizen may answer another way when the app is not at hand (a lost or new phone): a code by
# SMS (or to the primary email) instead, or one of the backup codes on paper.


def by_message(ctx: FlowContext, meta: Meta, challenge_id: Id, session: Caller) -> ChallengeView:
    """The app's challenge becomes a code sent to the account's phone (or email): the same challenge, with the
    attempts it has left, so switching never buys more guesses."""
    with write_step(ctx, _owner_of(challenge_id)) as (db, account, now):
        ch = _locked(db, challenge_id, session)
        _ensure_usable(ch, now)
        if ch.channel != "totp" or ch.purpose not in FALLBACK or account is None:
            return challenge_view(ch)
        channel, contact = code_contact(db, account)
        if contact is None:
            raise NoSecondChannel()
        ch.channel, ch.destination, ch.contact_id = channel, contact.value, contact.id
        _send(ctx, db, ch, now, meta)
        ch.expires_at = now + CODE_TTL
        return challenge_view(ch)


def confirm_with_backup_code(ctx: FlowContext, meta: Meta, challenge_id: Id, code: str,
                             session: Caller) -> Confirmed:
    """A sign-in or step-up answered with one of the account's backup codes: used up, every channel told, and the
    purpose's handler run as for a code. A wrong one spends an attempt of the challenge, as a wrong code does."""
    code = (code or "").strip()[:32]
    ctx.limiter.check("code.check.ip", meta.ip or "-")
    failure: Exception | None = None
    with write_step(ctx, _owner_of(challenge_id)) as (db, account, now):
        ch = _locked(db, challenge_id, session)
        _ensure_usable(ch, now)
        if ch.purpose not in FALLBACK or account is None:
            raise ChallengeNotFound()
        ctx.limiter.check("code.check.account", str(account.id))
        if code and redeem(ctx, db, account.id, code, now):
            ch.consumed_at, ch.channel = now, "backup"  # how it was answered: the history says so
            backup_used(ctx, db, account, meta=meta, now=now)
            result = _HANDLERS[ch.purpose](Step(ctx=ctx, db=db, meta=meta, now=now, session=session), ch, account)
            return Confirmed(purpose=ch.purpose, result=result)
        ch.attempts_left -= 1
        record(db, account, EventType.CODE_WRONG, at=now, meta=meta, purpose=ch.purpose)
        ctx.limiter.try_hit("code.check.account", str(account.id))
        failure = CodeWrong(attempts_left=ch.attempts_left) if ch.attempts_left > 0 else ChallengeDead()
    ctx.limiter.hit("code.check.ip", meta.ip or "-")
    raise failure


# What a passkey may answer in place of a code: whatever confirms it is the account's owner. Not what
# proves a contact or an app (a code sent there, or from it, is the point) nor a recovery (its own proofs).


def passkey_options(ctx: FlowContext, meta: Meta, challenge_id: Id, session: Caller) -> dict[str, Any]:
    """WebAuthn request options for answering this challenge with one of the account's passkeys; the challenge
    keeps the WebAuthn one (a keyed hash), for one answer."""
    rp = passkeys.party(ctx)
    with write_step(ctx, _owner_of(challenge_id)) as (db, account, now):
        ch = _locked(db, challenge_id, session)
        _ensure_usable(ch, now)
        mine = passkeys_of(db, account.id) if account is not None and ch.purpose in PASSKEY_ANSWERS else []
        if not mine:
            raise PasskeyNotFound()
        made, webauthn = request_options(rp, allow=[(p.credential_id, p.transports) for p in mine])
        ch.payload = {**ch.payload, "webauthn": passkeys.digest(ctx, webauthn)}
        return made


def confirm_with_passkey(ctx: FlowContext, meta: Meta, challenge_id: Id, credential: dict[str, Any],
                         session: Caller) -> Confirmed:
    """The challenge answered by a passkey (user verified): its handler runs as for a code. A failed answer spends
    an attempt; a passkey added within the cooling-off cannot confirm removing or changing a contact."""
    webauthn = challenge_of(credential)
    failure: Exception = PasskeyRefused()
    with write_step(ctx, _owner_of(challenge_id)) as (db, account, now):
        ch = _locked(db, challenge_id, session)
        _ensure_usable(ch, now)
        expected = ch.payload.get("webauthn")
        ch.payload = {k: v for k, v in ch.payload.items() if k != "webauthn"}  # one answer per options
        if account is not None and ch.purpose in PASSKEY_ANSWERS and webauthn and expected == passkeys.digest(
                ctx, webauthn):
            try:
                used = passkeys.prove(ctx, db, account, credential, webauthn, meta=meta, now=now)
            except PasskeyRefused as exc:
                failure = exc
            else:
                if ch.purpose in NEW_PASSKEY_CANNOT and passkeys.is_new(ctx, used, now):
                    raise ContactTooNew(hours=int(ctx.cooling.contact.total_seconds() // 3600))
                ch.consumed_at, ch.channel = now, passkeys.CHANNEL
                passkeys.bind_factor(db, ch, used, ch.session_id)  # a sign-in's handler names its new session
                result = _HANDLERS[ch.purpose](Step(ctx=ctx, db=db, meta=meta, now=now, session=session), ch, account)
                return Confirmed(purpose=ch.purpose, result=result)
        ch.attempts_left -= 1
    raise failure


def show(ctx: FlowContext, challenge_id: Id, session: Caller) -> ChallengeView:
    """The public view of a challenge its owner may answer (for the code page); nothing changes."""
    with ctx.store.read() as db:
        ch = _load(db, challenge_id, session)
        _ensure_usable(ch, ctx.clock.now())
        return challenge_view(ch)
