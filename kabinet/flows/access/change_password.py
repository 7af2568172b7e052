"""Password change (Security page): needs the current password and a fresh second factor; ends every
other session, because whoever knew the old password may be signed in elsewhere.

With a trusted person in force the new password waits for their approval: only its hash is kept, on
the request, until they approve (then it is applied, as here), refuse or the citizen cancels (then it is wiped).
A thief who knows the password and holds the session still cannot change it alone."""

from __future__ import annotations

from kabinet.audit.events import Meta
from kabinet.domain.errors import AuthFailed
from kabinet.domain.passwords import check_password
from kabinet.flows.access import _password_set as password_set
from kabinet.flows.shared.accounts import load_account, write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.trusted._api import ApprovalView, approval_view, trusted
from kabinet.security.passwords import hash_password, verify_password
from kabinet.security.sessions import require_step_up
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Session as UserSession


def run(ctx: FlowContext, meta: Meta, *, session: UserSession, current: str, new: str) -> ApprovalView | None:
    """``None`` when the password is changed now; the request waiting for the trusted person otherwise."""
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
        link = trusted.current(db, locked.id, now)
        if link is None:
            password_set.apply(ctx, db, locked, new_hash, keep=session.id, now=now, meta=meta)
            return None
        approval = trusted.ask(ctx, db, locked, link, action="password", now=now, meta=meta, new_hash=new_hash,
                               session_id=session.id)
        db.flush()
        return approval_view(db, approval)
