"""Change a contact (S7): replace an address or number with a new one. Confirmed by a code to another
contact; the old value stays fully valid until the new one is verified, and only then is retired and
hands over its roles (DOMAIN.md: how the portal does it)."""

from __future__ import annotations

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.email import parse_email
from kabinet.domain.errors import ContactNotVerified
from kabinet.domain.ids import Id
from kabinet.domain.phone import parse_phone
from kabinet.flows.contacts import _new_contacts as new_contacts
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.confirmations import confirmation, mark_fresh
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import masked
from kabinet.flows.shared.results import ChallengeView, PendingContact, challenge_view, contact_view
from kabinet.store.contacts import own_contact
from kabinet.store.models import Account, Challenge, OperatorSession
from kabinet.store.models import Session as UserSession


def start(ctx: FlowContext, meta: Meta, *, session: UserSession, contact_id: Id, value: str) -> ChallengeView:
    with account_step(ctx, session) as (db, account, now):
        contact = own_contact(db, account.id, contact_id)
        if contact.verified_at is None:
            raise ContactNotVerified()
        new = parse_phone(value).e164 if contact.kind == "phone" else parse_email(value).normalized
        ch = confirmation(ctx, db, account, session, contact, meta=meta, purpose="change_contact",
                          payload={"value": new}, fallback_to_target=True)
        record(db, account, EventType.CONTACT_CHANGE_REQUESTED, at=now, meta=meta, contact=str(contact.id),
               value=masked(contact))
        return challenge_view(ch)


@challenges.on_confirm("change_contact")
def _confirm(step: challenges.Step, ch: Challenge, account: Account | None) -> PendingContact:
    assert account is not None
    old = own_contact(step.db, account.id, ch.contact_id)  # still there, still this account's
    mark_fresh(step, account, ch.channel)
    value = ch.payload["value"]
    if old.kind == "email":
        email = parse_email(value)
        new = new_contacts.add_email(step.ctx, step.db, account, meta=step.meta, now=step.now, email=email.normalized,
                            display=email.display, replaces=old)
        return PendingContact(contact=contact_view(new))
    phone = parse_phone(value)
    assert not isinstance(step.session, OperatorSession)  # a citizen's own flow: an operator changes at a visit
    new, verify = new_contacts.add_phone(step.ctx, step.db, account, step.session, meta=step.meta, now=step.now,
                                e164=phone.e164, display=phone.display, replaces=old)
    return PendingContact(contact=contact_view(new), challenge=challenge_view(verify))
