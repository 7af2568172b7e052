"""fleet: worker heartbeats, and periodic jobs taken once per fleet

The outbox keeps the id of the request that queued each message, so the worker's lines about it join the request's.
``worker_beat`` is each outbox worker's last sign of life (``/metrics`` shows its age); ``fleet_task`` holds when the
hourly purge and the daily walk of the history chains are next due, so that of many workers exactly one runs each —
the one whose conditional UPDATE moves ``due_at`` forward first.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from kabinet.store.types import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_beat",
        sa.Column("worker", sa.String(100), primary_key=True),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("beat_at", UtcDateTime(), nullable=False),
        sa.Column("in_flight", sa.Integer(), nullable=False),
    )
    tasks = op.create_table(
        "fleet_task",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("holder", sa.String(100), nullable=True),
        sa.Column("taken_at", UtcDateTime(), nullable=True),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("request_id", sa.String(32), nullable=True))
    now = datetime.now(UTC)
    # The purge is due at once; the first walk of every chain ten minutes on (not in the rush of a first start).
    op.bulk_insert(tasks, [{"name": "purge", "due_at": now}, {"name": "chain_check", "due_at": now + timedelta(minutes=10)}])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("request_id")
    op.drop_table("fleet_task")
    op.drop_table("worker_beat")
