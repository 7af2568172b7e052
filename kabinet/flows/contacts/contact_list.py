"""The contact list (S7): every present email and phone, with provider and the last delivery to it.

One statement for the contacts and what their newest messages came to, whatever the number of contacts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.results import ContactView, contact_view, fate_of
from kabinet.policy import RESEND_AFTER
from kabinet.store.challenges import last_for_contact
from kabinet.store.contacts import listed


def list_contacts(ctx: FlowContext, *, account_id: uuid.UUID) -> list[ContactView]:
    """Plain rows on a connection (no ORM session: every signed-in page and read makes this one statement); a
    session is opened only for an unconfirmed contact's resend time, which most lists have none of."""
    with ctx.store.rows() as conn:
        contacts = sorted(listed(conn, account_id), key=lambda c: (c.kind != "phone", not c.is_primary, c.created_at))
    resend: dict[uuid.UUID, datetime | None] = {}
    if pending := [c for c in contacts if c.verified_at is None]:
        with ctx.store.read() as db:
            resend = {c.id: _resend_after(db, c) for c in pending}
    return [contact_view(c, resend.get(c.id), fate=fate_of(c)) for c in contacts]


def _resend_after(db: Session, contact: Row[Any]) -> datetime | None:
    """When an unconfirmed contact's letter or code may be sent again (one indexed lookup, unconfirmed ones only)."""
    if contact.verified_at is not None:
        return None
    last = last_for_contact(db, contact.id, "verify_email" if contact.kind == "email" else "verify_phone")
    return last.last_sent_at + RESEND_AFTER if last is not None and last.last_sent_at else None
