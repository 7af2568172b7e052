"""Setting a new password on a changed account: the one tail of a password change, whether the citizen's own
step applies it or their trusted person's approval does later."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kabinet.audit.events import CITIZEN, Actor, EventType, Meta, record
from kabinet.flows.shared import relying
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import contact_changed
from kabinet.store.models import Account
from kabinet.texts import text


def apply(ctx: FlowContext, db: Session, account: Account, new_hash: str, *, keep: uuid.UUID | None, now: datetime,
          meta: Meta, actor: Actor = CITIZEN, **details: Any) -> None:
    """Every other session ends: whoever knew the old password may be signed in elsewhere."""
    account.password_hash = new_hash
    relying.end_sessions(ctx, db, account.id, now, keep=keep)
    record(db, account, EventType.PASSWORD_CHANGED, at=now, meta=meta, actor=actor, **details)
    contact_changed(ctx, db, account, now=now, what=text("the password was changed"), about="security")
    relying.push(ctx, db, account.id, "sessions-revoked", now)
    relying.password_changed(ctx, db, account.id, now)
