"""Queries on passkeys: an account's, one by its credential id (a unique index)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kabinet.store.models import Passkey


def passkeys_of(db: Session, account_id: uuid.UUID) -> Sequence[Passkey]:
    return db.scalars(select(Passkey).where(Passkey.account_id == account_id).order_by(Passkey.created_at)).all()


def count_of(db: Session, account_id: uuid.UUID) -> int:
    return db.scalar(select(func.count()).select_from(Passkey).where(Passkey.account_id == account_id)) or 0


def by_credential(db: Session, credential_id: str, *, lock: bool = False) -> Passkey | None:
    query = select(Passkey).where(Passkey.credential_id == credential_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.scalars(query).first()
