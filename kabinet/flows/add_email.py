"""Add email (S8): an unverified address and a letter with a single-use link valid 24 h.

An address verified on *another* account gets a letter saying someone tried to add it, and no link:
the caller sees the same answer either way (rule 7), and it can never be verified here.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.bootstrap import Kabinet
from kabinet.delivery.outbox import enqueue
from kabinet.domain.email import parse_email
from kabinet.domain.masks import mask_name
from kabinet.flows.accounts import account_step, verified_owner
from kabinet.flows.contact_state import pending_contact
from kabinet.flows.notices import masked
from kabinet.flows.views import contact_view
from kabinet.security.tokens import new_token
from kabinet.store.models import Account, Challenge, Contact
from kabinet.store.models import Session as UserSession

LINK_TTL = timedelta(hours=24)


def start(kb: Kabinet, meta: Meta, *, session: UserSession, value: str) -> dict[str, Any]:
    email = parse_email(value)
    with account_step(kb, session, fresh_factor=True) as (db, account, now):
        contact = add(kb, db, account, meta=meta, now=now, email=email.normalized, display=email.display)
        return contact_view(contact)


def add(kb: Kabinet, db: Session, account: Account, *, meta: Meta, now: datetime, email: str, display: str,
        replaces: Contact | None = None) -> Contact:
    """Inside an open transaction: the new (or still unverified) contact, and its letter queued."""
    contact = pending_contact(db, account.id, kind="email", value=email, display=display, now=now, replaces=replaces)
    send_link(kb, db, account, contact, now=now, locale=meta.locale)
    record(db, account, EventType.EMAIL_ADDED, at=now, meta=meta, contact=str(contact.id), value=masked(contact),
           replaces=str(replaces.id) if replaces else None)
    return contact


def send_link(kb: Kabinet, db: Session, account: Account, contact: Contact, *, now: datetime, locale: str) -> None:
    """Queue the verification letter; earlier links to the same contact stop working."""
    kb.limiter.hit("mail.unverified.account", str(account.id))
    kb.limiter.hit("code.send.destination", contact.value)
    for old in db.scalars(select(Challenge).where(Challenge.contact_id == contact.id,
                                                  Challenge.purpose == "verify_email",
                                                  Challenge.consumed_at.is_(None))):
        old.consumed_at = now
    taken = verified_owner(db, "email", contact.value) is not None
    token = None if taken else new_token()
    db.add(Challenge(id=uuid.uuid4(), purpose="verify_email", channel="email", destination=contact.value,
                     account_id=account.id, contact_id=contact.id, expires_at=now + LINK_TTL, attempts_left=1,
                     sends=1, last_sent_at=now, created_at=now, payload={},
                     secret_hash=kb.hasher.digest("link", token) if token else None))
    common = {"now": now, "channel": "email", "destination": contact.value, "locale": locale,
              "account_id": account.id, "contact_id": contact.id}
    if token is None:
        enqueue(db, template="email_taken", data={"base_url": kb.settings.base_url}, **common)
        return
    enqueue(db, template="verify_email", data={"account_name": mask_name(account.full_name)},
            secret={"link": f"{kb.settings.base_url}/verify-email?token={token}"}, sealer=kb.outbox_sealer,
            **common)
