"""operator events: the trail of each operator's own access to the console (sign-ins, refusals, sign-outs,
passwords, security keys)

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kabinet.store.types import UtcDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_event",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("operator_id", sa.Uuid(), sa.ForeignKey("operator.id"), nullable=False),
        sa.Column("centre", sa.String(200), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("type", sa.String(48), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(300), nullable=True),
    )
    op.create_index("ix_operator_event_operator_id", "operator_event", ["operator_id"])
    op.create_index("ix_operator_event_centre_id", "operator_event", ["centre", "id"])


def downgrade() -> None:
    op.drop_index("ix_operator_event_centre_id", table_name="operator_event")
    op.drop_index("ix_operator_event_operator_id", table_name="operator_event")
    op.drop_table("operator_event")
