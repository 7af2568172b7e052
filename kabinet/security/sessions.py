"""Server-side sessions: an opaque 256-bit token for the browser, only its keyed hash in the store.

Numbers from DOMAIN.md: idle expiry 30 min, absolute 12 h, step-up window 10 min. ``last_seen_at``
is written at most once a minute so that signed-in reads stay reads.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from kabinet.audit.events import Meta
from kabinet.domain.errors import StepUpRequired
from kabinet.policy import SESSION_ABSOLUTE, SESSION_IDLE, SESSION_TOUCH_EVERY, STEP_UP_WINDOW
from kabinet.security.tokens import Hasher, new_token
from kabinet.store.db import columns_of, detached
from kabinet.store.models import Session as UserSession

PURPOSE = "session"


def open_session(
    db: Session, hasher: Hasher, *, account_id: object, meta: Meta, method: str, now: datetime
) -> tuple[str, UserSession]:
    """A new session whose second factor was just confirmed (sign-in always ends with one)."""
    token = new_token()
    row = UserSession(
        token_hash=hasher.digest(PURPOSE, token), account_id=account_id, created_at=now, last_seen_at=now,
        expires_at=now + SESSION_ABSOLUTE, second_factor_at=now, auth_method=method, ip=meta.ip,
        user_agent=(meta.user_agent or "")[:300] or None, locale=meta.chosen_locale,
    )
    db.add(row)
    return token, row


def rotate(row: UserSession, hasher: Hasher) -> str:
    """A fresh token for the same session (after step-up), so a token seen before is worth nothing."""
    token = new_token()
    row.token_hash = hasher.digest(PURPOSE, token)
    return token


def is_live(row: UserSession, now: datetime) -> bool:
    return row.revoked_at is None and now < row.expires_at and now - row.last_seen_at < SESSION_IDLE


# Every signed-in request: the row as plain columns (``Store.rows``), made an object without the ORM's loading
_BY_TOKEN = select(*columns_of(UserSession)).where(UserSession.token_hash == bindparam("hash"))


def find(db: Session | Connection, hasher: Hasher, token: str, now: datetime) -> UserSession | None:
    if not token or len(token) > 100:
        return None
    found = db.execute(_BY_TOKEN, {"hash": hasher.digest(PURPOSE, token)}).first()
    row = detached(UserSession, found) if found is not None else None
    return row if row is not None and is_live(row, now) else None


def needs_touch(row: UserSession, now: datetime) -> bool:
    return now - row.last_seen_at >= SESSION_TOUCH_EVERY


def set_session_locale(db: Session, session_id: uuid.UUID, locale: str) -> None:
    db.execute(update(UserSession).where(UserSession.id == session_id).values(locale=locale))


def touch(db: Session, row: UserSession, now: datetime) -> None:
    db.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))


def require_step_up(row: UserSession, now: datetime) -> None:
    """Sensitive changes need a second factor confirmed in the last 10 minutes (DESIGN.md §4, rule 4)."""
    if row.second_factor_at is None or now - row.second_factor_at > STEP_UP_WINDOW:
        raise StepUpRequired()
