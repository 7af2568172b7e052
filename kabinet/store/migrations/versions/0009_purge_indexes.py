"""purge indexes: the hourly purge finds expired rows by index, not by reading whole tables

Challenges (one per sign-in), relying services' codes and tokens, and recoveries grow with the traffic of a national
portal; a sequential scan of each every hour would grow with them.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = (("challenge", "expires_at"), ("challenge", "consumed_at"), ("recovery", "expires_at"),
           ("oidc_token", "expires_at"), ("oidc_code", "expires_at"))


def upgrade() -> None:
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in INDEXES:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
