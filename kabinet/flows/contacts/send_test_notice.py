""""Send me a test notification" (S12): a letter to the primary email, now."""

from __future__ import annotations

from dataclasses import dataclass

from kabinet.audit.events import EventType, Meta, record
from kabinet.delivery.outbox import enqueue
from kabinet.domain.errors import ContactNotFound
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import masked
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Session as UserSession


@dataclass(frozen=True)
class NoticeSent:
    to: str  # the primary address, masked


def run(ctx: FlowContext, meta: Meta, *, session: UserSession) -> NoticeSent:
    with account_step(ctx, session) as (db, account, now):
        primary = next((c for c in present_contacts(db, account.id)
                        if c.kind == "email" and c.is_primary and c.verified_at is not None), None)
        if primary is None:
            raise ContactNotFound()
        ctx.limiter.hit("code.send.destination", primary.value)
        enqueue(db, now=now, channel="email", destination=primary.value, template="test_notification",
                locale=account.locale, data={"account_name": account.full_name}, account_id=account.id,
                contact_id=primary.id)
        record(db, account, EventType.TEST_NOTIFICATION, at=now, meta=meta, to=masked(primary))
        return NoticeSent(to=masked(primary))
