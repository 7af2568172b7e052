"""Unlink a contact at the counter (S5): the document was checked, so no code is asked; the guards are the
cabinet's own (the last sign-in method or recovery channel stays), and the address being removed is told it was
unlinked "at a service centre"."""

from __future__ import annotations

from kabinet.audit.events import Meta
from kabinet.domain.ids import Id
from kabinet.flows.centre._visits import visit_step
from kabinet.flows.contacts._api import Removed, remove
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import masked
from kabinet.store.contacts import own_contact
from kabinet.store.models import OperatorSession
from kabinet.texts import text


def run(ctx: FlowContext, meta: Meta, *, operator: OperatorSession, visit_id: Id, contact_id: Id,
        reason: str) -> Removed:
    with visit_step(ctx, operator, visit_id, reason=reason) as v:
        contact = own_contact(v.db, v.account.id, contact_id)
        removed = remove(ctx, v.db, v.account, contact, meta=meta, now=v.now, actor=v.actor, channel="operator",
                         **v.details())
        v.done(text("{contact} unlinked", contact=masked(contact)))
        return removed
