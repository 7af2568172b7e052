"""Password change (Security page): needs the current password and a fresh second factor; ends every
other session, because whoever knew the old password may be signed in elsewhere."""

from __future__ import annotations

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import AuthFailed
from kabinet.domain.passwords import check_password
from kabinet.flows.shared.accounts import load_account, write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import contact_changed
from kabinet.security.passwords import hash_password, verify_password
from kabinet.security.sessions import require_step_up
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Session as UserSession
from kabinet.store.sessions import end_all
from kabinet.texts import text


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
    with write_step(ctx, account.id) as (db, locked, now):
        assert locked is not None
        locked.password_hash = new_hash
        end_all(db, locked.id, now, keep=session.id)
        record(db, locked, EventType.PASSWORD_CHANGED, at=now, meta=meta)
        contact_changed(ctx, db, locked, now=now, what=text("the password was changed"))
