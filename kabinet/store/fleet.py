"""What the processes of a fleet share beyond the citizens' data: each outbox worker's heartbeat, and the periodic
jobs that must run once per fleet. Both are plain rows, so they work on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kabinet.store.db import changed
from kabinet.store.models import FleetTask, Outbox, WorkerBeat


def take(db: Session, name: str, now: datetime, every: timedelta, holder: str) -> bool:
    """Whether this worker runs the job ``name`` now: one conditional UPDATE moves its due time ``every`` ahead, and
    of many workers asking at once exactly one sees its row change. A store that lost the row (a restored backup)
    gets it back, taken by whoever inserts it first (the primary key decides)."""
    taken = changed(db.execute(update(FleetTask).where(FleetTask.name == name, FleetTask.due_at <= now)
                       .values(due_at=now + every, holder=holder, taken_at=now)))
    if taken:
        return True
    if db.get(FleetTask, name) is not None:
        return False
    try:
        with db.begin_nested():  # two workers finding it missing at once: one insert wins, the other is told no
            db.add(FleetTask(name=name, due_at=now + every, holder=holder, taken_at=now))
    except IntegrityError:
        return False
    return True


def beat(db: Session, worker: str, now: datetime, started_at: datetime, in_flight: Collection[int],
         lease_until: datetime, due_states: Collection[str]) -> None:
    """The worker's sign of life, and the leases of the messages it is sending moved on: a message stays its own
    while it beats, however slow the receiver, and comes back to the others soon after it stops beating."""
    row = db.get(WorkerBeat, worker)
    if row is None:
        db.add(WorkerBeat(worker=worker, started_at=started_at, beat_at=now, in_flight=len(in_flight)))
    else:
        row.beat_at, row.in_flight = now, len(in_flight)
    if in_flight:
        db.execute(update(Outbox).where(Outbox.id.in_(list(in_flight)), Outbox.state.in_(list(due_states)))
                   .values(next_attempt_at=lease_until).execution_options(synchronize_session=False))


def release(db: Session, ids: Collection[int], now: datetime, due_states: Collection[str]) -> int:
    """Messages claimed but not sent when a worker stops: due again at once for any other worker, the attempt they
    never had not counted."""
    if not ids:
        return 0
    return changed(db.execute(update(Outbox).where(Outbox.id.in_(list(ids)), Outbox.state.in_(list(due_states)))
                              .values(next_attempt_at=now, attempts=Outbox.attempts - 1)
                              .execution_options(synchronize_session=False)))


def stopped(db: Session, worker: str) -> None:
    db.execute(delete(WorkerBeat).where(WorkerBeat.worker == worker))


def beats(db: Session) -> list[tuple[str, datetime, int]]:
    rows = db.execute(select(WorkerBeat.worker, WorkerBeat.beat_at, WorkerBeat.in_flight).order_by(WorkerBeat.worker))
    return [(worker, at, in_flight) for worker, at, in_flight in rows]


def forget_silent(db: Session, before: datetime) -> int:
    """Beats of workers silent since ``before`` (killed long ago): the purge drops them."""
    return changed(db.execute(delete(WorkerBeat).where(WorkerBeat.beat_at < before)))
