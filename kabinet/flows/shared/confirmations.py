"""Which channel confirms a change, and what a confirmed second factor leaves behind in the session.

Why here and not in a flow: removing, changing and (later) operator-driven changes all confirm the same way
(DESIGN.md rule 4), and every confirmed code counts as a fresh second factor for the step-up window."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.contact_book import confirmation_channel
from kabinet.domain.cooling import Added, may_confirm_removal
from kabinet.domain.errors import ContactTooNew, NoSecondChannel
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import added, facts
from kabinet.flows.shared.context import FlowContext
from kabinet.security.sessions import rotate
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, Challenge, Contact
from kabinet.store.models import Session as UserSession


def confirmation(ctx: FlowContext, db: Session, account: Account, session: UserSession, contact: Contact, *,
                 meta: Meta, purpose: str, payload: dict[str, Any] | None = None,
                 fallback_to_target: bool = False) -> Challenge:
    """A challenge whose code goes to the TOTP app or a verified phone other than ``contact`` (rule 4) — never to a
    phone added (or an app enrolled) in the cooling-off when ``contact`` is older: a thief's fresh number
    or app must not unlink the citizen's own. When only such a one could confirm, the answer says so
    (``contact.too_new``)."""
    now = ctx.clock.now()
    present = present_contacts(db, account.id)
    target = added(account, contact)
    book = [facts(c) for c in present
            if may_confirm_removal(added(account, c), target, now, ctx.cooling.contact)]
    app = Added(verified_at=account.totp_enrolled_at, account_created_at=account.created_at)
    has_totp = bool(account.totp_secret) and may_confirm_removal(app, target, now, ctx.cooling.contact)
    where = confirmation_channel(book, facts(contact), has_totp=has_totp)
    if where is None and fallback_to_target and contact.kind == "phone" and contact.verified_at is not None:
        where = facts(contact)  # changing the only phone: the old number confirms, as on the portal
    if where is None and confirmation_channel([facts(c) for c in present], facts(contact),
                                              has_totp=bool(account.totp_secret)):
        raise ContactTooNew(hours=round(ctx.cooling.contact.total_seconds() / 3600))
    if where is None:
        raise NoSecondChannel()
    phone = None if where == "totp" else db.get_one(Contact, where.id)  # type: ignore[union-attr]
    return challenges.issue(ctx, db, now=ctx.clock.now(), meta=meta, purpose=purpose,
                            channel="totp" if phone is None else "sms", destination=phone.value if phone else None,
                            account=account, session=session, contact_id=contact.id, payload=payload)



def mark_fresh(step: challenges.Step, account: Account, channel: str, *, new_token: bool = False) -> str | None:
    """Record a second factor just confirmed in this session (any confirmed code counts as one);
    with ``new_token``, rotate the session token and return it."""
    if not isinstance(step.session, UserSession):
        return None  # signed out, or an operator at the counter: no citizen session to mark
    row = step.db.get_one(UserSession, step.session.id)
    row.second_factor_at = step.now
    record(step.db, account, EventType.STEP_UP, at=step.now, meta=step.meta, channel=channel)
    return rotate(row, step.ctx.hasher) if new_token else None
