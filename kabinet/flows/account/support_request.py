"""A support request (обращение, S11): filed from the cabinet or an error page with the error's reference
attached; it gets a number, a thread of messages and states new → in work → answered → closed, and stays in the
citizen's history and export whatever happens to their contacts."""

from __future__ import annotations

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import InvalidInput
from kabinet.flows.account._requests import RequestView, open_request, views
from kabinet.flows.shared.accounts import write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.store.models import Session as UserSession
from kabinet.store.requests import of_account

TOPICS = ("error", "contacts", "access", "other")


def file(ctx: FlowContext, meta: Meta, *, session: UserSession | None, topic: str, text: str,
         reference: str | None) -> RequestView:
    text = text.strip()
    if topic not in TOPICS:
        raise InvalidInput(field="topic")
    if not 1 <= len(text) <= 4000:
        raise InvalidInput(field="text")
    ctx.limiter.hit("register.ip", meta.ip or "-")  # the same per-IP budget as registrations: no spam relay
    with write_step(ctx, session.account_id if session else None) as (db, account, now):
        request = open_request(db, account_id=account.id if account else None, topic=topic, text=text,
                               reference=(reference or "")[:32] or None, now=now)
        if account is not None:
            record(db, account, EventType.SUPPORT_REQUEST, at=now, meta=meta, request=str(request.id),
                   number=request.number, topic=topic, reference=request.reference)
        db.flush()
        return views(db, [request])[0]


def mine(ctx: FlowContext, *, session: UserSession) -> list[RequestView]:
    with ctx.store.read() as db:
        return views(db, of_account(db, session.account_id))
