"""Add a phone (S14): an unverified number and an SMS code to it; the code verifies it.

A number verified on another account gets a notice instead of a code, and the caller sees the same
challenge (rule 7); no code can ever verify it here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.bootstrap import Kabinet
from kabinet.domain.errors import ContactNotFound
from kabinet.domain.phone import parse_phone
from kabinet.flows import challenges
from kabinet.flows.accounts import account_step, verified_owner
from kabinet.flows.contact_state import pending_contact
from kabinet.flows.notices import masked
from kabinet.flows.verify_email import verify
from kabinet.flows.views import contact_view
from kabinet.store.models import Account, Challenge, Contact
from kabinet.store.models import Session as UserSession


def start(kb: Kabinet, meta: Meta, *, session: UserSession, value: str) -> dict[str, Any]:
    number = parse_phone(value)
    with account_step(kb, session, fresh_factor=True) as (db, account, now):
        contact, ch = add(kb, db, account, session, meta=meta, now=now, e164=number.e164, display=number.display)
        return {"contact": contact_view(contact), "challenge": challenges.view(ch, now)}


def add(kb: Kabinet, db: Session, account: Account, session: UserSession | None, *, meta: Meta, now: datetime,
        e164: str, display: str, replaces: Contact | None = None) -> tuple[Contact, Challenge]:
    contact = pending_contact(db, account.id, kind="phone", value=e164, display=display, now=now, replaces=replaces)
    taken = verified_owner(db, "phone", e164) is not None
    ch = challenges.issue(kb, db, now=now, meta=meta, purpose="verify_phone", channel="sms",
                          destination=e164, account=account, session=session, contact_id=contact.id,
                          silent="phone_taken" if taken else None)
    record(db, account, EventType.PHONE_ADDED, at=now, meta=meta, contact=str(contact.id), value=masked(contact),
           replaces=str(replaces.id) if replaces else None)
    return contact, ch


@challenges.on_confirm("verify_phone")
def _confirm(step: challenges.Step, ch: Challenge, account: Account | None) -> dict[str, Any]:
    assert account is not None
    contact = step.db.get(Contact, ch.contact_id)
    if contact is None or contact.removed_at is not None or contact.account_id != account.id:
        raise ContactNotFound()
    verify(step.kb, step.db, account, contact, meta=step.meta, now=step.now)
    return {"contact": contact_view(contact)}
