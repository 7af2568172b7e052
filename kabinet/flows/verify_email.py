"""Following the link from the letter (S8): works signed out and in another browser, once, within 24 h.

The page first shows whose account it is (masked) and asks for a click: opening a link must not
change anything, because mail scanners open links too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.bootstrap import Kabinet
from kabinet.domain.errors import ContactTaken, LinkInvalid
from kabinet.domain.masks import mask_name
from kabinet.flows.accounts import claim_value
from kabinet.flows.contact_state import mark_verified
from kabinet.flows.notices import contact_changed, masked
from kabinet.flows.views import contact_view
from kabinet.store.db import lock_account, lock_challenge
from kabinet.store.models import Account, Challenge, Contact


def _challenge(kb: Kabinet, db: Session, token: str, now: datetime) -> Challenge:
    ch = db.scalars(select(Challenge).where(Challenge.secret_hash == kb.hasher.digest("link", token or ""),
                                            Challenge.purpose == "verify_email")).first() if token else None
    if ch is None or ch.consumed_at is not None or now >= ch.expires_at:
        raise LinkInvalid()
    return ch


def preview(kb: Kabinet, meta: Meta, *, token: str) -> dict[str, Any]:
    """Whose address this is, masked, without using the link up."""
    now = kb.clock.now()
    kb.limiter.check("link.check.ip", meta.ip or "-")
    with kb.store.read() as db:
        try:
            ch = _challenge(kb, db, token, now)
        except LinkInvalid:
            kb.limiter.hit("link.check.ip", meta.ip or "-")
            raise
        account = db.get_one(Account, ch.account_id)
        contact = db.get_one(Contact, ch.contact_id)
        return {"account": mask_name(account.full_name), "email": masked(contact)}


def confirm(kb: Kabinet, meta: Meta, *, token: str) -> dict[str, Any]:
    now = kb.clock.now()
    kb.limiter.check("link.check.ip", meta.ip or "-")
    try:
        with kb.store.write() as db:
            found = _challenge(kb, db, token, now)
            account = lock_account(db, found.account_id)  # type: ignore[arg-type]
            ch = lock_challenge(db, found.id)  # read afresh under the lock: a link works once, even racing
            if ch is None or ch.consumed_at is not None:
                raise LinkInvalid()
            contact = db.get(Contact, ch.contact_id)
            if account is None or contact is None or contact.removed_at is not None:
                raise LinkInvalid()
            ch.consumed_at = now
            try:
                verify(kb, db, account, contact, meta=meta, now=now)
            except ContactTaken:
                raise LinkInvalid() from None  # someone else verified it meanwhile (all of this rolls back)
            return {"contact": contact_view(contact), "account": mask_name(account.full_name)}
    except LinkInvalid:
        kb.limiter.hit("link.check.ip", meta.ip or "-")
        raise


def verify(kb: Kabinet, db: Session, account: Account, contact: Contact, *, meta: Meta, now: datetime) -> None:
    """Mark verified, finish a Change if this was one, record it and tell the citizen (email and phone alike)."""
    claim_value(db, contact.kind, contact.value, account.id)
    retired = mark_verified(db, contact, now)
    db.flush()  # the unique index on verified values speaks here, inside the transaction
    record(db, account, EventType.CONTACT_CHANGED if retired else EventType.CONTACT_VERIFIED, at=now, meta=meta,
           contact=str(contact.id), value=masked(contact), replaced=str(retired.id) if retired else None)
    what = (f"подтверждён {masked(contact)}", f"{masked(contact)} confirmed")
    if retired is not None:
        what = (f"{masked(retired)} заменён на {masked(contact)}", f"{masked(retired)} replaced by {masked(contact)}")
    contact_changed(kb, db, account, now=now, what=what, removed=retired)
