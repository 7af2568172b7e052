"""Remove or keep the trusted person. Removing one in force is itself a sensitive change: it takes
effect only after ``Cooling.trusted``, told on every channel and to the trusted person, so a thief who holds a
session cannot clear the way for a recovery. Undoing only adds protection, so it takes effect at once:
cancelling a replacement that does not count yet (the old one stays), or keeping one whose removal is pending."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.cooling import coming
from kabinet.domain.errors import TrustedKeepRefused, TrustedNotFound
from kabinet.domain.ids import Id, parse_id
from kabinet.domain.masks import mask_name
from kabinet.domain.states import LinkState, move
from kabinet.flows.shared import relying
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import security_notice, when
from kabinet.flows.trusted._links import LinkView, link_times, link_view, phase, tell_trustee
from kabinet.store.models import Account, TrustedLink
from kabinet.store.models import Session as UserSession
from kabinet.store.trusted import links_of, lock_link
from kabinet.texts import text


def remove(ctx: FlowContext, meta: Meta, *, session: UserSession, link_id: Id) -> LinkView:
    with account_step(ctx, session, fresh_factor=True) as (db, account, now):
        link = _own(db, account, link_id)
        state = phase(link, now)
        trustee = db.get_one(Account, link.trustee_id)
        name = mask_name(trustee.full_name)
        if state == "coming":  # never counted: gone at once, and the one it was to replace stays
            move(link, LinkState.CANCELLED)
            for other in links_of(db, account.id):
                if other.id != link.id and other.ends_at is not None and other.ends_at >= (link.effective_at or now):
                    (lock_link(db, other.id) or other).ends_at = None
            record(db, account, EventType.TRUSTED_REPLACEMENT_CANCELLED, at=now, meta=meta, trustee=name)
            security_notice(ctx, db, account, now=now, what=text("the change of your trusted person was cancelled"))
            return link_view(db, link, now)
        if state not in ("in_force", "ending"):
            raise TrustedNotFound()
        link.ends_at = min(link.ends_at or now + ctx.cooling.trusted, now + ctx.cooling.trusted)
        record(db, account, EventType.TRUSTED_REMOVAL_REQUESTED, at=now, meta=meta, trustee=name,
               ends_at=link.ends_at.isoformat())
        security_notice(ctx, db, account, now=now, what=text(
            "{name} will stop being your trusted person on {date}", name=name, date=when(link.ends_at, account.locale)))
        relying.push(ctx, db, account.id, "recovery-information-changed", now)
        tell_trustee(ctx, db, trustee, now=now, template="trusted_ending",
                     data={"who": mask_name(account.full_name), "date": when(link.ends_at, trustee.locale)})
        return link_view(db, link, now)


def keep(ctx: FlowContext, meta: Meta, *, session: UserSession, link_id: Id) -> LinkView:
    """Undo a pending removal; while a replacement is coming, cancelling the replacement is the way back."""
    with account_step(ctx, session) as (db, account, now):
        link = _own(db, account, link_id)
        if phase(link, now) != "ending":
            raise TrustedNotFound()
        if any(coming(link_times(other), now) for other in links_of(db, account.id)):
            raise TrustedKeepRefused()
        link.ends_at = None
        trustee = db.get_one(Account, link.trustee_id)
        record(db, account, EventType.TRUSTED_REMOVAL_CANCELLED, at=now, meta=meta,
               trustee=mask_name(trustee.full_name))
        security_notice(ctx, db, account, now=now, what=text("the removal of your trusted person was cancelled"))
        return link_view(db, link, now)


def _own(db: Session, account: Account, link_id: Id) -> TrustedLink:
    link = lock_link(db, parse_id(link_id, TrustedNotFound))
    if link is None or link.account_id != account.id or link.state != LinkState.ACTIVE:
        raise TrustedNotFound()
    return link
