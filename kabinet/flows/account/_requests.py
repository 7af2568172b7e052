"""Support requests (обращения, S11): how one is opened (from the cabinet, an error page, or a flow that needs a
person to look), and how a request and its thread are shown to the citizen and to operators."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.security.tokens import new_number
from kabinet.store.models import SupportMessage, SupportRequest
from kabinet.store.requests import threads

STATES = ("new", "in_work", "answered", "closed")


@dataclass(frozen=True)
class MessageView:
    author: str  # citizen | operator
    text: str
    at: datetime


@dataclass(frozen=True)
class RequestView:
    id: uuid.UUID
    number: str | None
    topic: str
    state: str
    reference: str | None
    created_at: datetime
    messages: list[MessageView]


def open_request(db: Session, *, account_id: uuid.UUID | None, topic: str, text: str, reference: str | None,
                 now: datetime) -> SupportRequest:
    request = SupportRequest(id=uuid.uuid4(), account_id=account_id, topic=topic, text=text, reference=reference,
                             number=new_number(), state="new", created_at=now, updated_at=now)
    db.add(request)
    db.flush()  # the request row first: the message refers to it (no ORM relationship orders the two)
    db.add(SupportMessage(request_id=request.id, author="citizen", text=text, created_at=now))
    return request


def views(db: Session, rows: list[SupportRequest]) -> list[RequestView]:
    thread = threads(db, [r.id for r in rows])
    return [RequestView(id=r.id, number=r.number, topic=r.topic, state=r.state, reference=r.reference,
                        created_at=r.created_at,
                        messages=[MessageView(author=m.author, text=m.text, at=m.created_at) for m in thread[r.id]])
            for r in rows]

