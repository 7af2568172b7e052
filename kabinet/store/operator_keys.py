"""Queries on operators' security keys: an operator's, one by its credential id (a unique index)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from kabinet.store.models import OperatorKey


def keys_of(db: Session, operator_id: uuid.UUID) -> Sequence[OperatorKey]:
    return db.scalars(select(OperatorKey).where(OperatorKey.operator_id == operator_id)
                      .order_by(OperatorKey.created_at)).all()


def key_by_credential(db: Session, credential_id: str, *, lock: bool = False) -> OperatorKey | None:
    query = select(OperatorKey).where(OperatorKey.credential_id == credential_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.scalars(query).first()
