"""Backup codes as a proof: how many are left, using one, and telling every channel that one was used.
(Making a new set is the ``recovery.backup_codes`` flow; recovery redeems them through here.)

Why a keyed hash and not a password hash: each code is 50 random bits, so an HMAC with the service key, bound
to the account, is enough, and lets a code be found by its hash in one indexed lookup.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import security_notice
from kabinet.store.models import Account
from kabinet.store.recovery import backup_codes_left, unused_backup_code
from kabinet.texts import text


def code_hash(ctx: FlowContext, account_id: uuid.UUID, code: str) -> str:
    normal = "".join(code.lower().split()).replace("-", "")
    return ctx.hasher.digest(f"backup:{account_id}", normal)


def redeem(ctx: FlowContext, db: Session, account_id: uuid.UUID, code: str, now: datetime) -> bool:
    """Use the code if it is one of the account's unused ones (the caller holds the account lock)."""
    row = unused_backup_code(db, code_hash(ctx, account_id, code))
    if row is None or row.account_id != account_id:
        return False
    row.used_at = now
    return True


def used(ctx: FlowContext, db: Session, account: Account, *, meta: Meta, now: datetime) -> None:
    left = backup_codes_left(db, account.id)
    record(db, account, EventType.BACKUP_CODE_USED, at=now, meta=meta, left=left)
    security_notice(ctx, db, account, now=now, what=text("a backup code was used, {left} left", left=left))
