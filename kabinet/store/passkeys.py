"""Queries on passkeys: an account's, one by its credential id (a unique index)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from kabinet.store.models import Passkey


def passkeys_of(db: Session, account_id: uuid.UUID) -> Sequence[Passkey]:
    return db.scalars(select(Passkey).where(Passkey.account_id == account_id).order_by(Passkey.created_at)).all()


_COUNT = select(func.count()).select_from(Passkey.__table__).where(Passkey.__table__.c.account_id == bindparam("a"))


def count_of(db: Session, account_id: uuid.UUID) -> int:
    """A plain statement on the step's connection: every removal's checklist asks, and the ORM's execution path
    cost several times the count itself. Passkeys the step has added are flushed first."""
    if db.new:
        db.flush()
    return db.connection().execute(_COUNT, {"a": account_id}).scalar() or 0


def by_credential(db: Session, credential_id: str, *, lock: bool = False) -> Passkey | None:
    query = select(Passkey).where(Passkey.credential_id == credential_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.scalars(query).first()
