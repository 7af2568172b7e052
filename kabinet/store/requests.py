"""Queries on support requests and their threads."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from kabinet.store.models import SupportMessage, SupportRequest

QUEUE_LIMIT = 200


def of_account(db: Session, account_id: uuid.UUID) -> list[SupportRequest]:
    return list(db.scalars(select(SupportRequest).where(SupportRequest.account_id == account_id)
                           .order_by(SupportRequest.created_at.desc())))


def queue(db: Session, states: tuple[str, ...]) -> list[SupportRequest]:
    """Oldest first: whoever waited longest is answered first."""
    return list(db.scalars(select(SupportRequest).where(SupportRequest.state.in_(states))
                           .order_by(SupportRequest.created_at).limit(QUEUE_LIMIT)))


def threads(db: Session, request_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[SupportMessage]]:
    """Every message of these requests, in one query whatever their number."""
    out: dict[uuid.UUID, list[SupportMessage]] = defaultdict(list)
    if request_ids:
        for message in db.scalars(select(SupportMessage).where(SupportMessage.request_id.in_(request_ids))
                                  .order_by(SupportMessage.id)):
            out[message.request_id].append(message)
    return out


def request_owner(db: Session, request_id: uuid.UUID) -> uuid.UUID | None:
    return db.scalar(select(SupportRequest.account_id).where(SupportRequest.id == request_id))


def lock_request(db: Session, request_id: uuid.UUID) -> SupportRequest | None:
    return db.scalars(select(SupportRequest).where(SupportRequest.id == request_id).with_for_update()
                      .execution_options(populate_existing=True)).one_or_none()
