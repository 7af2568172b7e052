"""Queries on the outbox beyond the worker's claim: a letter found again when its bounce arrives."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kabinet.store.models import Outbox


def letter(db: Session, *, key: str | None, row_id: int | None) -> Outbox | None:
    """By the Message-ID's key (unique index) first, else by the VERP id; letters only."""
    row = db.scalars(select(Outbox).where(Outbox.idempotency_key == key)).first() if key else None
    row = row or (db.get(Outbox, row_id) if row_id is not None else None)
    return row if row is not None and row.channel == "email" else None
