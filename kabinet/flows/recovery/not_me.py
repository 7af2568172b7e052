""""This wasn't me" (DESIGN.md §4 rule 5): the single-use link in every security notice ends every
session of the account at once, so whoever made the change is thrown out, and records it.

The link works once, for 7 days, signed out. It also suspends password sign-in (status
``reset_required``): whoever made the change may know the password, so the citizen gets back in through
recovery (two proofs) and sets a new one, as Login.gov does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import LinkInvalid
from kabinet.flows.shared.context import FlowContext
from kabinet.store.db import lock_account, lock_challenge
from kabinet.store.models import Challenge
from kabinet.store.models import Session as UserSession


def run(ctx: FlowContext, meta: Meta, *, token: str) -> dict[str, Any]:
    now = ctx.clock.now()
    ctx.limiter.check("link.check.ip", meta.ip or "-")
    account = None
    with ctx.store.write() as db:
        ch = db.scalars(select(Challenge).where(Challenge.secret_hash == ctx.hasher.digest("link", token or ""),
                                                Challenge.purpose == "not_me")).first() if token else None
        if ch is not None and ch.account_id is not None:
            account = lock_account(db, ch.account_id)
            ch = lock_challenge(db, ch.id)  # afresh under the lock: the link works once, even racing
        failed = ch is None or ch.consumed_at is not None or now >= ch.expires_at or ch.account_id is None
        if not failed:
            assert ch is not None and account is not None
            ch.consumed_at = now
            account.status = "reset_required"
            ended = db.execute(update(UserSession).where(UserSession.account_id == account.id,
                                                         UserSession.revoked_at.is_(None))
                               .values(revoked_at=now)).rowcount
            record(db, account, EventType.NOT_ME, at=now, meta=meta, sessions_ended=ended)
    if failed:
        ctx.limiter.hit("link.check.ip", meta.ip or "-")
        raise LinkInvalid()
    return {"sessions_ended": ended}
