"""A new contact and its proof: an unverified email with a link letter, an unverified phone with an SMS code,
and what verifying either does. Adding, changing and resending all go through here, so a contact is born and
proven one way whoever asks (the cabinet, a Change, later an operator).

An address or number verified on *another* account gets a notice instead of a proof, and the caller sees the
same answer either way (rule 7): it can never be verified here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kabinet.audit.events import CITIZEN, Actor, EventType, Meta, record
from kabinet.delivery.outbox import enqueue
from kabinet.domain.masks import mask_name
from kabinet.flows.contacts._contact_state import mark_verified, pending_contact
from kabinet.flows.shared import challenges, relying
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import contact_changed, masked
from kabinet.policy import LINK_TTL
from kabinet.security.tokens import new_token
from kabinet.store.challenges import use_up_open
from kabinet.store.contacts import claim_value, verified_owner
from kabinet.store.db import insert_row
from kabinet.store.models import Account, Challenge, Contact
from kabinet.store.models import Session as UserSession
from kabinet.texts import text


def add_email(ctx: FlowContext, db: Session, account: Account, *, meta: Meta, now: datetime, email: str,
              display: str, replaces: Contact | None = None, actor: Actor = CITIZEN, **details: Any) -> Contact:
    """Inside an open transaction: the new (or still unverified) contact, and its letter queued."""
    contact = pending_contact(db, account.id, kind="email", value=email, display=display, now=now, replaces=replaces)
    send_link(ctx, db, account, contact, now=now, locale=meta.locale)
    record(db, account, EventType.EMAIL_ADDED, at=now, meta=meta, actor=actor, contact=str(contact.id),
           value=masked(contact), replaces=str(replaces.id) if replaces else None, **details)
    return contact


def send_link(ctx: FlowContext, db: Session, account: Account, contact: Contact, *, now: datetime,
              locale: str) -> None:
    """Queue the verification letter; earlier links to the same contact stop working."""
    ctx.limiter.hit("mail.unverified.account", str(account.id))
    ctx.limiter.hit("code.send.destination", contact.value)
    use_up_open(db, contact.id, "verify_email", now)
    taken = verified_owner(db, "email", contact.value) is not None
    token = None if taken else new_token()
    insert_row(db, Challenge, dict(  # a plain INSERT: nothing in the step reads the link's row back
        id=uuid.uuid4(), purpose="verify_email", channel="email", destination=contact.value, account_id=account.id,
        contact_id=contact.id, expires_at=now + LINK_TTL, attempts_left=1, sends=1, last_sent_at=now,
        created_at=now, payload={}, secret_hash=ctx.hasher.digest("link", token) if token else None))
    common: dict[str, Any] = {"now": now, "channel": "email", "destination": contact.value, "locale": locale,
              "account_id": account.id, "contact_id": contact.id}
    if token is None:
        enqueue(db, template="email_taken", data={"base_url": ctx.base_url}, **common)
        return
    enqueue(db, template="verify_email", data={"account_name": mask_name(account.full_name)},
            secret={"link": f"{ctx.base_url}/verify-email?token={token}"}, sealer=ctx.outbox_sealer,
            **common)


def add_phone(ctx: FlowContext, db: Session, account: Account, session: UserSession | None, *, meta: Meta,
              now: datetime, e164: str, display: str, replaces: Contact | None = None, purpose: str = "verify_phone",
              payload: dict[str, Any] | None = None, actor: Actor = CITIZEN, **details: Any,
              ) -> tuple[Contact, Challenge]:
    """Inside an open transaction: the new (or still unverified) number and its code (or, when the number is
    someone else's, a silent challenge and a notice to its owner)."""
    contact = pending_contact(db, account.id, kind="phone", value=e164, display=display, now=now, replaces=replaces)
    taken = verified_owner(db, "phone", e164) is not None
    ch = challenges.issue(ctx, db, now=now, meta=meta, purpose=purpose, channel="sms", destination=e164,
                          account=account, session=session, contact_id=contact.id, payload=payload,
                          silent="phone_taken" if taken else None)
    record(db, account, EventType.PHONE_ADDED, at=now, meta=meta, actor=actor, contact=str(contact.id),
           value=masked(contact), replaces=str(replaces.id) if replaces else None, **details)
    return contact, ch


def verify(ctx: FlowContext, db: Session, account: Account, contact: Contact, *, meta: Meta, now: datetime,
           actor: Actor = CITIZEN, channel: str = "self-service", **details: Any) -> None:
    """Mark verified, finish a Change if this was one, record it and tell the citizen (email and phone alike)."""
    claim_value(db, contact.kind, contact.value, account.id)
    retired = mark_verified(db, contact, now)
    db.flush()  # the unique index on verified values speaks here, inside the transaction
    record(db, account, EventType.CONTACT_CHANGED if retired else EventType.CONTACT_VERIFIED, at=now, meta=meta,
           actor=actor, contact=str(contact.id), value=masked(contact), replaced=str(retired.id) if retired else None,
           **details)
    what = text("{contact} confirmed", contact=masked(contact))
    if retired is not None:
        what = text("{old} replaced by {new}", old=masked(retired), new=masked(contact))
    contact_changed(ctx, db, account, now=now, what=what, removed=retired, channel=channel)
    relying.push(ctx, db, account.id, "identifier-changed", now)
