"""The recovery object (flows/recovery), shared by the steps that prove it is the citizen: its view, the lock and
lookup of one recovery, the second proofs the account offers, and the gate after the proofs — the password step at
once, or a hold (cooling-off, a trusted person). ``password_reset`` (codes, the app, backup codes) and
``passkey_proof`` both end in ``gate``, so a proof by any means leads to the same rules."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.cooling import recovery_wait
from kabinet.domain.errors import RecoveryNotFound
from kabinet.domain.ids import Id, parse_id
from kabinet.domain.states import ApprovalState as A
from kabinet.domain.states import RecoveryState as R
from kabinet.domain.states import move
from kabinet.flows.shared import passkeys, relying
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import every_channel, when
from kabinet.flows.shared.results import ChallengeView
from kabinet.flows.trusted._api import trusted
from kabinet.policy import APPROVAL_TTL, RECOVERY_RETURN, VOUCHED_FOR
from kabinet.security.tokens import new_token
from kabinet.store.models import Account, Approval, Contact, Passkey, Recovery
from kabinet.store.passkeys import passkeys_of
from kabinet.store.recovery import backup_codes_left, lock
from kabinet.store.recovery import held as held_recoveries
from kabinet.store.recovery import owner as recovery_owner
from kabinet.store.trusted import approval_for_recovery


@dataclass(frozen=True)
class Alternative:
    kind: str  # "totp", "passkey" or "backup_code": a second proof that needs no code sent


@dataclass(frozen=True)
class RecoveryView:
    """API.md's answer. ``next``: ``challenge`` (a code was sent), ``proof`` (use /proof), ``password``,
    ``visit`` (one silent contact is not enough: a service centre), or ``wait`` (held: until ``ready_at``, and/or
    for the trusted person, whose answer is ``approval``: waiting | approved | refused); ``cancelled`` and
    ``refused`` end it."""

    recovery_id: uuid.UUID
    next: str
    alternatives: list[Alternative]
    expires_at: datetime
    challenge: ChallengeView | None = None
    ready_at: datetime | None = None
    approval: str | None = None
    # Why a held recovery waits (``wait``): ``one_proof`` (no second way to prove it is you), ``second_too_new``
    # (the account's other contact was added too recently to prove anything yet), ``trusted`` (the trusted person
    # must approve, whatever the proofs).
    held_because: str | None = None
    started_at: datetime | None = None



def gate(ctx: FlowContext, db: Session, meta: Meta, now: datetime, rec: Recovery, account: Account
          ) -> RecoveryView:
    """The proofs are in: the password step opens now, or the recovery is held — one proof waits out the
    cooling-off, a trusted person must approve — with every channel told and given a link that cancels it."""
    first = db.get(Contact, rec.first_contact_id) if rec.first_contact_id else None
    vouched = bool(first and first.vouched_at and now - first.vouched_at < VOUCHED_FOR)
    ready = recovery_wait(len(rec.proofs), vouched=vouched, now=now, window=ctx.cooling.recovery)
    link = None if vouched else trusted.current(db, account.id, now)
    if ready is None and link is None:
        move(rec, R.PASSWORD)
        return view(rec)
    if (waiting := held_by_the_same_proof(db, account, rec, now)) is not None:
        # The same citizen asking again (the same contact proven): the recovery already waiting goes on, its time
        # kept — a new one would restart the wait and alarm every channel once more.
        move(rec, R.JOINED)
        rec.completed_at = now
        return view(waiting, approval=approval_for_recovery(db, waiting.id), now=now)
    token = new_token()
    move(rec, R.HELD)
    rec.ready_at, rec.cancel_hash = ready, ctx.hasher.digest("recovery-cancel", token)
    rec.expires_at = max(ready or now, now + APPROVAL_TTL if link else now) + RECOVERY_RETURN
    approval = trusted.ask(ctx, db, account, link, action="recovery", now=now, meta=meta, recovery=rec) \
        if link else None
    relying.push(ctx, db, account.id, "recovery-activated", now)
    record(db, account, EventType.RECOVERY_HELD, at=now, meta=meta, until=ready.isoformat() if ready else None,
           trusted=link is not None)
    every_channel(ctx, db, account, now=now, template="recovery_held",
                  data={"until": when(ready, account.locale) if ready else "",
                        "trusted": link is not None, "recover_url": f"{ctx.base_url}/recover"},
                  secret={"cancel_url": f"{ctx.base_url}/recover/cancel?token={token}"})
    return view(rec, approval=approval)


def wrong_proof(ctx: FlowContext, db: Session, meta: Meta, now: datetime, rec: Recovery, account: Account,
                kind: str) -> None:
    """A second proof that failed, whatever it was (the app, a backup code, a passkey): an attempt of the recovery
    spent (the last one ends it), recorded, and counted against the account's wrong codes under its lock, as a
    challenge's are."""
    rec.attempts_left -= 1
    if rec.attempts_left <= 0:
        move(rec, R.DEAD)
    record(db, account, EventType.CODE_WRONG, at=now, meta=meta, purpose=f"recovery:{kind}")
    ctx.limiter.try_hit("code.check.account", str(account.id))


