"""Passkeys as a proof, for every room that takes one (a sign-in, a step-up, a confirmation): where a WebAuthn
challenge is kept, and the check of an authenticator's answer against the account's own passkeys — with a counter
that went backwards refused, recorded, told on every channel and to connected services (a copy of the key is in use).

The relying party is the host of ``KABINET_BASE_URL`` (API.md), an IP address included: the API serves it, and an
authenticator spoken to directly (a software one, a security key through a native client) accepts it. Browsers do
not, so the pages ask ``in_browsers`` and, on an IP, say passkeys need the site's name instead of offering a button
that fails. Only a base URL with no host at all has no relying party (``PasskeysUnavailable``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kabinet.audit.events import CITIZEN, Actor, EventType, Meta, record
from kabinet.domain.errors import (
    PasskeyCloned,
    PasskeyInvalid,
    PasskeyNameInvalid,
    PasskeyRefused,
    PasskeysUnavailable,
)
from kabinet.flows.shared import relying
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import security_notice
from kabinet.policy import PASSKEY_CHALLENGE_TTL
from kabinet.security.passkeys import (
    CounterWentBack,
    Refused,
    Registered,
    RelyingParty,
    browsers_accept,
    credential_id_of,
    relying_party,
    verify_registration,
)
from kabinet.security.passkeys import verify_assertion as check_assertion
from kabinet.store.challenges import by_link, passkey_factor
from kabinet.store.models import Account, Challenge, Passkey
from kabinet.store.models import Session as UserSession
from kabinet.store.passkeys import by_credential, passkeys_of
from kabinet.texts import text

# the purposes of the WebAuthn challenges kept for them: adding one, signing in, a recovery's proof
ADD, SIGN_IN, RECOVERY = "passkey_add", "passkey_sign_in", "passkey_recovery"
CHANNEL = "passkey"


def party(ctx: FlowContext) -> RelyingParty:
    rp = relying_party(ctx.base_url)
    if not rp.id:
        raise PasskeysUnavailable()
    return rp


def in_browsers(ctx: FlowContext) -> bool:
    """Whether a browser can use passkeys here: the pages offer them only then (never on an IP address)."""
    return browsers_accept(relying_party(ctx.base_url).id)


def digest(ctx: FlowContext, challenge: str) -> str:
    return ctx.hasher.digest("webauthn", challenge)


def remember(ctx: FlowContext, db: Session, challenge: str, *, purpose: str, now: datetime,
             account: Account | None = None, session: UserSession | None = None,
             payload: dict[str, Any] | None = None) -> Challenge:
    """A WebAuthn challenge, kept as a keyed hash for five minutes, used once."""
    row = Challenge(id=uuid.uuid4(), purpose=purpose, channel=CHANNEL, account_id=account.id if account else None,
                    session_id=session.id if session else None, secret_hash=digest(ctx, challenge),
                    expires_at=now + PASSKEY_CHALLENGE_TTL, attempts_left=1, created_at=now, payload=payload or {})
    db.add(row)
    return row


def registered(ctx: FlowContext, db: Session, credential: dict[str, Any], challenge: str, now: datetime, *,
               asked_by: Callable[[Challenge], bool], purpose: str = ADD) -> Registered | None:
    """A new passkey's or key's answer to a registration challenge of ours: the challenge found, still open and
    asked for by this session (``asked_by``; else ``PasskeyInvalid``), used up whatever the answer; then the
    authenticator's answer checked — ``None`` when it does not hold. The caller raises only after its step commits,
    so the challenge stays used up."""
    ch = by_link(db, digest(ctx, challenge), purpose, lock=True) if challenge else None
    if ch is None or ch.consumed_at is not None or now >= ch.expires_at or not asked_by(ch):
        raise PasskeyInvalid()
    ch.consumed_at = now  # once, whatever the answer
    try:
        return verify_registration(party(ctx), credential, challenge)
    except Refused:
        return None


def clean_name(raw: str) -> str:
    """The name a citizen or an operator gives a passkey or key: spaces folded, 1–64 printable characters."""
    name = " ".join((raw or "").split())
    if not 1 <= len(name) <= 64 or not name.isprintable():
        raise PasskeyNameInvalid(field="name")
    return name


def handle_of(account_id: uuid.UUID) -> bytes:
    """The WebAuthn user handle: the account's random id (no name, no number in it)."""
    return account_id.bytes


def account_of(handle: bytes | None) -> uuid.UUID | None:
    return uuid.UUID(bytes=handle) if handle is not None and len(handle) == 16 else None


