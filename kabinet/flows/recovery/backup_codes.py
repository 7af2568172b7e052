"""Backup codes: ten single-use codes shown once, for when the phone is lost (a second recovery proof).

Why they are stored like passwords are not: each is 50 random bits, so a keyed hash (HMAC with the service
key, bound to the account) is enough and lets a code be found by its hash in one indexed lookup.
Making new ones kills the old; using one tells every channel.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.bootstrap import Kabinet
from kabinet.flows.accounts import account_step
from kabinet.flows.notices import security_notice
from kabinet.store.models import Account, BackupCode
from kabinet.store.models import Session as UserSession

COUNT = 10
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt


def make(kb: Kabinet, meta: Meta, *, session: UserSession) -> list[str]:
    with account_step(kb, session, fresh_factor=True) as (db, account, now):
        db.execute(update(BackupCode).where(BackupCode.account_id == account.id, BackupCode.used_at.is_(None))
                   .values(used_at=now))
        codes = [_new_code() for _ in range(COUNT)]
        db.add_all(BackupCode(id=uuid.uuid4(), account_id=account.id, code_hash=_hash(kb, account.id, c),
                              created_at=now) for c in codes)
        record(db, account, EventType.BACKUP_CODES_MADE, at=now, meta=meta, count=COUNT)
        security_notice(kb, db, account, now=now, what=("созданы новые резервные коды", "new backup codes were made"))
        return codes


def count(kb: Kabinet, *, account_id: uuid.UUID) -> int:
    """Unused codes left, for the Security page."""
    with kb.store.read() as db:
        return remaining(db, account_id)


def remaining(db: Session, account_id: uuid.UUID) -> int:
    return db.scalar(select(func.count()).select_from(BackupCode).where(
        BackupCode.account_id == account_id, BackupCode.used_at.is_(None))) or 0


def redeem(kb: Kabinet, db: Session, account_id: uuid.UUID, code: str, now: datetime) -> bool:
    """Use the code if it is one of the account's unused ones (the caller holds the account lock)."""
    row = db.scalars(select(BackupCode).where(BackupCode.code_hash == _hash(kb, account_id, code),
                                              BackupCode.used_at.is_(None))).first()
    if row is None or row.account_id != account_id:
        return False
    row.used_at = now
    return True


def used(kb: Kabinet, db: Session, account: Account, *, meta: Meta, now: datetime) -> None:
    left = remaining(db, account.id)
    record(db, account, EventType.BACKUP_CODE_USED, at=now, meta=meta, left=left)
    security_notice(kb, db, account, now=now, what=(f"использован резервный код, осталось {left}",
                                                    f"a backup code was used, {left} left"))


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _hash(kb: Kabinet, account_id: uuid.UUID, code: str) -> str:
    normal = "".join(code.lower().split()).replace("-", "")
    return kb.hasher.digest(f"backup:{account_id}", normal)
