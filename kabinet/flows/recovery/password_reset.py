"""Password recovery: a login → a code to a verified recovery contact → a second proof when the account has
one → a new password, every session ended, every channel told (API.md "Identity data and recovery").

Why two proofs: one stolen channel (a reissued number, a mailbox taken over) must not be enough. The second
proof is a code to another recovery contact (of the other kind first), the authenticator app, a passkey past its
cooling-off or a backup code.

The rule for one proof only: it is enough when the contact was confirmed within ``SILENT_AFTER`` (180 days).
A phone or mailbox silent for longer may belong to somebody else by now (operators reissue numbers after
months of silence, mail providers delete idle mailboxes), so the citizen is sent to a service centre
instead. A recovery code does not refresh a contact, so starting a recovery cannot make a silent one fresh.

A login that matches nothing gets the same answer: a recovery and a challenge that look alike, spend the
same budgets, and that no code can ever answer; nothing is sent.

Cooling-off: a contact added in the last ``Cooling.contact`` hours neither starts nor proves a recovery
(it is told so, and the caller sees the usual answer); a recovery proven by one channel only is *held* for
``Cooling.recovery`` hours, every channel told with a link that cancels it; with a trusted person in force it also
waits for their approval. Only then may the password be set. A phone an operator set at a service centre,
document in hand, is the strongest proof there is: it recovers at once, for ``VOUCHED_FOR``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.cooling import is_new, usable_from
from kabinet.domain.errors import (
    CancelLinkInvalid,
    InvalidInput,
    ProofWrong,
    RecoveryNotFound,
    RecoveryWaiting,
)
from kabinet.domain.ids import Id
from kabinet.domain.logins import canonical_login, parse_login
from kabinet.domain.passwords import check_password
from kabinet.domain.states import ApprovalState as A
from kabinet.domain.states import RecoveryState as R
from kabinet.domain.states import move
from kabinet.flows.recovery._recoveries import (
    RecoveryView,
    alternatives_of,
    find,
    gate,
    locked,
    owner_of,
    ready,
    view,
    wrong_proof,
)
from kabinet.flows.shared import backup_codes, challenges, passkeys, relying
from kabinet.flows.shared.accounts import added, recovery_target, write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import security_notice, when
from kabinet.flows.shared.results import ChallengeView, challenge_view
from kabinet.policy import (
    RECOVERY_PROOF_ATTEMPTS,
    RECOVERY_TTL,
    SILENT_AFTER,
)
from kabinet.security.passwords import hash_password
from kabinet.security.timing import time_floor
from kabinet.security.totp import totp_matches
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, Challenge, Contact, Recovery
from kabinet.store.recovery import by_cancel_hash
from kabinet.store.trusted import approval_for_recovery
from kabinet.texts import text

START_FLOOR_S = 0.05  # a real recovery's first step takes ~6 ms, an unknown one's ~4 ms: both answer at 50 ms


# --- step 1: the login ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Started:
    recovery_id: uuid.UUID
    challenge: ChallengeView


def start(ctx: FlowContext, meta: Meta, *, login: str) -> Started:
    login = (login or "").strip()
    if not 3 <= len(login) <= 320:
        raise InvalidInput(field="login")
    target: tuple[Account, Contact] | None = None

    def owner(db: Session) -> uuid.UUID | None:
        nonlocal target
        target = recovery_target(db, login, old_enough=lambda c: not _is_new(ctx, db, c))
        return target[0].id if target else None

    with time_floor(START_FLOOR_S), write_step(ctx, owner) as (db, account, now):
        key = f"account:{account.id}" if account else canonical_login(login)
        ctx.limiter.hit_all([("recovery.ip", meta.ip or "-"), ("recovery.login", key)])
        rec = Recovery(id=uuid.uuid4(), state=R.FIRST_PROOF, proofs=[], attempts_left=RECOVERY_PROOF_ATTEMPTS,
                       expires_at=now + RECOVERY_TTL, created_at=now)
        db.add(rec)
        if account is None or target is None:
            ch = challenges.issue(ctx, db, now=now, meta=meta, purpose="recovery", decoy=True,
                                  payload={"recovery_id": str(rec.id), "step": 1}, **_decoy(ctx, login))
        elif _is_new(ctx, db, target[1]):
            ch = _too_new(ctx, db, meta, now, rec, account, target[1])
        else:
            rec.account_id = account.id
            ch = _send_code(ctx, db, meta, now, rec, account, target[1], step=1)
            record(db, account, EventType.RECOVERY_STARTED, at=now, meta=meta, channel=target[1].kind)
        return Started(recovery_id=rec.id, challenge=challenge_view(ch))


def _decoy(ctx: FlowContext, login: str) -> dict[str, Any]:
    """The destination a real answer would show: the typed phone or address itself (nothing is sent to it);
    for a SNILS (or no login at all), a phone derived from it, so asking twice shows the same one."""
    kind, value = parse_login(login) or ("raw", login)
    if kind in ("email", "phone"):
        return {"channel": "email" if kind == "email" else "sms", "destination": value}
    digits = int(ctx.hasher.digest("recovery-decoy", value)[:12], 16) % 10**9
    return {"channel": "sms", "destination": f"+79{digits:09d}"}


def _is_new(ctx: FlowContext, db: Session, contact: Contact) -> bool:
    return is_new(added(db.get_one(Account, contact.account_id), contact), ctx.clock.now(), ctx.cooling.contact)


def _too_new(ctx: FlowContext, db: Session, meta: Meta, now: datetime, rec: Recovery, account: Account,
             contact: Contact) -> Challenge:
    """The caller sees the usual answer; the new contact hears why no code came and from when it will serve."""
    until = usable_from(added(account, contact), ctx.cooling.contact)
    record(db, account, EventType.RECOVERY_TOO_NEW, at=now, meta=meta, channel=contact.kind)
    return challenges.issue(ctx, db, now=now, meta=meta, purpose="recovery", account=account,
                            channel="sms" if contact.kind == "phone" else "email", destination=contact.value,
                            contact_id=contact.id, payload={"recovery_id": str(rec.id), "step": 1},
                            silent="recovery_too_new",
                            notice={"until": when(until, account.locale) if until else ""})


def _send_code(ctx: FlowContext, db: Session, meta: Meta, now: datetime, rec: Recovery, account: Account,
               contact: Contact, *, step: int) -> Challenge:
    return challenges.issue(ctx, db, now=now, meta=meta, purpose="recovery", account=account,
                            channel="sms" if contact.kind == "phone" else "email", destination=contact.value,
                            contact_id=contact.id, payload={"recovery_id": str(rec.id), "step": step})


# --- steps 2 and 3: codes and proofs ----------------------------------------------------------------------

@challenges.on_confirm("recovery")
def _confirm(step: challenges.Step, ch: Challenge, account: Account | None) -> RecoveryView:
    rec = locked(step.db, ch.payload["recovery_id"], step.now, R.FIRST_PROOF if ch.payload["step"] == 1
                  else R.SECOND_PROOF)
    contact = step.db.get(Contact, ch.contact_id)
    if account is None or contact is None or contact.removed_at is not None or rec.account_id != account.id:
        raise RecoveryNotFound()
    rec.proofs = [*rec.proofs, contact.kind]
    record(step.db, account, EventType.RECOVERY_PROOF, at=step.now, meta=step.meta, proof=contact.kind)
    if ch.payload["step"] == 1:
        rec.first_contact_id = contact.id
        return _after_first_proof(step, rec, account, contact)
    return gate(step.ctx, step.db, step.meta, step.now, rec, account)


def _after_first_proof(step: challenges.Step, rec: Recovery, account: Account, first: Contact) -> RecoveryView:
    others = [c for c in present_contacts(step.db, account.id)
              if c.verified_at is not None and c.recovery and c.id != first.id and not _is_new(step.ctx, step.db, c)]
    alternatives = alternatives_of(step.ctx, step.db, account, step.now)
    if others:
        target = sorted(others, key=lambda c: (c.kind == first.kind, not c.is_primary))[0]
        move(rec, R.SECOND_PROOF)
        ch = _send_code(step.ctx, step.db, step.meta, step.now, rec, account, target, step=2)
        return view(rec, challenge=challenge_view(ch), alternatives=alternatives)
    if alternatives:
        move(rec, R.SECOND_PROOF)
        return view(rec, alternatives=alternatives)
    if first.last_confirmed_at is None or step.now - first.last_confirmed_at > SILENT_AFTER:
        move(rec, R.VISIT)
        record(step.db, account, EventType.RECOVERY_VISIT_REQUIRED, at=step.now, meta=step.meta)
        return view(rec)
    return gate(step.ctx, step.db, step.meta, step.now, rec, account)


def prove(ctx: FlowContext, meta: Meta, *, recovery_id: Id, kind: str, code: str) -> RecoveryView:
    """The second proof without a sent code: the authenticator app or a backup code."""
    code = (code or "").strip()
    if kind not in ("totp", "backup_code") or not 6 <= len(code) <= 16:
        raise InvalidInput(field="code")
    failure: Exception | None = None
    with write_step(ctx, owner_of(recovery_id)) as (db, account, now):
        rec = locked(db, recovery_id, now, R.SECOND_PROOF)
        if account is None or rec.account_id != account.id:
            raise RecoveryNotFound()
        ctx.limiter.check("code.check.account", str(account.id))
        if _proof_ok(ctx, db, account, kind, code, now):
            rec.proofs = [*rec.proofs, kind]
            record(db, account, EventType.RECOVERY_PROOF, at=now, meta=meta, proof=kind)
            if kind == "backup_code":
                backup_codes.used(ctx, db, account, meta=meta, now=now)
            return gate(ctx, db, meta, now, rec, account)
        wrong_proof(ctx, db, meta, now, rec, account, kind)
        failure = ProofWrong(attempts_left=rec.attempts_left) if rec.attempts_left > 0 else RecoveryNotFound()
    raise failure


def _proof_ok(ctx: FlowContext, db: Session, account: Account, kind: str, code: str, now: datetime) -> bool:
    if kind == "totp":
        return code.isdigit() and totp_matches(ctx.totp_sealer, account, code, now)
    return backup_codes.redeem(ctx, db, account.id, code, now)


# --- step 4: the new password ---------------------------------------------------------------------------

def set_password(ctx: FlowContext, meta: Meta, *, recovery_id: Id, password: str) -> None:
    now = ctx.clock.now()
    with ctx.store.read() as db:
        rec = find(db, recovery_id, now, None)
        _ensure_open(db, rec, now)
        account = db.get_one(Account, rec.account_id)
        personal = [c.value for c in present_contacts(db, account.id)] + account.full_name.split()
    check_password(password, personal=[p.split("@")[0].lstrip("+") for p in personal])
    new_hash = hash_password(password)  # slow on purpose; the route runs off the event loop
    with write_step(ctx, account.id) as (db, fresh, now):
        rec = locked(db, recovery_id, now, None)  # once: a second request finds it done
        _ensure_open(db, rec, now)
        assert fresh is not None
        account = fresh  # the same row, now locked and read afresh
        account.password_hash, account.status = new_hash, "active"
        ended = relying.end_sessions(ctx, db, account.id, now)
        move(rec, R.DONE)
        rec.completed_at = now
        record(db, account, EventType.PASSWORD_RECOVERED, at=now, meta=meta, proofs=rec.proofs,
               sessions_ended=ended)
        security_notice(ctx, db, account, now=now,
                        what=text("the password was reset by recovery"))
        relying.push(ctx, db, account.id, "sessions-revoked", now)
        relying.password_changed(ctx, db, account.id, now)
        # a passkey an intruder added would outlive the new password; not the one that proved this recovery
        passkeys.drop_new(ctx, db, account, now=now, meta=meta, why="recovery", keep=_proven_passkeys(rec))


def _proven_passkeys(rec: Recovery) -> frozenset[uuid.UUID]:
    return frozenset(uuid.UUID(p.split(":", 1)[1]) for p in rec.proofs if p.startswith("passkey:"))


def _ensure_open(db: Session, rec: Recovery, now: datetime) -> None:
    approval = approval_for_recovery(db, rec.id)
    if ready(rec, approval, now):
        return
    if rec.state == R.HELD and (approval is None or approval.state == A.WAITING):
        raise RecoveryWaiting(ready_at=rec.ready_at, approval=approval.state if approval else None)
    raise RecoveryNotFound()


# --- cancelling a held recovery (the link every channel got, or the cabinet) -----------------------------

@dataclass(frozen=True)
class Cancelled:
    recovery_id: uuid.UUID


def cancel(ctx: FlowContext, meta: Meta, *, token: str) -> Cancelled:
    """"This wasn't me": the link in the notices stops a recovery under way, whoever holds it. A link that
    matches nothing (used, unknown, the recovery already done) is ``link.invalid`` and counted per IP."""
    token = (token or "").strip()
    ctx.limiter.check("link.check.ip", meta.ip or "-")
    digest = ctx.hasher.digest("recovery-cancel", token[:128])
    with write_step(ctx, lambda db: _cancel_owner(db, digest)) as (db, account, now):
        rec = by_cancel_hash(db, digest, lock=True)
        if account is not None and rec is not None and rec.state in (R.HELD, R.PASSWORD) and now < rec.expires_at:
            return _cancel(ctx, db, meta, now, rec, account)
    ctx.limiter.hit("link.check.ip", meta.ip or "-")
    raise CancelLinkInvalid()


def cancel_started(ctx: FlowContext, meta: Meta, *, recovery_id: Id) -> Cancelled:
    """Whoever started a recovery (and holds its id) gives it up: stopping one's own request weakens nothing, and
    every channel is told as for any cancellation."""
    with write_step(ctx, owner_of(recovery_id)) as (db, account, now):
        rec = locked(db, recovery_id, now, None)
        if account is None or rec.account_id != account.id or rec.state in (R.CANCELLED, R.REFUSED, R.JOINED):
            raise RecoveryNotFound()
        return _cancel(ctx, db, meta, now, rec, account)


def cancel_own(ctx: FlowContext, meta: Meta, *, account_id: uuid.UUID, recovery_id: Id) -> Cancelled:
    """The citizen, signed in, stops a recovery of their own account (Security page)."""
    with write_step(ctx, account_id) as (db, account, now):
        rec = locked(db, recovery_id, now, None)
        if account is None or rec.account_id != account.id or rec.state not in (R.HELD, R.PASSWORD):
            raise RecoveryNotFound()
        return _cancel(ctx, db, meta, now, rec, account)


def _cancel_owner(db: Session, digest: str) -> uuid.UUID | None:
    rec = by_cancel_hash(db, digest)
    return rec.account_id if rec else None


def _cancel(ctx: FlowContext, db: Session, meta: Meta, now: datetime, rec: Recovery, account: Account) -> Cancelled:
    move(rec, R.CANCELLED)
    rec.completed_at, rec.cancel_hash = now, None
    approval = approval_for_recovery(db, rec.id)
    if approval is not None and approval.state == A.WAITING:
        move(approval, A.CANCELLED)
        approval.decided_at = now
    record(db, account, EventType.RECOVERY_CANCELLED, at=now, meta=meta)
    security_notice(ctx, db, account, now=now, what=text("a recovery of access was cancelled"))
    return Cancelled(recovery_id=rec.id)


# --- the recovery object --------------------------------------------------------------------------------

def _why_held(ctx: FlowContext, db: Session, rec: Recovery, account: Account) -> str:
    """A hold after one proof: because the account has no second way, or because its other one is too new."""
    if not rec.ready_at:
        return "trusted"
    others = [c for c in present_contacts(db, account.id) if c.verified_at is not None and c.recovery
              and c.id != rec.first_contact_id]
    return "second_too_new" if any(_is_new(ctx, db, c) for c in others) else "one_proof"


def show(ctx: FlowContext, *, recovery_id: Id) -> RecoveryView:
    """Where a recovery stands, for the pages (nothing changes)."""
    now = ctx.clock.now()
    with ctx.store.read() as db:
        rec = find(db, recovery_id, now, None)
        account = db.get(Account, rec.account_id) if rec.account_id else None
        alternatives = alternatives_of(ctx, db, account, now) if account and rec.state == R.SECOND_PROOF else []
        why = _why_held(ctx, db, rec, account) if account and rec.state == R.HELD else None
        return view(rec, alternatives=alternatives, approval=approval_for_recovery(db, rec.id), now=now,
                    held_because=why)
