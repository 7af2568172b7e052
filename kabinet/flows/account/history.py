"""The citizen's history (S19): every event, newest first, paged by sequence number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kabinet.flows.shared.context import FlowContext
from kabinet.store import history
from kabinet.store.models import Event
from kabinet.store.models import Session as UserSession

PAGE = 50


@dataclass(frozen=True)
class Actor:
    kind: str  # citizen, operator, system
    id: str | None
    centre: str | None = None  # an operator's service centre


@dataclass(frozen=True)
class EventView:
    seq: int
    at: datetime
    type: str
    actor: Actor
    details: dict[str, Any]
    ip: str | None
    user_agent: str | None


@dataclass(frozen=True)
class HistoryPage:
    events: list[EventView]
    next_before: int | None  # pass as ``before`` for the next (older) page; ``None`` on the last one


def page(ctx: FlowContext, *, session: UserSession, before: int | None = None, limit: int = PAGE,
         type_prefix: str | None = None) -> HistoryPage:
    limit = max(1, min(limit, 200))
    with ctx.store.read() as db:
        rows = history.page(db, session.account_id, before=before, limit=limit + 1, type_prefix=type_prefix)
    more = len(rows) > limit
    rows = rows[:limit]
    return HistoryPage(events=[_view(e) for e in rows], next_before=rows[-1].seq if more else None)


def _actor(event: Event) -> Actor:
    centre = event.details.get("centre") if event.actor == "operator" else None
    return Actor(kind=event.actor, id=event.actor_id, centre=centre)


def _view(event: Event) -> EventView:
    return EventView(seq=event.seq, at=event.at, type=event.type, actor=_actor(event),
                     details=event.details, ip=event.ip, user_agent=event.user_agent)
