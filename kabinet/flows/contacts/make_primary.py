"""Make primary (S8, S12): only a verified contact; one primary email and one primary phone; notices go
to the new primary at once (there is no cache between this and the next send, S18)."""

from __future__ import annotations

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import ContactNotVerified
from kabinet.domain.ids import Id
from kabinet.flows.contacts import _contact_state as contact_state
from kabinet.flows.shared import relying
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import contact_changed, masked
from kabinet.flows.shared.results import ContactView, contact_view
from kabinet.store.contacts import own_contact
from kabinet.store.models import Session as UserSession
from kabinet.texts import text


def run(ctx: FlowContext, meta: Meta, *, session: UserSession, contact_id: Id) -> ContactView:
    with account_step(ctx, session, fresh_factor=True) as (db, account, now):
        contact = own_contact(db, account.id, contact_id)
        if contact.verified_at is None:
            raise ContactNotVerified()
        if contact.is_primary:
            return contact_view(contact)
        before = contact_state.make_primary(db, contact)
        record(db, account, EventType.CONTACT_PRIMARY, at=now, meta=meta, contact=str(contact.id),
               value=masked(contact), before=str(before.id) if before else None)
        contact_changed(ctx, db, account, now=now, previous=before,
                        what=text("{contact} is now primary", contact=masked(contact)))
        relying.push(ctx, db, account.id, "identifier-changed", now)
        return contact_view(contact)
