"""rate windows: while Redis is away, the rate limits of a fleet are counted in the database, one fixed
window a row, so the instances keep sharing one count

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_window",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_rate_window_expires_at", "rate_window", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_rate_window_expires_at", "rate_window")
    op.drop_table("rate_window")