def held_by_the_same_proof(db: Session, account: Account, rec: Recovery, now: datetime) -> Recovery | None:
    """Only the same first proof joins a waiting recovery: whoever proves another channel is someone else as far as
    we can tell, and gets a hold of their own, told to every channel."""
    return next((r for r in held_recoveries(db, account.id, now)
                 if r.id != rec.id and r.first_contact_id == rec.first_contact_id), None)


def alternatives_of(ctx: FlowContext, db: Session, account: Account, now: datetime) -> list[Alternative]:
    out = [Alternative("totp")] if account.totp_secret else []
    out += [Alternative("passkey")] if old_passkeys(ctx, db, account, now) else []
    return out + ([Alternative("backup_code")] if backup_codes_left(db, account.id) else [])


def old_passkeys(ctx: FlowContext, db: Session, account: Account, now: datetime) -> list[Passkey]:
    """The passkeys that may prove a recovery: past the cooling-off, as for contacts."""
    return [p for p in passkeys_of(db, account.id) if not passkeys.is_new(ctx, p, now)]


def ready(rec: Recovery, approval: Approval | None, now: datetime) -> bool:
    """May the password be set: the proofs are in and nothing holds the recovery any longer."""
    if rec.state == R.PASSWORD:
        return True
    return (rec.state == R.HELD and (rec.ready_at is None or now >= rec.ready_at)
            and (approval is None or approval.state in (A.APPROVED, A.BYPASSED)))


def view(rec: Recovery, *, challenge: ChallengeView | None = None,
         alternatives: list[Alternative] | None = None, approval: Approval | None = None,
         now: datetime | None = None, held_because: str | None = None) -> RecoveryView:
    nxt: dict[str, str] = {R.SECOND_PROOF: "challenge" if challenge else "proof", R.PASSWORD: "password",
                           R.VISIT: "visit"}
    state = nxt.get(rec.state, rec.state)
    if rec.state == R.HELD:
        state = "password" if now is not None and ready(rec, approval, now) else "wait"
        held_because = held_because or ("one_proof" if rec.ready_at else "trusted")
    return RecoveryView(recovery_id=rec.id, next=state, alternatives=alternatives or [],
                        expires_at=rec.expires_at, challenge=challenge, ready_at=rec.ready_at,
                        approval=approval.state if approval else None,
                        held_because=held_because if state == "wait" else None, started_at=rec.created_at)


def find(db: Session, recovery_id: Id, now: datetime, state: str | None) -> Recovery:
    rec = db.get(Recovery, parse_recovery_id(recovery_id))
    if rec is None or now >= rec.expires_at or (state is not None and rec.state != state) or rec.state == R.DONE:
        raise RecoveryNotFound()
    return rec


def owner_of(recovery_id: Id) -> Callable[[Session], uuid.UUID | None]:
    rid = parse_recovery_id(recovery_id)
    return lambda db: recovery_owner(db, rid)


def parse_recovery_id(recovery_id: Id) -> uuid.UUID:
    return parse_id(recovery_id, RecoveryNotFound)


def locked(db: Session, recovery_id: Id, now: datetime, state: str | None) -> Recovery:
    """The recovery row, locked and read afresh (the caller holds the account lock): one step, once.
    ``state`` ``None``: any state but done (the caller checks)."""
    rec = lock(db, parse_recovery_id(recovery_id))
    if rec is None or now >= rec.expires_at or (state is not None and rec.state != state) or rec.state == R.DONE:
        raise RecoveryNotFound()
    return rec
