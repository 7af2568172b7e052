"""Support requests answered (S11): operators see the queue, take a request in work, answer it or close it;
each answer joins the thread, is recorded in the citizen's history and reaches the citizen by letter (or SMS
when there is no address) — through the outbox, in the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, operator_actor, record
from kabinet.delivery.outbox import enqueue
from kabinet.domain.errors import InvalidInput, RequestNotFound
from kabinet.domain.ids import Id, parse_id
from kabinet.flows.account._api import RequestView, views
from kabinet.flows.shared.accounts import write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, OperatorSession, SupportMessage
from kabinet.store.requests import lock_request, queue, request_owner

OPEN = ("new", "in_work", "answered")
NEXT = ("in_work", "answered", "closed")


def waiting(ctx: FlowContext, *, operator: OperatorSession) -> list[RequestView]:
    """Every request not closed yet, oldest first."""
    with ctx.store.read() as db:
        return views(db, queue(db, OPEN))


def answer(ctx: FlowContext, meta: Meta, *, operator: OperatorSession, request_id: Id, text: str,
           state: str) -> RequestView:
    text = text.strip()
    if state not in NEXT:
        raise InvalidInput(field="state")
    if state != "in_work" and not 1 <= len(text) <= 4000:
        raise InvalidInput(field="text")
    rid = parse_id(request_id, RequestNotFound)
    with write_step(ctx, lambda db: request_owner(db, rid)) as (db, account, now):
        request = lock_request(db, rid)
        if request is None or request.state == "closed":
            raise RequestNotFound()
        request.state, request.updated_at = state, now
        if text:
            db.add(SupportMessage(request_id=request.id, author="operator", author_id=str(operator.operator_id),
                                  text=text, created_at=now))
        if account is not None:
            record(db, account, EventType.REQUEST_ANSWERED, at=now, meta=meta,
                   actor=operator_actor(operator.operator_id), request=str(request.id), number=request.number,
                   state=state)
            if text:
                _tell(db, account, request.number or "", text, now)
        db.flush()
        return views(db, [request])[0]


def _tell(db: Session, account: Account, number: str, text: str, now: datetime) -> None:
    """The answer by letter to the primary address, else a short SMS pointing to the cabinet."""
    verified = [c for c in present_contacts(db, account.id) if c.verified_at is not None and c.is_primary]
    email = next((c for c in verified if c.kind == "email"), None)
    to = email or next((c for c in verified if c.kind == "phone"), None)
    if to is None:
        return
    enqueue(db, now=now, channel="email" if email else "sms", destination=to.value, template="request_answered",
            locale=account.locale, account_id=account.id, contact_id=to.id,
            data={"number": number, "answer": text if email else "", "account_name": account.full_name})
