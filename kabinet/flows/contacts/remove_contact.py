"""Delete a contact (S2, S4, S7): the checklist first, then an SMS code to a contact *other* than the one
being removed (or the TOTP app), then removal — with the guards checked again inside the confirming
transaction, account row locked, so two racing removals can never both pass (rule 1)."""

from __future__ import annotations

from dataclasses import dataclass

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.contact_book import nothing_blocks
from kabinet.domain.ids import Id
from kabinet.flows.contacts._removal import CheckView, Removed, checks, checks_view, refuse_if_unsafe, remove
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.confirmations import confirmation, mark_fresh
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import masked
from kabinet.flows.shared.results import ChallengeView, challenge_view
from kabinet.store.contacts import own_contact
from kabinet.store.models import Account, Challenge
from kabinet.store.models import Session as UserSession


@dataclass(frozen=True)
class Checklist:
    """What the citizen sees before unlinking (S4): can it go now, and each check with what to do first."""

    can_remove: bool
    checks: list[CheckView]


def checklist(ctx: FlowContext, meta: Meta, *, session: UserSession, contact_id: Id) -> Checklist:
    with ctx.store.read() as db:
        account = db.get_one(Account, session.account_id)
        contact = own_contact(db, account.id, contact_id)
        found = checks(db, account, contact)  # one read of the contact list for both answers
        return Checklist(can_remove=nothing_blocks(found), checks=checks_view(found, meta.locale))


def start(ctx: FlowContext, meta: Meta, *, session: UserSession, contact_id: Id) -> ChallengeView | Removed:
    """A code to another contact — except for an address or number never confirmed: nobody can use it, so it
    goes at once and costs no code from the hourly budget."""
    with account_step(ctx, session) as (db, account, now):
        contact = own_contact(db, account.id, contact_id)
        if contact.verified_at is None:
            return remove(ctx, db, account, contact, meta=meta, now=now)
        refuse_if_unsafe(db, account, contact, meta.locale)
        ch = confirmation(ctx, db, account, session, contact, meta=meta, purpose="remove_contact")
        record(db, account, EventType.CONTACT_REMOVAL_REQUESTED, at=now, meta=meta, contact=str(contact.id),
               value=masked(contact))
        return challenge_view(ch)


@challenges.on_confirm("remove_contact")
def _confirm(step: challenges.Step, ch: Challenge, account: Account | None) -> Removed:
    assert account is not None
    contact = own_contact(step.db, account.id, ch.contact_id)  # still there, still this account's
    mark_fresh(step, account, ch.channel)
    return remove(step.ctx, step.db, account, contact, meta=step.meta, now=step.now)  # guards again, under the lock
