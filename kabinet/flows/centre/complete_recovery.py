"""Complete a lost-everything request at the counter (API.md recovery/identity): the document was checked, a code
goes to the phone named in the request and the citizen reads it out. Confirmed: every other contact is unlinked
(they were lost, and may be in someone else's hands), that phone becomes the account's only, verified, primary
sign-in and recovery phone, every session ends. The citizen then sets a new password through ordinary recovery
with that phone (a fresh contact: one proof is enough)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import RequestNotFound
from kabinet.domain.ids import Id, parse_id
from kabinet.domain.phone import parse_phone
from kabinet.flows.centre._visits import VisitStep, reenter, visit_step
from kabinet.flows.contacts._api import new_contacts, pending_contact, retire
from kabinet.flows.shared import challenges, passkeys, relying
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import contact_changed, masked
from kabinet.flows.shared.results import ChallengeView, ContactView, challenge_view, contact_view
from kabinet.store.centre import lock_identity_request
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, Challenge, Contact, IdentityRequest, OperatorSession
from kabinet.texts import text


@dataclass(frozen=True)
class Recovered:
    contact: ContactView  # the account's one phone now
    sessions_ended: int


def start(ctx: FlowContext, meta: Meta, *, operator: OperatorSession, visit_id: Id, request_id: Id,
          reason: str) -> ChallengeView:
    with visit_step(ctx, operator, visit_id, reason=reason) as v:
        req = _request(v, parse_id(request_id, RequestNotFound))
        ch = challenges.issue(ctx, v.db, now=v.now, meta=meta, purpose="centre_recovery", channel="sms",
                              destination=req.phone, account=v.account,
                              payload=v.code_payload(operator, request=str(req.id)))
        return challenge_view(ch)


@challenges.on_confirm("centre_recovery")
def _confirm(step: challenges.Step, ch: Challenge, account: Account | None) -> Recovered:
    assert account is not None
    v = reenter(step.db, account, ch.payload, step.now)
    req = _request(v, uuid.UUID(ch.payload["request"]))
    for lost in [c for c in present_contacts(v.db, account.id) if (c.kind, c.value) != ("phone", req.phone)]:
        retire(lost, v.now)
        record(v.db, account, EventType.CONTACT_REMOVED, at=v.now, meta=step.meta, actor=v.actor,
               contact=str(lost.id), value=masked(lost), **v.details())
        if lost.kind == "email":  # the address hears it was unlinked (its owner may not be the thief)
            contact_changed(step.ctx, v.db, account, now=v.now, removed=lost, channel="operator",
                            what=text("{contact} removed", contact=masked(lost)))
    phone = _kept(v, req) or pending_contact(v.db, account.id, kind="phone", value=req.phone, now=v.now,
                                             display=parse_phone(req.phone).display, replaces=None)
    if phone.verified_at is None:
        new_contacts.verify(step.ctx, v.db, account, phone, meta=step.meta, now=v.now, actor=v.actor,
                            channel="operator", **v.details())
    phone.is_primary = phone.sign_in = phone.recovery = True
    phone.vouched_at = v.now  # recovers alone, at once, for a while (the visit is the strongest proof)
    ended = relying.end_sessions(step.ctx, v.db, account.id, v.now)
    # the lost contacts' thief may have added a passkey: one from the cooling-off goes with them
    passkeys.drop_new(step.ctx, v.db, account, now=v.now, meta=step.meta, why="centre_recovery", actor=v.actor,
                      **v.details())
    req.state, req.completed_at = "completed", v.now
    record(v.db, account, EventType.RECOVERY_COMPLETED, at=v.now, meta=step.meta, actor=v.actor,
           request=req.number, sessions_ended=ended, **v.details())
    v.done(text("request No. {number} completed: {contact} is the account's phone; every session ended",
                number=req.number, contact=masked(phone)))
    return Recovered(contact=contact_view(phone), sessions_ended=ended)


def _kept(v: VisitStep, req: IdentityRequest) -> Contact | None:
    """The request's phone when the account already has it verified (then it simply stays)."""
    return next((c for c in present_contacts(v.db, v.account.id)
                 if (c.kind, c.value) == ("phone", req.phone) and c.verified_at is not None), None)


def _request(v: VisitStep, request_id: uuid.UUID) -> IdentityRequest:
    req = lock_identity_request(v.db, request_id)
    if req is None or req.account_id != v.account.id or req.state != "awaiting_visit" or v.now >= req.expires_at:
        raise RequestNotFound()
    return req
