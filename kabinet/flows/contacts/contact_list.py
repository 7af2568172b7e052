"""The contact list (S7): every present email and phone, with provider and the last delivery to it.

One query for the contacts and one for their latest outbox rows, whatever the number of contacts.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.views import ContactView, contact_view
from kabinet.policy import RESEND_AFTER
from kabinet.store.challenges import last_for_contact
from kabinet.store.contacts import last_deliveries, present_contacts
from kabinet.store.models import Contact


def list_contacts(ctx: FlowContext, *, account_id: uuid.UUID) -> list[ContactView]:
    with ctx.store.read() as db:
        contacts = present_contacts(db, account_id)
        last = last_deliveries(db, [c.id for c in contacts])
        contacts.sort(key=lambda c: (c.kind != "phone", not c.is_primary, c.created_at))
        return [contact_view(c, last.get(c.id), _resend_after(db, c)) for c in contacts]


def _resend_after(db: Session, contact: Contact) -> datetime | None:
    """When an unconfirmed contact's letter or code may be sent again (one indexed lookup, unconfirmed ones only)."""
    if contact.verified_at is not None:
        return None
    last = last_for_contact(db, contact.id, "verify_email" if contact.kind == "email" else "verify_phone")
    return last.last_sent_at + RESEND_AFTER if last is not None and last.last_sent_at else None
