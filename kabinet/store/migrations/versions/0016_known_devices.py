"""known devices: the browsers each account has been signed in from (a long-lived device cookie, kept
as a keyed hash), so a sign-in from any other is told; and each contact's choice to hear of them

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kabinet.store.types import UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_device",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("device_hash", sa.String(64), nullable=False),
        sa.Column("first_seen_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "device_hash", name="uq_known_device_account_device"),
    )
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("sign_in_notices", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("sign_in_notices")
    op.drop_table("known_device")
