"""Queries on the outbox beyond the worker's claim: a letter found again when its bounce arrives; a relying
service's event stream paused, resumed or disabled."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, delete, func, literal_column, select, update
from sqlalchemy.orm import Session

from kabinet.store.db import changed
from kabinet.store.models import Outbox


def letter(db: Session, *, key: str | None, row_id: int | None) -> Outbox | None:
    """By the Message-ID's key (unique index) first, else by the VERP id; letters only."""
    row = db.scalars(select(Outbox).where(Outbox.idempotency_key == key)).first() if key else None
    row = row or (db.get(Outbox, row_id) if row_id is not None else None)
    return row if row is not None and row.channel == "email" else None


def backlog(db: Session) -> tuple[dict[tuple[str, str], int], datetime | None]:
    """Messages waiting, by channel and state, and when the oldest was queued (both on the due index)."""
    due = ("queued", "failed")
    rows = db.execute(select(Outbox.channel, Outbox.state, func.count()).where(Outbox.state.in_(due))
                      .group_by(Outbox.channel, Outbox.state)).all()
    oldest = db.scalar(select(func.min(Outbox.created_at)).where(Outbox.state.in_(due)))
    return {(channel, state): count for channel, state, count in rows}, oldest


# Read on the partial index of unclaimed rows (ix_outbox_waiting: attempts = 0), never along a contact's whole history
# of messages (every sign-in's SMS, for years) nor along every queued row of the outbox (a backlog, when the workers
# are away). "attempts = 0" is written into the statement, not bound: a planner proves that a partial index answers a
# query only from its literal terms (SQLite never from a parameter). The state is compared as an expression
# (``coalesce``; the column is never NULL), which no index on ``state`` can serve: SQLite, without statistics, would
# otherwise take the claim's index (state, next_attempt_at) and read the whole queue.
_UNSENT = (select(Outbox)
           .where(Outbox.contact_id.in_(bindparam("ids", expanding=True)),
                  Outbox.template.in_(bindparam("templates", expanding=True)),
                  func.coalesce(Outbox.state, "") == "queued", Outbox.attempts == literal_column("0"))
           .order_by(Outbox.id).with_for_update(skip_locked=True).execution_options(populate_existing=True))


def unsent_notices(db: Session, contact_ids: list[uuid.UUID], templates: frozenset[str]
                   ) -> dict[tuple[uuid.UUID, str], Outbox]:
    """The newest notice of each template to each of these contacts not yet claimed by any worker, in one query,
    locked so none claims them while they are extended (``SKIP LOCKED``: one a worker is claiming right now is left
    alone, and a new notice is queued instead)."""
    if not contact_ids:
        return {}
    rows = db.scalars(_UNSENT, {"ids": contact_ids, "templates": list(templates)}).all()
    return {(row.contact_id, row.template): row for row in rows if row.contact_id is not None}  # the newest wins


UNSENT = ("queued", "failed")  # due now or later: the worker will still send them


def _stream_sets(stream: str, states: tuple[str, ...]) -> tuple[ColumnElement[bool], ...]:
    """A stream's security events in ``states``, chosen in SQL (by the state index, then the stream in the row's
    data): never a list of ids, which a long pause could grow past a driver's bound-parameter limit."""
    return (Outbox.channel == "push", Outbox.state.in_(states), Outbox.data["stream"].as_string() == stream)


def hold_stream(db: Session, stream: str) -> int:
    """A paused stream: its events not yet sent wait (``held``) with those it gets from now on."""
    return changed(db.execute(update(Outbox).where(*_stream_sets(stream, UNSENT)).values(state="held")
                              .execution_options(synchronize_session=False)))


def release_stream(db: Session, stream: str, now: datetime) -> int:
    """An enabled stream: what its pause held is due now."""
    return changed(db.execute(update(Outbox).where(*_stream_sets(stream, ("held",)))
                              .values(state="queued", next_attempt_at=now)
                              .execution_options(synchronize_session=False)))


def drop_stream(db: Session, stream: str) -> int:
    """A disabled stream: nothing of it is sent any more, held or still waiting."""
    return changed(db.execute(delete(Outbox).where(*_stream_sets(stream, ("held", *UNSENT)))
                              .execution_options(synchronize_session=False)))
