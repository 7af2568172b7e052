"""A support request (обращение, S11): filed from an error page with the error's reference attached, kept in
the citizen's history and export."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import InvalidInput
from kabinet.flows.shared.accounts import write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.store.models import Session as UserSession
from kabinet.store.models import SupportRequest

TOPICS = ("error", "contacts", "access", "other")


@dataclass(frozen=True)
class FiledRequest:
    id: uuid.UUID
    reference: str | None  # the error reference it was filed from


def file(ctx: FlowContext, meta: Meta, *, session: UserSession | None, topic: str, text: str,
         reference: str | None) -> FiledRequest:
    text = text.strip()
    if topic not in TOPICS:
        raise InvalidInput(field="topic")
    if not 1 <= len(text) <= 4000:
        raise InvalidInput(field="text")
    ctx.limiter.hit("register.ip", meta.ip or "-")  # the same per-IP budget as registrations: no spam relay
    with write_step(ctx, session.account_id if session else None) as (db, account, now):
        request = SupportRequest(account_id=account.id if account else None, topic=topic, text=text,
                                 reference=(reference or "")[:32] or None, created_at=now)
        db.add(request)
        db.flush()
        if account is not None:
            record(db, account, EventType.SUPPORT_REQUEST, at=now, meta=meta, request=str(request.id),
                   topic=topic, reference=request.reference)
        return FiledRequest(id=request.id, reference=request.reference)
