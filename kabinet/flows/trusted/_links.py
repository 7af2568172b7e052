"""The trusted person as other flows meet it: is one in force for this account, ask them to approve a
password change or a recovery, and what each side sees of a request.

Why here: the password change, the recovery and the trusted person's own pages all need it, and no flow imports
another. What the trusted person sees is deliberately small — who asks (the name as "Иванов И. И.") and for what,
when, until when — never a contact, a session or a line of the citizen's history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.delivery.outbox import enqueue
from kabinet.domain.cooling import Link, coming, in_force
from kabinet.domain.masks import mask_name
from kabinet.domain.phone import Phone
from kabinet.domain.states import ApprovalState, LinkState, move
from kabinet.flows.shared.accounts import rank_for_codes
from kabinet.flows.shared.context import FlowContext
from kabinet.policy import APPROVAL_TTL
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, Approval, Contact, Recovery, TrustedLink
from kabinet.store.trusted import links_of, waiting_approvals
from kabinet.texts import translate

# What a trusted person is asked to approve, in words (the catalogue translates them).
ACTIONS = {"password": "changing the password", "recovery": "recovering access to the account"}


def link_times(link: TrustedLink) -> Link:
    return Link(state=link.state, effective_at=link.effective_at, ends_at=link.ends_at)


def current(db: Session, account_id: uuid.UUID, now: datetime) -> TrustedLink | None:
    """The trusted person in force now, if any (during a replacement's cooling-off, still the old one)."""
    return next((link for link in links_of(db, account_id) if in_force(link_times(link), now)), None)


def phone_of(db: Session, account_id: uuid.UUID) -> Contact | None:
    """Where a trusted person hears of a request: their own best verified phone today — never the number they
    were once invited on, which they may have given up since."""
    phones = [c for c in present_contacts(db, account_id) if c.kind == "phone" and c.verified_at is not None]
    return rank_for_codes(phones)[0] if phones else None


def ask(ctx: FlowContext, db: Session, account: Account, link: TrustedLink, *, action: str, now: datetime,
        meta: Meta, recovery: Recovery | None = None, new_hash: str | None = None,
        session_id: uuid.UUID | None = None) -> Approval:
    """A request waiting for the trusted person, who is told by SMS to open their cabinet. A newer password
    request replaces a waiting one (only the last new password is ever applied)."""
    assert link.trustee_id is not None
    ctx.limiter.hit("trusted.ask.account", str(account.id))
    if action == "password":
        for old in waiting_approvals(db, account.id, "password"):
            move(old, ApprovalState.CANCELLED)
            old.decided_at, old.new_password_hash = now, None
    approval = Approval(id=uuid.uuid4(), account_id=account.id, trustee_id=link.trustee_id, link_id=link.id,
                        action=action, state=ApprovalState.WAITING, recovery_id=recovery.id if recovery else None,
                        session_id=session_id, new_password_hash=new_hash, created_at=now,
                        expires_at=now + APPROVAL_TTL)
    db.add(approval)
    trustee = db.get_one(Account, link.trustee_id)
    record(db, account, EventType.APPROVAL_ASKED, at=now, meta=meta, action=action,
           trustee=mask_name(trustee.full_name))
    tell_trustee(ctx, db, trustee, now=now, template="trusted_asked",
                 data={"who": mask_name(account.full_name), "what": translate(trustee.locale, ACTIONS[action])})
    return approval


def tell_trustee(ctx: FlowContext, db: Session, trustee: Account, *, now: datetime, template: str,
                 data: dict, secret: dict[str, str] | None = None) -> None:
    phone = phone_of(db, trustee.id)
    if phone is None:
        return
    enqueue(db, channel="sms", destination=phone.value, template=template, locale=trustee.locale, now=now,
            account_id=trustee.id, contact_id=phone.id, data={**data, "url": f"{ctx.base_url}/trusted"},
            secret=secret, sealer=ctx.outbox_sealer if secret else None)


@dataclass(frozen=True)
class ApprovalView:
    """A request for the trusted person's approval. ``citizen`` is who asks (for the trusted person),
    ``trustee`` who is asked (for the citizen) — each a name as "Иванов И. И."."""

    id: uuid.UUID
    action: str  # password | recovery
    state: str  # waiting | approved | refused | cancelled | bypassed
    asked_at: datetime
    expires_at: datetime
    citizen: str
    trustee: str


def approval_view(db: Session, approval: Approval) -> ApprovalView:
    citizen, trustee = db.get_one(Account, approval.account_id), db.get_one(Account, approval.trustee_id)
    return ApprovalView(id=approval.id, action=approval.action, state=approval.state, asked_at=approval.created_at,
                        expires_at=approval.expires_at, citizen=mask_name(citizen.full_name),
                        trustee=mask_name(trustee.full_name))


@dataclass(frozen=True)
class LinkView:
    """The citizen's trusted person or invitation. ``phase``: ``invited`` (not answered yet), ``coming`` (a
    replacement waiting out the cooling-off until ``effective_at``), ``in_force``, ``ending`` (in force until
    ``ends_at``), ``over``."""

    id: uuid.UUID
    phase: str
    phone: str
    trustee: str | None
    invited_at: datetime
    invite_expires_at: datetime
    effective_at: datetime | None
    ends_at: datetime | None


def phase(link: TrustedLink, now: datetime) -> str:
    times = link_times(link)
    if link.state == LinkState.INVITED:
        return "invited" if now < link.invite_expires_at else "over"
    if coming(times, now):
        return "coming"
    if in_force(times, now):
        return "ending" if link.ends_at is not None else "in_force"
    return "over"


def link_view(db: Session, link: TrustedLink, now: datetime) -> LinkView:
    trustee = db.get(Account, link.trustee_id) if link.trustee_id else None
    return LinkView(id=link.id, phase=phase(link, now), phone=Phone(link.phone).masked,
                    trustee=mask_name(trustee.full_name) if trustee else None, invited_at=link.created_at,
                    invite_expires_at=link.invite_expires_at, effective_at=link.effective_at, ends_at=link.ends_at)
