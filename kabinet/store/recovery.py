"""Queries on recoveries and backup codes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kabinet.domain.states import RecoveryState
from kabinet.store.models import BackupCode, Recovery


def owner(db: Session, recovery_id: uuid.UUID) -> uuid.UUID | None:
    return db.scalar(select(Recovery.account_id).where(Recovery.id == recovery_id))


def lock(db: Session, recovery_id: uuid.UUID) -> Recovery | None:
    """Locked and read afresh (the caller holds the account lock): one step, once."""
    return db.scalars(select(Recovery).where(Recovery.id == recovery_id).with_for_update()
                      .execution_options(populate_existing=True)).one_or_none()


def backup_codes_left(db: Session, account_id: uuid.UUID) -> int:
    return db.scalar(select(func.count()).select_from(BackupCode).where(
        BackupCode.account_id == account_id, BackupCode.used_at.is_(None))) or 0


def unused_backup_code(db: Session, code_hash: str) -> BackupCode | None:
    return db.scalars(select(BackupCode).where(BackupCode.code_hash == code_hash,
                                               BackupCode.used_at.is_(None))).first()


def use_up_backup_codes(db: Session, account_id: uuid.UUID, now: datetime) -> None:
    db.execute(update(BackupCode).where(BackupCode.account_id == account_id, BackupCode.used_at.is_(None))
               .values(used_at=now))


def by_cancel_hash(db: Session, digest: str, *, lock: bool = False) -> Recovery | None:
    """A held recovery by the keyed hash of its cancel link (a unique index); with ``lock``, locked and read
    afresh (the caller holds the account lock)."""
    query = select(Recovery).where(Recovery.cancel_hash == digest)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.scalars(query).one_or_none()


def held(db: Session, account_id: uuid.UUID, now: datetime) -> list[Recovery]:
    """Recoveries of this account on hold (waiting out the cooling-off or the trusted person)."""
    return list(db.scalars(select(Recovery).where(Recovery.account_id == account_id,
                                                  Recovery.state == RecoveryState.HELD, Recovery.expires_at > now)
                           .order_by(Recovery.created_at)))
