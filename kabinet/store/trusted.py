"""Queries on trusted-person links and the approvals awaited from them. Every lookup is by an indexed
column: the citizen's links (``account_id``), a trustee's (``trustee_id``), invitations to a phone
(``phone, state``), a trustee's waiting approvals (``trustee_id, state``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kabinet.domain.states import ApprovalState, LinkState
from kabinet.store.models import Approval, TrustedLink


def links_of(db: Session, account_id: uuid.UUID) -> Sequence[TrustedLink]:
    """A citizen's invitations and links that may still matter (not declined or cancelled), newest first."""
    return db.scalars(select(TrustedLink).where(TrustedLink.account_id == account_id,
                                                TrustedLink.state.in_((LinkState.INVITED, LinkState.ACTIVE)))
                      .order_by(TrustedLink.created_at.desc())).all()


def trusted_by(db: Session, trustee_id: uuid.UUID, now: datetime) -> Sequence[TrustedLink]:
    """Links where this account is (or is about to be) the trusted person and that have not ended."""
    return db.scalars(select(TrustedLink).where(
        TrustedLink.trustee_id == trustee_id, TrustedLink.state == LinkState.ACTIVE,
        or_(TrustedLink.ends_at.is_(None), TrustedLink.ends_at > now))).all()


def invitations_to(db: Session, phones: Sequence[str], now: datetime) -> Sequence[TrustedLink]:
    if not phones:
        return []
    return db.scalars(select(TrustedLink).where(TrustedLink.phone.in_(phones), TrustedLink.state == LinkState.INVITED,
                                                TrustedLink.invite_expires_at > now)
                      .order_by(TrustedLink.created_at)).all()


def lock_link(db: Session, link_id: uuid.UUID) -> TrustedLink | None:
    """Locked and read afresh (the caller holds the account locks already)."""
    return db.scalars(select(TrustedLink).where(TrustedLink.id == link_id).with_for_update()
                      .execution_options(populate_existing=True)).one_or_none()


def link_parties(db: Session, link_id: uuid.UUID) -> tuple[uuid.UUID, ...]:
    """The accounts a step on this link touches: the citizen, and the trusted person once there is one."""
    row = db.execute(select(TrustedLink.account_id, TrustedLink.trustee_id).where(TrustedLink.id == link_id)).first()
    return tuple(x for x in row if x is not None) if row else ()


def approvals_for(db: Session, trustee_id: uuid.UUID, now: datetime) -> Sequence[Approval]:
    return db.scalars(select(Approval).where(Approval.trustee_id == trustee_id, Approval.state == ApprovalState.WAITING,
                                             Approval.expires_at > now).order_by(Approval.created_at)).all()


def approvals_of(db: Session, account_id: uuid.UUID, now: datetime) -> Sequence[Approval]:
    """A citizen's own requests still waiting for the trusted person."""
    return db.scalars(select(Approval).where(Approval.account_id == account_id, Approval.state == ApprovalState.WAITING,
                                             Approval.expires_at > now).order_by(Approval.created_at)).all()


def waiting_approvals(db: Session, account_id: uuid.UUID, action: str) -> Sequence[Approval]:
    """Locked: the caller is about to replace them (it holds the account lock already)."""
    return db.scalars(select(Approval).where(Approval.account_id == account_id, Approval.action == action,
                                             Approval.state == ApprovalState.WAITING).with_for_update()).all()


def approval_for_recovery(db: Session, recovery_id: uuid.UUID) -> Approval | None:
    return db.scalars(select(Approval).where(Approval.recovery_id == recovery_id)
                      .order_by(Approval.created_at.desc()).limit(1)).first()


def lock_approval(db: Session, approval_id: uuid.UUID) -> Approval | None:
    return db.scalars(select(Approval).where(Approval.id == approval_id).with_for_update()
                      .execution_options(populate_existing=True)).one_or_none()


def approval_parties(db: Session, approval_id: uuid.UUID) -> tuple[uuid.UUID, ...]:
    row = db.execute(select(Approval.account_id, Approval.trustee_id).where(Approval.id == approval_id)).first()
    return tuple(row) if row else ()
