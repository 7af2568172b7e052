"""Rate-limit windows in the database: the fleet's shared count while Redis is away (``security/ratelimit.py``).

Why fixed windows in one row each: a hit is then one statement — an upsert that starts a new window when the old
one has expired and returns the count — atomic on PostgreSQL and SQLite alike, with no read-then-write race between
instances. Each call is its own short transaction on the blocking engine, outside any step's transaction: a
refused hit is counted all the same, as in Redis."""

from __future__ import annotations

import time

from sqlalchemy import Engine, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kabinet.store.models import RateWindow


def incr(engine: Engine, key: str, expiry: int, amount: int = 1) -> int:
    """Add ``amount`` to the window of ``key`` (a new one of ``expiry`` seconds when none is current); the count."""
    now = time.time()
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    row = insert(RateWindow).values(key=key, hits=amount, expires_at=now + expiry)
    expired = RateWindow.expires_at <= now
    statement = row.on_conflict_do_update(index_elements=[RateWindow.key], set_={
        "hits": case((expired, amount), else_=RateWindow.hits + amount),
        "expires_at": case((expired, now + expiry), else_=RateWindow.expires_at),
    }).returning(RateWindow.hits)
    with engine.begin() as conn:
        return int(conn.execute(statement).scalar_one())


def current(engine: Engine, key: str) -> tuple[int, float]:
    """The count of the current window of ``key`` and when it ends: ``(0, now)`` when none is current."""
    now = time.time()
    with engine.connect() as conn:
        row = conn.execute(select(RateWindow.hits, RateWindow.expires_at)
                           .where(RateWindow.key == key, RateWindow.expires_at > now)).first()
    return (int(row.hits), float(row.expires_at)) if row else (0, now)


def clear(engine: Engine, key: str | None = None) -> int:
    """Forget one key's window, or every window (``None``); how many went."""
    with engine.begin() as conn:
        gone = conn.execute(delete(RateWindow) if key is None else delete(RateWindow).where(RateWindow.key == key))
    return int(gone.rowcount or 0)