def prove(ctx: FlowContext, db: Session, account: Account, credential: dict[str, Any], challenge: str, *,
          meta: Meta, now: datetime) -> Passkey:
    """The account's passkey behind this answer, its counter and last use moved on (the caller holds the account
    lock). ``PasskeyRefused`` for any failure; ``PasskeyCloned`` for a counter that went backwards, which is also
    recorded and told — the caller commits before it raises."""
    found = by_credential(db, credential_id_of(credential) or "", lock=True)
    if found is None or found.account_id != account.id:
        raise PasskeyRefused()
    try:
        count, backed_up = check_assertion(party(ctx), credential, challenge, public_key=found.public_key,
                                           sign_count=found.sign_count)
    except CounterWentBack:
        _clone_refused(ctx, db, account, found, meta=meta, now=now)
        raise PasskeyCloned() from None
    except Refused:
        raise PasskeyRefused() from None
    found.sign_count, found.backup_state, found.last_used_at = count, backed_up, now
    return found


def _clone_refused(ctx: FlowContext, db: Session, account: Account, found: Passkey, *, meta: Meta,
                   now: datetime) -> None:
    """A copy of the key is in use: in the history, told on every channel (the copier may hold a primary contact),
    and to connected services as a credential change — the key stays until the citizen removes it."""
    record(db, account, EventType.PASSKEY_CLONE_REFUSED, at=now, meta=meta, passkey=str(found.id), name=found.name)
    security_notice(ctx, db, account, now=now, what=text(
        "a copy of the passkey “{name}” was refused: remove it and add a new one", name=found.name))
    relying.push_caep(ctx, db, account.id, "credential-change", now, change_type="update",
                      credential_type=credential_type(found),
                      reason_admin={"en": "a copy of the passkey was refused: its signature counter went backwards"})


def credential_type(passkey: Passkey) -> str:
    """CAEP's name for it: a synced (backup-eligible) passkey lives on the platform, else a roaming key."""
    return "fido2-platform" if passkey.backup_eligible else "fido2-roaming"


def is_new(ctx: FlowContext, passkey: Passkey, now: datetime) -> bool:
    """Added within the cooling-off: like a new contact, it neither recovers nor confirms removing older ones."""
    return now - passkey.created_at < ctx.cooling.contact


def may_remove(ctx: FlowContext, factor: Passkey | None, target: Passkey, now: datetime) -> bool:
    """The contacts' rule (``domain.cooling.may_confirm_removal``) for a session whose second factor was a passkey: a
    new one removes only a passkey at least as new as itself — an intruder's fresh key cannot drop the citizen's."""
    return factor is None or not is_new(ctx, factor, now) or target.created_at >= factor.created_at


def bind_factor(db: Session, ch: Challenge, passkey: Passkey, session_id: uuid.UUID | None) -> None:
    """Remember on the answered challenge which passkey gave which session its second factor (``factor_of``): the
    cooling-off rules ask it later. Kept a day with the challenge (store.purge), well past the step-up window."""
    ch.payload = {**ch.payload, "passkey": str(passkey.id)}
    if session_id is not None:
        ch.session_id = session_id


def factor_of(db: Session, session: UserSession) -> Passkey | None:
    """The passkey behind the session's current second factor, if a passkey gave it."""
    if session.second_factor_at is None:
        return None
    found = passkey_factor(db, session.id, session.second_factor_at)
    return db.get(Passkey, uuid.UUID(found)) if found else None


def drop_new(ctx: FlowContext, db: Session, account: Account, *, now: datetime, meta: Meta, why: str,
             keep: frozenset[uuid.UUID] = frozenset(), actor: Actor = CITIZEN, **details: Any) -> list[str]:
    """Remove the passkeys added within the cooling-off (but ``keep``, a recovery's own proof): after "this wasn't
    me" or a completed recovery, a passkey the intruder added must not outlive the password they knew. Each one is
    in the history; every channel is told, and connected services hear a credential change. The names removed."""
    gone = [p for p in passkeys_of(db, account.id) if is_new(ctx, p, now) and p.id not in keep]
    for passkey in gone:
        record(db, account, EventType.PASSKEY_REMOVED, at=now, meta=meta, actor=actor, passkey=str(passkey.id),
               name=passkey.name, because=why, **details)
        relying.push_caep(ctx, db, account.id, "credential-change", now, change_type="delete",
                          credential_type=credential_type(passkey))
        db.delete(passkey)
    if gone:
        security_notice(ctx, db, account, now=now, what=text(
            "passkeys added in the last {hours} hours were removed: {names}",
            hours=round(ctx.cooling.contact.total_seconds() / 3600), names=", ".join(p.name for p in gone)))
    return [p.name for p in gone]
