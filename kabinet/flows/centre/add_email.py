"""Add an email at the counter: the same new contact and letter as in the cabinet; the citizen confirms it by
the link (an operator never marks an address verified on the citizen's word)."""

from __future__ import annotations

from kabinet.audit.events import Meta
from kabinet.domain.email import parse_email
from kabinet.domain.ids import Id
from kabinet.flows.centre._visits import visit_step
from kabinet.flows.contacts._api import new_contacts
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import masked
from kabinet.flows.shared.results import ContactView, contact_view
from kabinet.store.models import OperatorSession
from kabinet.texts import text


def run(ctx: FlowContext, meta: Meta, *, operator: OperatorSession, visit_id: Id, email: str,
        reason: str) -> ContactView:
    address = parse_email(email)
    with visit_step(ctx, operator, visit_id, reason=reason) as v:
        contact = new_contacts.add_email(ctx, v.db, v.account, meta=meta, now=v.now, email=address.normalized,
                                         display=address.display, actor=v.actor, **v.details())
        v.done(text("{contact} added; a letter to confirm it was sent", contact=masked(contact)))
        return contact_view(contact)
