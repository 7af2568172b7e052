""""This wasn't me" (DESIGN.md §4 rule 5): the single-use link in every security notice ends every
session of the account at once, so whoever made the change is thrown out, and records it.

The link works once, for 7 days, signed out. It also suspends password sign-in (status
``reset_required``): whoever made the change may know the password, so the citizen gets back in through
recovery (two proofs) and sets a new one, as Login.gov does. Passkeys added within the cooling-off go too: whoever
made the change may have added one, and a passkey signs in without the password.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import LinkInvalid, NotMeLinkInvalid
from kabinet.flows.shared import passkeys, relying
from kabinet.flows.shared.accounts import write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.store.challenges import by_link


@dataclass(frozen=True)
class NotMe:
    sessions_ended: int


def run(ctx: FlowContext, meta: Meta, *, token: str) -> NotMe:
    ctx.limiter.check("link.check.ip", meta.ip or "-")
    digest = ctx.hasher.digest("link", token or "")
    try:
        with write_step(ctx, lambda db: _owner(db, digest)) as (db, account, now):
            ch = by_link(db, digest, "not_me", lock=True)  # afresh under the lock: the link works once, even racing
            if ch is None or account is None or ch.consumed_at is not None or now >= ch.expires_at:
                raise NotMeLinkInvalid()
            ch.consumed_at = now
            account.status = "reset_required"
            ended = relying.end_sessions(ctx, db, account.id, now)
            record(db, account, EventType.NOT_ME, at=now, meta=meta, sessions_ended=ended)
            passkeys.drop_new(ctx, db, account, now=now, meta=meta, why="not_me")
            return NotMe(sessions_ended=ended)
    except LinkInvalid:
        ctx.limiter.hit("link.check.ip", meta.ip or "-")
        raise


def _owner(db: Session, digest: str) -> uuid.UUID | None:
    ch = by_link(db, digest, "not_me")
    return ch.account_id if ch is not None else None
