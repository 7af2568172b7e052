"""What happened to a letter after it left: a bounce or a complaint arriving later
(``kabinet bounces``), or a refusal at the receiving server (the worker). The letter's state says so; after a hard
bounce the address is flagged — an unverified one gets no more letters, a verified one is skipped for notices
while another verified address exists — and the citizen's history and contact page tell it in words.

Why the flag is on the contact and not only on the letter: the next letter must not go the same way, and the
citizen must learn at once, beside the address, that it does not work."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kabinet.audit.events import SYSTEM, EventType, Meta, record
from kabinet.domain.dsn import Feedback
from kabinet.flows.shared.accounts import write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import masked
from kabinet.store.models import Contact, Outbox
from kabinet.store.outbox import letter

EVENTS = {"bounced": EventType.LETTER_BOUNCED, "complained": EventType.LETTER_COMPLAINED}


@dataclass(frozen=True)
class Recorded:
    outbox_id: int
    state: str


def record_feedback(ctx: FlowContext, feedback: Feedback) -> Recorded | None:
    """``None`` when no letter of ours matches (the report is dropped, nothing changes). A letter is found by its
    Message-ID (random, unguessable) or by a VERP address whose mark checks out — never by a bare id."""
    found: list[Outbox] = []

    trusted_id = feedback.outbox_id if feedback.outbox_id is not None and feedback.verp_mark and hmac.compare_digest(
        ctx.hasher.digest("verp", str(feedback.outbox_id))[:12], feedback.verp_mark) else None

    def owner(db: Session) -> uuid.UUID | None:
        row = letter(db, key=feedback.outbox_key, row_id=trusted_id)
        if row is not None:
            found.append(row)
        return row.account_id if row is not None else None

    with write_step(ctx, owner) as (db, account, now):
        if not found:
            return None
        row = db.get_one(Outbox, found[0].id)
        row.state, row.last_error = feedback.kind, f"{feedback.status} {feedback.diagnostic}".strip()[:500]
        contact = db.get(Contact, row.contact_id) if row.contact_id else None
        if contact is not None and feedback.kind == "bounced":
            contact.bounced_at = now
        if account is not None:
            record(db, account, EVENTS[feedback.kind], at=now, meta=Meta(), actor=SYSTEM,
                   value=masked(contact) if contact else None, status=feedback.status)
        return Recorded(outbox_id=row.id, state=row.state)
