"""letters: longer delivery states (rejected, bounced, complained) and addresses whose letters come back

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kabinet.store.types import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("state", type_=sa.String(16), existing_type=sa.String(8), existing_nullable=False)
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("bounced_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("bounced_at")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("state", type_=sa.String(8), existing_type=sa.String(16), existing_nullable=False)
