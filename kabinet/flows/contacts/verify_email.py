"""Following the link from the letter (S8): works signed out and in another browser, once, within 24 h.

The page first shows whose account it is (masked) and asks for a click: opening a link must not
change anything, because mail scanners open links too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.audit.events import Meta
from kabinet.domain.errors import ContactTaken, LinkInvalid, LinkUsed
from kabinet.domain.masks import mask_name
from kabinet.flows.contacts import _new_contacts as new_contacts
from kabinet.flows.shared.accounts import write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import masked
from kabinet.flows.shared.results import ContactView, contact_view
from kabinet.store.challenges import by_link
from kabinet.store.models import Account, Challenge, Contact


def _challenge(db: Session, digest: str, now: datetime, *, lock: bool = False) -> Challenge:
    ch = by_link(db, digest, "verify_email", lock=lock)
    if ch is not None and ch.consumed_at is not None and _confirmed(db, ch):
        raise LinkUsed()
    if ch is None or ch.consumed_at is not None or now >= ch.expires_at:
        raise LinkInvalid()
    return ch


def _confirmed(db: Session, ch: Challenge) -> bool:
    contact = db.get(Contact, ch.contact_id) if ch.contact_id else None
    return contact is not None and contact.verified_at is not None and contact.removed_at is None


@dataclass(frozen=True)
class LinkPreview:
    account: str  # the account's name, masked
    email: str  # the address, masked


@dataclass(frozen=True)
class EmailVerified:
    contact: ContactView
    account: str  # the account's name, masked


def preview(ctx: FlowContext, meta: Meta, *, token: str) -> LinkPreview:
    """Whose address this is, masked, without using the link up."""
    now = ctx.clock.now()
    ctx.limiter.check("link.check.ip", meta.ip or "-")
    with ctx.store.read() as db:
        try:
            ch = _challenge(db, ctx.hasher.digest("link", token or ""), now)
        except LinkInvalid:
            ctx.limiter.hit("link.check.ip", meta.ip or "-")
            raise
        account = db.get_one(Account, ch.account_id)
        contact = db.get_one(Contact, ch.contact_id)
        return LinkPreview(account=mask_name(account.full_name), email=masked(contact))


def confirm(ctx: FlowContext, meta: Meta, *, token: str) -> EmailVerified:
    ctx.limiter.check("link.check.ip", meta.ip or "-")
    digest = ctx.hasher.digest("link", token or "")
    try:
        with write_step(ctx, lambda db: _challenge(db, digest, ctx.clock.now()).account_id) as (db, account, now):
            ch = _challenge(db, digest, now, lock=True)  # afresh under the lock: a link works once, even racing
            contact = db.get(Contact, ch.contact_id)
            if account is None or contact is None or contact.removed_at is not None:
                raise LinkInvalid()
            ch.consumed_at = now
            try:
                new_contacts.verify(ctx, db, account, contact, meta=meta, now=now)
            except ContactTaken:
                raise LinkInvalid() from None  # someone else verified it meanwhile (all of this rolls back)
            return EmailVerified(contact=contact_view(contact), account=mask_name(account.full_name))
    except LinkInvalid:
        ctx.limiter.hit("link.check.ip", meta.ip or "-")
        raise
