"""The citizen's history (S19): every event, newest first, paged by sequence number."""

from __future__ import annotations

from typing import Any

from kabinet.flows.shared.context import FlowContext
from kabinet.store import history
from kabinet.store.models import Event
from kabinet.store.models import Session as UserSession

PAGE = 50


def page(ctx: FlowContext, *, session: UserSession, before: int | None = None, limit: int = PAGE,
         type_prefix: str | None = None) -> dict[str, Any]:
    limit = max(1, min(limit, 200))
    with ctx.store.read() as db:
        rows = history.page(db, session.account_id, before=before, limit=limit + 1, type_prefix=type_prefix)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"events": [_view(e) for e in rows], "next_before": rows[-1].seq if more else None}


def _view(event: Event) -> dict[str, Any]:
    return {"seq": event.seq, "at": event.at.isoformat(), "type": event.type,
            "actor": {"kind": event.actor, "id": event.actor_id}, "details": event.details,
            "ip": event.ip, "user_agent": event.user_agent}
