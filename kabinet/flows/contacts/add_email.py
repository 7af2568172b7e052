"""Add email (S8): an unverified address and a letter with a single-use link valid 24 h.

An address verified on *another* account gets a letter saying someone tried to add it, and no link:
the caller sees the same answer either way (rule 7), and it can never be verified here.
"""

from __future__ import annotations

from dataclasses import dataclass

from kabinet.audit.events import Meta
from kabinet.domain.email import parse_email
from kabinet.flows.contacts import _new_contacts as new_contacts
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.results import ContactView, contact_view
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Session as UserSession


@dataclass(frozen=True)
class AddedEmail:
    """The contact, and whether it was there already, unconfirmed (typed again, perhaps in other capitals): then
    the letter went again, and the citizen is told it was already added rather than that it is new."""

    contact: ContactView
    again: bool


def start(ctx: FlowContext, meta: Meta, *, session: UserSession, value: str) -> AddedEmail:
    email = parse_email(value)
    with account_step(ctx, session, fresh_factor=True) as (db, account, now):
        again = any(c.kind == "email" and c.value == email.normalized for c in present_contacts(db, account.id))
        contact = new_contacts.add_email(ctx, db, account, meta=meta, now=now, email=email.normalized,
                                         display=email.display)
        return AddedEmail(contact=contact_view(contact), again=again)
