"""Active sessions: list, revoke one, revoke all others, sign out (S15)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.devices import describe_device
from kabinet.domain.errors import SessionNotFound
from kabinet.domain.ids import Id, parse_id
from kabinet.flows.shared import relying
from kabinet.flows.shared.accounts import account_step, write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.policy import SESSION_IDLE
from kabinet.store.models import Session as UserSession
from kabinet.store.sessions import live


@dataclass(frozen=True)
class SessionView:
    id: uuid.UUID
    current: bool
    created_at: datetime
    last_seen_at: datetime
    ip: str | None
    user_agent: str | None
    device: str
    method: str
    country: str | None = None  # ISO code from an offline GeoIP database; None: private or unknown (S15)


def list_sessions(ctx: FlowContext, *, session: UserSession) -> list[SessionView]:
    now = ctx.clock.now()
    with ctx.store.read() as db:
        rows = live(db, session.account_id, now, SESSION_IDLE)
    return [_view(row, current=row.id == session.id, country=ctx.places.country(row.ip)) for row in rows]


def _view(row: UserSession, *, current: bool, country: str | None = None) -> SessionView:
    return SessionView(id=row.id, current=current, created_at=row.created_at, last_seen_at=row.last_seen_at,
                       ip=row.ip, user_agent=row.user_agent, device=describe_device(row.user_agent),
                       method=row.auth_method, country=country)


def revoke(ctx: FlowContext, meta: Meta, *, session: UserSession, session_id: Id) -> None:
    target_id = parse_id(session_id, SessionNotFound)
    with write_step(ctx, session.account_id) as (db, account, now):
        target = db.get(UserSession, target_id)
        if account is None or target is None or target.account_id != account.id or target.revoked_at:
            raise SessionNotFound()
        target.revoked_at = now
        relying.sessions_ended(ctx, db, account.id, [target.id], now)  # and the services' sessions begun in it
        record(db, account, EventType.SESSION_REVOKED if target.id != session.id else EventType.SIGNED_OUT,
               at=now, meta=meta, session=str(target.id), device=describe_device(target.user_agent))


def sign_out(ctx: FlowContext, meta: Meta, *, session: UserSession) -> None:
    revoke(ctx, meta, session=session, session_id=str(session.id))


def revoke_others(ctx: FlowContext, meta: Meta, *, session: UserSession) -> int:
    with account_step(ctx, session, fresh_factor=True) as (db, account, now):
        ended = relying.end_sessions(ctx, db, account.id, now, keep=session.id)
        record(db, account, EventType.SESSIONS_REVOKED_OTHERS, at=now, meta=meta, count=ended)
        return ended
