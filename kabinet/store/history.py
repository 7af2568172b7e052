"""Queries on the history (events) and support requests of one account."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from kabinet.store.models import Event, SupportRequest


def page(db: Session, account_id: uuid.UUID, *, before: int | None, limit: int,
         type_prefix: str | None) -> list[Event]:
    """Newest first, by sequence number (an index on (account, seq) serves it)."""
    query = select(Event).where(Event.account_id == account_id)
    if before is not None:
        query = query.where(Event.seq < before)
    if type_prefix:
        query = query.where(Event.type.startswith(type_prefix, autoescape=True))
    return list(db.scalars(query.order_by(Event.seq.desc()).limit(limit)))


def every(db: Session, account_id: uuid.UUID) -> list[Event]:
    return list(db.scalars(select(Event).where(Event.account_id == account_id).order_by(Event.seq)))


def requests(db: Session, account_id: uuid.UUID) -> list[SupportRequest]:
    return list(db.scalars(select(SupportRequest).where(SupportRequest.account_id == account_id)))
