"""Add a phone (S14): an unverified number and an SMS code to it; the code verifies it.

A number verified on another account gets a notice instead of a code, and the caller sees the same
challenge (rule 7); no code can ever verify it here.
"""

from __future__ import annotations

from kabinet.audit.events import Meta
from kabinet.domain.phone import parse_phone
from kabinet.flows.contacts import _new_contacts as new_contacts
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.results import PendingContact, challenge_view, contact_view
from kabinet.store.contacts import own_contact
from kabinet.store.models import Account, Challenge
from kabinet.store.models import Session as UserSession


def start(ctx: FlowContext, meta: Meta, *, session: UserSession, value: str) -> PendingContact:
    number = parse_phone(value)
    with account_step(ctx, session, fresh_factor=True) as (db, account, now):
        contact, ch = new_contacts.add_phone(ctx, db, account, session, meta=meta, now=now, e164=number.e164,
                                             display=number.display)
        return PendingContact(contact=contact_view(contact), challenge=challenge_view(ch))


@challenges.on_confirm("verify_phone")
def _confirm(step: challenges.Step, ch: Challenge, account: Account | None) -> PendingContact:
    assert account is not None
    contact = own_contact(step.db, account.id, ch.contact_id)  # still there, still this account's
    new_contacts.verify(step.ctx, step.db, account, contact, meta=step.meta, now=step.now)
    return PendingContact(contact=contact_view(contact))
