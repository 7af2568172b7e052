"""Resend the verification letter or code of a contact (S10): after a 60 s cooldown, at most 5 an hour
to one destination and a daily cap of letters to unverified addresses (rule 5b); the answer says when
the next one is possible."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import ContactAlreadyVerified, ContactBounced, ResendTooSoon
from kabinet.domain.ids import Id
from kabinet.flows.contacts import _new_contacts as new_contacts
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import masked
from kabinet.flows.shared.results import ChallengeView, ContactView, challenge_view, contact_view
from kabinet.policy import RESEND_AFTER
from kabinet.store.challenges import last_for_contact
from kabinet.store.contacts import own_contact
from kabinet.store.models import Session as UserSession


@dataclass(frozen=True)
class Resent:
    contact: ContactView
    resend_after: datetime  # when the next one may go
    challenge: ChallengeView | None = None  # a phone's new code


def run(ctx: FlowContext, meta: Meta, *, session: UserSession, contact_id: Id) -> Resent:
    with account_step(ctx, session) as (db, account, now):
        contact = own_contact(db, account.id, contact_id)
        if contact.verified_at is not None:
            raise ContactAlreadyVerified()
        if contact.kind == "email" and contact.bounced_at is not None:
            raise ContactBounced()  # another letter would come back too, and hurt the next one's chances
        purpose = "verify_email" if contact.kind == "email" else "verify_phone"
        last = last_for_contact(db, contact.id, purpose)
        sent_at = last.last_sent_at if last else None
        if sent_at is not None and (wait := (sent_at + RESEND_AFTER - now).total_seconds()) > 0:
            raise ResendTooSoon(resend_after=math.ceil(wait))
        code = None
        if contact.kind == "email":
            new_contacts.send_link(ctx, db, account, contact, now=now, locale=meta.locale)
        else:
            ch = challenges.issue(ctx, db, now=now, meta=meta, purpose="verify_phone", channel="sms",
                                  destination=contact.value, account=account, session=session,
                                  contact_id=contact.id, silent=last.payload.get("silent") if last else None)
            code = challenge_view(ch)
        record(db, account, EventType.CONTACT_VERIFICATION_RESENT, at=now, meta=meta, contact=str(contact.id),
               value=masked(contact))
        return Resent(contact=contact_view(contact), resend_after=now + RESEND_AFTER, challenge=code)
