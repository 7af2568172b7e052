"""Queries on sessions: the live ones of an account, and ending many at once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kabinet.store.models import Session as UserSession


def live(db: Session, account_id: uuid.UUID, now: datetime, idle: timedelta) -> list[UserSession]:
    return list(db.scalars(select(UserSession).where(
        UserSession.account_id == account_id, UserSession.revoked_at.is_(None),
        UserSession.expires_at > now, UserSession.last_seen_at > now - idle,
    ).order_by(UserSession.last_seen_at.desc())))


def end_all(db: Session, account_id: uuid.UUID, now: datetime, *, keep: uuid.UUID | None = None) -> list[uuid.UUID]:
    """End every session of the account (but ``keep``); the ids of those ended (``UPDATE … RETURNING``)."""
    query = update(UserSession).where(UserSession.account_id == account_id, UserSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep)
    return list(db.scalars(query.values(revoked_at=now).returning(UserSession.id)
                           .execution_options(synchronize_session=False)))
