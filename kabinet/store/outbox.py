"""Queries on the outbox beyond the worker's claim: a letter found again when its bounce arrives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kabinet.store.models import Outbox


def letter(db: Session, *, key: str | None, row_id: int | None) -> Outbox | None:
    """By the Message-ID's key (unique index) first, else by the VERP id; letters only."""
    row = db.scalars(select(Outbox).where(Outbox.idempotency_key == key)).first() if key else None
    row = row or (db.get(Outbox, row_id) if row_id is not None else None)
    return row if row is not None and row.channel == "email" else None


def backlog(db: Session) -> tuple[dict[tuple[str, str], int], datetime | None]:
    """Messages waiting, by channel and state, and when the oldest was queued (both on the due index)."""
    due = ("queued", "failed")
    rows = db.execute(select(Outbox.channel, Outbox.state, func.count()).where(Outbox.state.in_(due))
                      .group_by(Outbox.channel, Outbox.state)).all()
    oldest = db.scalar(select(func.min(Outbox.created_at)).where(Outbox.state.in_(due)))
    return {(channel, state): count for channel, state, count in rows}, oldest
