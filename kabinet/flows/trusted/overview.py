"""What the Security page and ``GET /api/v1/trusted`` show, for both sides of the link.

As a citizen: the trusted person (or invitation, or replacement coming), the requests waiting for them, and any
recovery of the account on hold. As a trusted person: invitations to answer, the citizens who trust you, and what
they ask you to approve — a name as "Иванов И. И." and the kind of request, nothing else of their account."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.domain.masks import mask_name
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.trusted._links import ApprovalView, LinkView, approval_view, link_view, phase
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account
from kabinet.store.models import Session as UserSession
from kabinet.store.recovery import held
from kabinet.store.trusted import (
    approval_for_recovery,
    approvals_for,
    approvals_of,
    invitations_to,
    links_of,
    trusted_by,
)


@dataclass(frozen=True)
class Invitation:
    id: uuid.UUID
    citizen: str  # who invites, as "Иванов И. И."
    expires_at: datetime


@dataclass(frozen=True)
class Truster:
    """A citizen who trusts you (or will, once a replacement's cooling-off ends)."""

    link_id: uuid.UUID
    citizen: str
    since: datetime | None
    until: datetime | None


@dataclass(frozen=True)
class HeldRecovery:
    id: uuid.UUID
    started_at: datetime
    ready_at: datetime | None
    approval: str | None


@dataclass(frozen=True)
class TrustedOverview:
    links: list[LinkView]
    asked: list[ApprovalView]
    held_recoveries: list[HeldRecovery]
    invitations: list[Invitation]
    trusted_by: list[Truster]
    requests: list[ApprovalView]
    can_be_trusted: bool = True  # this account is confirmed: it may accept an invitation


def show(ctx: FlowContext, *, session: UserSession) -> TrustedOverview:
    now = ctx.clock.now()
    me = session.account_id
    with ctx.store.read() as db:
        links = [link_view(db, link, now) for link in links_of(db, me) if phase(link, now) != "over"]
        phones = [c.value for c in present_contacts(db, me) if c.kind == "phone" and c.verified_at is not None]
        invitations = [Invitation(id=link.id, citizen=_name(db, link.account_id), expires_at=link.invite_expires_at)
                       for link in invitations_to(db, phones, now) if link.account_id != me]
        trusters = [Truster(link_id=link.id, citizen=_name(db, link.account_id), since=link.effective_at,
                            until=link.ends_at) for link in trusted_by(db, me, now)]
        recoveries = []
        for rec in held(db, me, now):
            approval = approval_for_recovery(db, rec.id)
            recoveries.append(HeldRecovery(id=rec.id, started_at=rec.created_at, ready_at=rec.ready_at,
                                           approval=approval.state if approval else None))
        return TrustedOverview(
            links=links, asked=[approval_view(db, a) for a in approvals_of(db, me, now)],
            held_recoveries=recoveries, invitations=invitations, trusted_by=trusters,
            requests=[approval_view(db, a) for a in approvals_for(db, me, now)],
            can_be_trusted=db.get_one(Account, me).level == "confirmed")


def _name(db: Session, account_id: uuid.UUID) -> str:
    return mask_name(db.get_one(Account, account_id).full_name)
