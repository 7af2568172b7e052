"""requests: support requests get a number, states new → in_work → answered → closed, and a message thread

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kabinet.store.types import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_request") as batch:
        batch.add_column(sa.Column("number", sa.String(16), nullable=True))
        batch.add_column(sa.Column("updated_at", UtcDateTime(), nullable=True))
        batch.create_unique_constraint("uq_support_request_number", ["number"])
        batch.create_index("ix_support_request_state_created", ["state", "created_at"])
    op.execute("UPDATE support_request SET state = 'new' WHERE state = 'open'")
    op.create_table(
        "support_message",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Uuid(), sa.ForeignKey("support_request.id"), nullable=False, index=True),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("author_id", sa.String(64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("support_message")
    with op.batch_alter_table("support_request") as batch:
        batch.drop_index("ix_support_request_state_created")
        batch.drop_constraint("uq_support_request_number", type_="unique")
        batch.drop_column("updated_at")
        batch.drop_column("number")
