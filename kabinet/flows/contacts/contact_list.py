"""The contact list (S7): every present email and phone, with provider and the last delivery to it.

One query for the contacts and one for their latest outbox rows, whatever the number of contacts.
"""

from __future__ import annotations

import uuid

from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.views import ContactView, contact_view
from kabinet.store.contacts import last_deliveries, present_contacts


def list_contacts(ctx: FlowContext, *, account_id: uuid.UUID) -> list[ContactView]:
    with ctx.store.read() as db:
        contacts = present_contacts(db, account_id)
        last = last_deliveries(db, [c.id for c in contacts])
        contacts.sort(key=lambda c: (c.kind != "phone", not c.is_primary, c.created_at))
        return [contact_view(c, last.get(c.id)) for c in contacts]
