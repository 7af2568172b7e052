"""Backup codes: ten single-use codes shown once, for when the phone is lost (a second recovery proof).
Making new ones kills the old; using one (``flows.shared.backup_codes``) tells every channel.
"""

from __future__ import annotations

import secrets
import uuid

from kabinet.audit.events import EventType, Meta, record
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.backup_codes import code_hash
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import security_notice
from kabinet.store.models import BackupCode
from kabinet.store.models import Session as UserSession
from kabinet.store.recovery import backup_codes_left, use_up_backup_codes
from kabinet.texts import text

COUNT = 10
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt


def make(ctx: FlowContext, meta: Meta, *, session: UserSession) -> list[str]:
    with account_step(ctx, session, fresh_factor=True) as (db, account, now):
        use_up_backup_codes(db, account.id, now)
        codes = [_new_code() for _ in range(COUNT)]
        db.add_all(BackupCode(id=uuid.uuid4(), account_id=account.id, code_hash=code_hash(ctx, account.id, c),
                              created_at=now) for c in codes)
        record(db, account, EventType.BACKUP_CODES_MADE, at=now, meta=meta, count=COUNT)
        security_notice(ctx, db, account, now=now, what=text("new backup codes were made"))
        return codes


def count(ctx: FlowContext, *, account_id: uuid.UUID) -> int:
    """Unused codes left, for the Security page."""
    with ctx.store.read() as db:
        return backup_codes_left(db, account_id)


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"
