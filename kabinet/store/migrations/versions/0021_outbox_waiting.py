"""outbox waiting: a partial index of the notices no worker has claimed yet, so a change finds the ones it may
extend without reading its contact's whole history of messages

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

WAITING = "attempts = 0"


def upgrade() -> None:
    op.create_index("ix_outbox_waiting", "outbox", ["contact_id", "id"], sqlite_where=sa.text(WAITING),
                    postgresql_where=sa.text(WAITING))


def downgrade() -> None:
    op.drop_index("ix_outbox_waiting", table_name="outbox")
