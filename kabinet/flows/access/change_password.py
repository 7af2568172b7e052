"""Password change (Security page): needs the current password and a fresh second factor; ends every
other session, because whoever knew the old password may be signed in elsewhere."""

from __future__ import annotations

from sqlalchemy import update

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import AuthFailed
from kabinet.domain.passwords import check_password
from kabinet.flows.shared.accounts import load_account, present_contacts
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import contact_changed
from kabinet.security.passwords import hash_password, verify_password
from kabinet.security.sessions import require_step_up
from kabinet.store.db import lock_account
from kabinet.store.models import Session as UserSession


def run(ctx: FlowContext, meta: Meta, *, session: UserSession, current: str, new: str) -> None:
    now = ctx.clock.now()
    require_step_up(session, now)
    account = load_account(ctx, session.account_id)
    ctx.limiter.check("sign_in.login", f"account:{account.id}")  # before the guess, not after it
    if not verify_password(account.password_hash, current[:1024]):
        ctx.limiter.hit("sign_in.login", f"account:{account.id}")
        raise AuthFailed(field="current")
    with ctx.store.read() as db:
        personal = [c.value for c in present_contacts(db, account.id)] + account.full_name.split()
    check_password(new, personal=[p.split("@")[0].lstrip("+") for p in personal])
    new_hash = hash_password(new)
    with ctx.store.write() as db:
        locked = lock_account(db, account.id)
        assert locked is not None
        locked.password_hash = new_hash
        db.execute(update(UserSession).where(UserSession.account_id == locked.id, UserSession.id != session.id,
                                             UserSession.revoked_at.is_(None)).values(revoked_at=now))
        record(db, locked, EventType.PASSWORD_CHANGED, at=now, meta=meta)
        contact_changed(ctx, db, locked, now=now, what=("пароль изменён", "the password was changed"))
