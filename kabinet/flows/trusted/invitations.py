"""Invite a trusted person by phone, and the invitee's answer from their own signed-in cabinet.

Why the invitee answers in their cabinet and not by a code in the SMS: only an account can be a trusted person
(confirmed, 18+ by the birth date on record), and whoever holds the invited number today must prove they are
that account. The inviter never learns whether the number has an account: the answer is the same either way.

The first trusted person counts at once (protection only grows). A replacement counts only after
``Cooling.trusted``, and the old one stays in force until then: a thief holding a session cannot swap in an
accomplice and recover at once. Every change is told on every channel.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.delivery.outbox import enqueue
from kabinet.domain.cooling import coming, is_adult
from kabinet.domain.errors import (
    TrustedNotConfirmed,
    TrustedNotFound,
    TrustedPending,
    TrustedSelf,
    TrustedTooMany,
    TrustedUnderage,
)
from kabinet.domain.ids import Id, parse_id
from kabinet.domain.masks import mask_name
from kabinet.domain.phone import Phone, parse_phone
from kabinet.domain.states import LinkState, move
from kabinet.flows.shared import relying
from kabinet.flows.shared.accounts import account_step, write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import security_notice, when
from kabinet.flows.trusted import _links as trusted
from kabinet.flows.trusted._links import LinkView, link_times, link_view
from kabinet.policy import TRUSTED_INVITE_TTL, TRUSTED_PER_TRUSTEE
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, TrustedLink
from kabinet.store.models import Session as UserSession
from kabinet.store.trusted import link_parties, links_of, lock_link, trusted_by
from kabinet.texts import text


def invite(ctx: FlowContext, meta: Meta, *, session: UserSession, phone: str) -> LinkView:
    e164 = parse_phone(phone).e164
    with account_step(ctx, session, fresh_factor=True) as (db, account, now):
        if any(c.kind == "phone" and c.value == e164 for c in present_contacts(db, account.id)):
            raise TrustedSelf(field="phone")
        if any(_pending(link, now) or coming(link_times(link), now) for link in links_of(db, account.id)):
            raise TrustedPending()
        ctx.limiter.hit_all([("trusted.invite.account", str(account.id)), ("trusted.invite.destination", e164)])
        link = TrustedLink(id=uuid.uuid4(), account_id=account.id, phone=e164, state=LinkState.INVITED, created_at=now,
                           invite_expires_at=now + TRUSTED_INVITE_TTL)
        db.add(link)
        record(db, account, EventType.TRUSTED_INVITED, at=now, meta=meta, value=Phone(e164).masked)
        enqueue(db, channel="sms", destination=e164, template="trusted_invite", locale=account.locale, now=now,
                account_id=None, data={"who": mask_name(account.full_name), "url": f"{ctx.base_url}/trusted",
                                       "until": when(link.invite_expires_at, account.locale)})
        return link_view(db, link, now)


def cancel(ctx: FlowContext, meta: Meta, *, session: UserSession, link_id: Id) -> None:
    """The citizen takes back an invitation not yet answered."""
    with account_step(ctx, session) as (db, account, now):
        link = lock_link(db, parse_id(link_id, TrustedNotFound))
        if link is None or link.account_id != account.id or not _pending(link, now):
            raise TrustedNotFound()
        move(link, LinkState.CANCELLED)
        record(db, account, EventType.TRUSTED_INVITATION_CANCELLED, at=now, meta=meta, value=Phone(link.phone).masked)


def accept(ctx: FlowContext, meta: Meta, *, session: UserSession, link_id: Id) -> LinkView:
    with _answer_step(ctx, session, link_id) as (db, me, citizen, link, now):
        if me.level != "confirmed":
            raise TrustedNotConfirmed()
        if not is_adult(me.birth_date, now.date()):
            raise TrustedUnderage()
        if len(trusted_by(db, me.id, now)) >= TRUSTED_PER_TRUSTEE:
            raise TrustedTooMany(limit=TRUSTED_PER_TRUSTEE)
        current = trusted.current(db, citizen.id, now)
        move(link, LinkState.ACTIVE)
        link.trustee_id, link.accepted_at = me.id, now
        link.effective_at = now if current is None else now + ctx.cooling.trusted
        if current is not None:
            current = lock_link(db, current.id) or current
            current.ends_at = min(current.ends_at or link.effective_at, link.effective_at)
        name = mask_name(me.full_name)
        record(db, citizen, EventType.TRUSTED_ACCEPTED, at=now, meta=meta, trustee=name,
               effective_at=link.effective_at.isoformat())
        record(db, me, EventType.TRUSTED_ACCEPTED, at=now, meta=meta, citizen=mask_name(citizen.full_name))
        what = (text("{name} became your trusted person", name=name) if current is None else
                text("{name} will become your trusted person on {date}", name=name,
                     date=when(link.effective_at, citizen.locale)))
        security_notice(ctx, db, citizen, now=now, what=what)
        relying.push(ctx, db, citizen.id, "recovery-information-changed", now)
        return link_view(db, link, now)


def decline(ctx: FlowContext, meta: Meta, *, session: UserSession, link_id: Id) -> None:
    with _answer_step(ctx, session, link_id) as (db, me, citizen, link, now):
        move(link, LinkState.DECLINED)
        record(db, citizen, EventType.TRUSTED_DECLINED, at=now, meta=meta, value=Phone(link.phone).masked)
        record(db, me, EventType.TRUSTED_DECLINED, at=now, meta=meta, citizen=mask_name(citizen.full_name))


def _pending(link: TrustedLink, now: datetime) -> bool:
    return link.state == LinkState.INVITED and now < link.invite_expires_at


@contextmanager
def _answer_step(ctx: FlowContext, session: UserSession, link_id: Id
                 ) -> Iterator[tuple[Session, Account, Account, TrustedLink, datetime]]:
    """Both accounts locked (in id order, ``write_step``), then the invitation, checked: still open, sent to a
    number that is a verified phone of the one answering, not their own."""
    lid = parse_id(link_id, TrustedNotFound)
    with write_step(ctx, lambda db: (session.account_id, *link_parties(db, lid))) as (db, me, now):
        link = lock_link(db, lid)
        mine = {c.value for c in present_contacts(db, session.account_id)
                if c.kind == "phone" and c.verified_at is not None}
        if me is None or link is None or not _pending(link, now) or link.phone not in mine \
                or link.account_id == me.id:
            raise TrustedNotFound()
        yield db, me, db.get_one(Account, link.account_id), link, now
