"""Replace the phone at the counter (S5): a code goes to the new number and the citizen reads it out on the
spot; confirmed, the new number takes over the old one's roles (primary, sign-in, recovery) and the old one is
unlinked — the same Change as in the cabinet (``new_contacts``), started by the document instead of a code."""

from __future__ import annotations

from kabinet.audit.events import Meta
from kabinet.domain.ids import Id
from kabinet.domain.phone import parse_phone
from kabinet.flows.centre._visits import reenter, visit_step
from kabinet.flows.contacts._api import new_contacts
from kabinet.flows.shared import challenges
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import masked
from kabinet.flows.shared.results import ChallengeView, PendingContact, challenge_view, contact_view
from kabinet.store.contacts import own_contact, present_contacts
from kabinet.store.models import Account, Challenge, OperatorSession
from kabinet.texts import text


def start(ctx: FlowContext, meta: Meta, *, operator: OperatorSession, visit_id: Id, phone: str,
          reason: str) -> ChallengeView:
    number = parse_phone(phone)
    with visit_step(ctx, operator, visit_id, reason=reason) as v:
        old = next((c for c in present_contacts(v.db, v.account.id)
                    if c.kind == "phone" and c.is_primary and c.verified_at is not None), None)
        _contact, ch = new_contacts.add_phone(ctx, v.db, v.account, None, meta=meta, now=v.now, e164=number.e164,
                                              display=number.display, replaces=old, purpose="centre_phone",
                                              payload=v.code_payload(operator), actor=v.actor, **v.details())
        return challenge_view(ch)


@challenges.on_confirm("centre_phone")
def _confirm(step: challenges.Step, ch: Challenge, account: Account | None) -> PendingContact:
    assert account is not None
    v = reenter(step.db, account, ch.payload, step.now)
    contact = own_contact(step.db, account.id, ch.contact_id)
    contact.vouched_at = step.now  # document checked, code read out here: not "new" for the cooling-off
    new_contacts.verify(step.ctx, step.db, account, contact, meta=step.meta, now=step.now, actor=v.actor,
                        channel="operator", **v.details())
    v.done(text("{contact} confirmed by a code read out at the counter", contact=masked(contact)))
    return PendingContact(contact=contact_view(contact))
