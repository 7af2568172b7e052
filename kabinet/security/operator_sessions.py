"""Operator sessions: their own table and their own token purpose, so an operator's token finds nothing among
citizens' sessions and a citizen's finds nothing here. Short: 15 minutes idle, one working day at most — a
console left open at a counter must not stay signed in."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from kabinet.audit.events import Meta
from kabinet.policy import OPERATOR_SESSION_ABSOLUTE, OPERATOR_SESSION_IDLE, SESSION_TOUCH_EVERY
from kabinet.security.tokens import Hasher, new_token
from kabinet.store.db import changed, columns_of, detached
from kabinet.store.models import OperatorSession

PURPOSE = "operator-session"


def open_operator_session(db: Session, hasher: Hasher, *, operator_id: uuid.UUID, meta: Meta,
                          now: datetime) -> str:
    token = new_token()
    db.add(OperatorSession(token_hash=hasher.digest(PURPOSE, token), operator_id=operator_id, created_at=now,
                           last_seen_at=now, expires_at=now + OPERATOR_SESSION_ABSOLUTE, ip=meta.ip))
    return token


_BY_TOKEN = select(*columns_of(OperatorSession)).where(OperatorSession.token_hash == bindparam("hash"))


def find_operator_session(db: Session | Connection, hasher: Hasher, token: str, now: datetime
                          ) -> OperatorSession | None:
    if not token or len(token) > 100:
        return None
    found = db.execute(_BY_TOKEN, {"hash": hasher.digest(PURPOSE, token)}).first()
    row = detached(OperatorSession, found) if found is not None else None
    live = row is not None and row.revoked_at is None and now < row.expires_at
    return row if live and now - row.last_seen_at < OPERATOR_SESSION_IDLE else None  # type: ignore[union-attr]


def needs_touch(row: OperatorSession, now: datetime) -> bool:
    return now - row.last_seen_at >= SESSION_TOUCH_EVERY


def touch(db: Session, row: OperatorSession, now: datetime) -> None:
    db.execute(update(OperatorSession).where(OperatorSession.id == row.id).values(last_seen_at=now))


def end(db: Session, row_id: uuid.UUID, now: datetime) -> None:
    db.execute(update(OperatorSession).where(OperatorSession.id == row_id).values(revoked_at=now))


def end_others(db: Session, operator_id: uuid.UUID, now: datetime, *, keep: uuid.UUID) -> int:
    """How many sessions ended."""
    return changed(db.execute(update(OperatorSession).where(
        OperatorSession.operator_id == operator_id, OperatorSession.id != keep,
        OperatorSession.revoked_at.is_(None)).values(revoked_at=now)))
