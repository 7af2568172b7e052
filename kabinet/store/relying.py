"""Queries on relying services: clients, grants (consents), codes and tokens. Codes and tokens are found by the
keyed hash of their value (unique indexes); a citizen's grants by account."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from kabinet.store.db import changed
from kabinet.store.models import OidcClient, OidcCode, OidcGrant, OidcToken

# Run on every contact change (built once: see kabinet.store.db).
_SUBSCRIBED = select(OidcClient).join(OidcGrant, OidcGrant.client_id == OidcClient.id).where(
    OidcGrant.account_id == bindparam("account"), OidcGrant.revoked_at.is_(None), OidcClient.events_uri.is_not(None))


def subscribed_clients(db: Session, account_id: uuid.UUID) -> Sequence[OidcClient]:
    """Services this citizen has connected (grant not revoked) that take security events."""
    return db.scalars(_SUBSCRIBED, {"account": account_id}).all()


def grant_of(db: Session, account_id: uuid.UUID, client_id: str) -> OidcGrant | None:
    return db.scalars(select(OidcGrant).where(OidcGrant.account_id == account_id,
                                              OidcGrant.client_id == client_id)).first()


def grants_of(db: Session, account_id: uuid.UUID) -> Sequence[tuple[OidcGrant, OidcClient]]:
    rows = db.execute(select(OidcGrant, OidcClient).join(OidcClient, OidcGrant.client_id == OidcClient.id).where(
        OidcGrant.account_id == account_id, OidcGrant.revoked_at.is_(None)).order_by(OidcGrant.created_at))
    return [(g, c) for g, c in rows]


def code_by_hash(db: Session, code_hash: str, *, lock: bool = False) -> OidcCode | None:
    query = select(OidcCode).where(OidcCode.code_hash == code_hash)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.scalars(query).one_or_none()


def token_by_hash(db: Session, token_hash: str, *, lock: bool = False) -> OidcToken | None:
    query = select(OidcToken).where(OidcToken.token_hash == token_hash)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.scalars(query).one_or_none()


def revoke_tokens(db: Session, now: datetime, *, grant_id: uuid.UUID | None = None,
                  code_id: uuid.UUID | None = None) -> int:
    """Every live token of a grant, or of one code (a code used twice: what was issued from it dies)."""
    query = update(OidcToken).where(OidcToken.revoked_at.is_(None))
    query = query.where(OidcToken.grant_id == grant_id) if grant_id else query.where(OidcToken.code_id == code_id)
    return changed(db.execute(query.values(revoked_at=now)))


def clients_of_sessions(db: Session, session_ids: Sequence[uuid.UUID]) -> Sequence[tuple[uuid.UUID, OidcClient]]:
    """Each (session, service) a citizen signed in to with these cabinet sessions: what their end logs out."""
    if not session_ids:
        return []
    pairs = db.execute(select(OidcCode.session_id, OidcCode.client_id)
                       .where(OidcCode.session_id.in_(list(session_ids))).distinct()).all()
    clients = {c.id: c for c in db.scalars(select(OidcClient).where(OidcClient.id.in_({c for _s, c in pairs})))}
    return [(session_id, clients[client_id]) for session_id, client_id in pairs if session_id is not None]


def revoke_session_tokens(db: Session, now: datetime, session_ids: Sequence[uuid.UUID]) -> int:
    """The tokens services were given in these sessions: their end is the services' sessions' end too."""
    if not session_ids:
        return 0
    codes = select(OidcCode.id).where(OidcCode.session_id.in_(list(session_ids)))
    return changed(db.execute(update(OidcToken).where(OidcToken.revoked_at.is_(None), OidcToken.code_id.in_(codes))
                              .values(revoked_at=now).execution_options(synchronize_session=False)))
