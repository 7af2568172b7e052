"""Connected services on the Security page: which relying services may read what, and disconnecting one — its
grant ends and every token it holds dies at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import NotFound
from kabinet.domain.ids import Id, parse_id
from kabinet.flows.shared import relying
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.context import FlowContext
from kabinet.store.models import OidcClient, OidcGrant
from kabinet.store.models import Session as UserSession
from kabinet.store.relying import grants_of, revoke_tokens


@dataclass(frozen=True)
class ConnectedService:
    id: uuid.UUID
    name: str
    scopes: list[str]
    since: datetime


def list_connected(ctx: FlowContext, *, session: UserSession) -> list[ConnectedService]:
    with ctx.store.read() as db:
        return [ConnectedService(id=g.id, name=c.name, scopes=g.scopes, since=g.created_at)
                for g, c in grants_of(db, session.account_id)]


def disconnect(ctx: FlowContext, meta: Meta, *, session: UserSession, grant_id: Id) -> None:
    with account_step(ctx, session) as (db, account, now):
        grant = db.get(OidcGrant, parse_id(grant_id, NotFound))
        if grant is None or grant.account_id != account.id or grant.revoked_at is not None:
            raise NotFound()
        grant.revoked_at = now
        ended = revoke_tokens(db, now, grant_id=grant.id)
        client = db.get_one(OidcClient, grant.client_id)
        record(db, account, EventType.SERVICE_DISCONNECTED, at=now, meta=meta, service=client.name,
               tokens_revoked=ended)
        relying.service_disconnected(ctx, db, client, account.id, now)  # its sessions of this citizen end too
