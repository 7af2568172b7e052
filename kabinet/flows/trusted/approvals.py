"""The trusted person answers a request: approve with a code of their own (their app, else an SMS to
their phone) or one of their passkeys, or refuse; the citizen may cancel a request of theirs while it waits.

Locks: a decision changes two accounts (the citizen's password or recovery, both histories), so both account
rows are locked in id order before the request row (``write_step``) — two people who trust each other and answer
each other's requests at the same moment queue instead of deadlocking, and one request is decided once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.audit.events import TRUSTED_PERSON, EventType, Meta, record
from kabinet.domain.errors import ApprovalNotFound, NoSecondChannel
from kabinet.domain.ids import Id, parse_id
from kabinet.domain.masks import mask_name
from kabinet.domain.states import ApprovalState, RecoveryState, move
from kabinet.flows.access._api import password_set
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import account_step, second_factor, write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import security_notice
from kabinet.flows.shared.results import ChallengeView, challenge_view
from kabinet.flows.trusted._links import ACTIONS, ApprovalView, approval_view
from kabinet.store.models import Account, Approval, Challenge, Recovery
from kabinet.store.models import Session as UserSession
from kabinet.store.passkeys import count_of
from kabinet.store.recovery import lock as lock_recovery
from kabinet.store.trusted import approval_parties, lock_approval
from kabinet.texts import text, translate


def start_approve(ctx: FlowContext, meta: Meta, *, session: UserSession, approval_id: Id) -> ChallengeView:
    """A code to the trusted person's own second factor; its confirm decides the request. A passkey may answer it
    instead (flows.shared.purposes), so a trusted person whose only way in is a passkey is asked for that."""
    aid = parse_id(approval_id, ApprovalNotFound)
    with account_step(ctx, session) as (db, me, now):
        approval = _waiting(db, aid, me, now)
        channel, phone = second_factor(db, me)
        if channel == "none" and count_of(db, me.id):
            channel = "passkey"  # no app and no contact, but a passkey: it alone answers; nothing is sent
        if channel == "none":
            raise NoSecondChannel()
        ch = challenges.issue(ctx, db, now=now, meta=meta, purpose="trusted_approve", channel=channel,
                              destination=phone.value if phone else None, account=me, session=session,
                              contact_id=phone.id if phone else None,
                              payload={"approval_id": str(approval.id), "for_account": str(approval.account_id)})
        return challenge_view(ch)


@challenges.on_confirm("trusted_approve")
def _approved(step: challenges.Step, ch: Challenge, me: Account | None) -> ApprovalView:
    assert me is not None
    approval = _waiting(step.db, parse_id(ch.payload["approval_id"], ApprovalNotFound), me, step.now)
    citizen = step.db.get_one(Account, approval.account_id)  # locked with ``me`` (the challenge names both)
    move(approval, ApprovalState.APPROVED)
    approval.decided_at = step.now
    name = mask_name(me.full_name)
    record(step.db, me, EventType.APPROVAL_GIVEN, at=step.now, meta=step.meta, action=approval.action,
           citizen=mask_name(citizen.full_name))
    if approval.action == "password" and approval.new_password_hash:
        password_set.apply(step.ctx, step.db, citizen, approval.new_password_hash, keep=approval.session_id,
                           now=step.now, meta=step.meta, actor=TRUSTED_PERSON, approved_by=name)
        approval.new_password_hash = None
    else:
        record(step.db, citizen, EventType.APPROVAL_GIVEN, at=step.now, meta=step.meta, actor=TRUSTED_PERSON,
               action=approval.action, trustee=name)
    return approval_view(step.db, approval)


def refuse(ctx: FlowContext, meta: Meta, *, session: UserSession, approval_id: Id) -> ApprovalView:
    aid = parse_id(approval_id, ApprovalNotFound)
    with write_step(ctx, lambda db: (session.account_id, *approval_parties(db, aid))) as (db, me, now):
        if me is None:
            raise ApprovalNotFound()
        approval = _waiting(db, aid, me, now)
        citizen = db.get_one(Account, approval.account_id)
        _close(db, approval, ApprovalState.REFUSED, now)
        record(db, me, EventType.APPROVAL_REFUSED, at=now, meta=meta, action=approval.action,
               citizen=mask_name(citizen.full_name))
        record(db, citizen, EventType.APPROVAL_REFUSED, at=now, meta=meta, actor=TRUSTED_PERSON,
               action=approval.action, trustee=mask_name(me.full_name))
        security_notice(ctx, db, citizen, now=now, what=text("your trusted person refused to approve {what}",
                                                             what=translate(citizen.locale, ACTIONS[approval.action])))
        return approval_view(db, approval)


def cancel(ctx: FlowContext, meta: Meta, *, session: UserSession, approval_id: Id) -> ApprovalView:
    """The citizen withdraws a request of theirs (a recovery asked for is cancelled with it)."""
    aid = parse_id(approval_id, ApprovalNotFound)
    with account_step(ctx, session) as (db, account, now):
        approval = lock_approval(db, aid)
        if approval is None or approval.account_id != account.id or approval.state != ApprovalState.WAITING:
            raise ApprovalNotFound()
        _close(db, approval, ApprovalState.CANCELLED, now)
        record(db, account, EventType.APPROVAL_CANCELLED, at=now, meta=meta, action=approval.action)
        return approval_view(db, approval)


def _waiting(db: Session, approval_id: object, me: Account, now: datetime) -> Approval:
    """The request, locked and read afresh, still waiting, and asked of ``me``; anything else is not found."""
    approval = lock_approval(db, approval_id)  # type: ignore[arg-type]
    if (approval is None or approval.trustee_id != me.id or approval.state != ApprovalState.WAITING
            or now >= approval.expires_at):
        raise ApprovalNotFound()
    return approval


def _close(db: Session, approval: Approval, state: ApprovalState, now: datetime) -> None:
    """A refused or cancelled request ends the recovery it held, in the same words."""
    move(approval, state)
    approval.decided_at, approval.new_password_hash = now, None
    if approval.recovery_id is not None:
        rec: Recovery | None = lock_recovery(db, approval.recovery_id)
        if rec is not None and rec.state == RecoveryState.HELD:
            move(rec, RecoveryState(state.value))
            rec.completed_at, rec.cancel_hash = now, None
