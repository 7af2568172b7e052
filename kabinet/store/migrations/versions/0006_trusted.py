"""trusted: a trusted person (trusted_link), approvals awaited from them, held recoveries, vouched contacts

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kabinet.store.types import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("vouched_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("totp_enrolled_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("recovery") as batch:
        batch.add_column(sa.Column("ready_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("cancel_hash", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_recovery_cancel_hash", ["cancel_hash"])
    op.create_table(
        "trusted_link",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey("account.id"), nullable=False, index=True),
        sa.Column("trustee_id", sa.Uuid(), sa.ForeignKey("account.id"), nullable=True, index=True),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("invite_expires_at", UtcDateTime(), nullable=False),
        sa.Column("accepted_at", UtcDateTime(), nullable=True),
        sa.Column("effective_at", UtcDateTime(), nullable=True),
        sa.Column("ends_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_trusted_link_phone_state", "trusted_link", ["phone", "state"])
    op.create_table(
        "approval",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey("account.id"), nullable=False, index=True),
        sa.Column("trustee_id", sa.Uuid(), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("link_id", sa.Uuid(), sa.ForeignKey("trusted_link.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("recovery_id", sa.Uuid(), sa.ForeignKey("recovery.id"), nullable=True, index=True),
        sa.Column("session_id", sa.Uuid(), sa.ForeignKey("session.id"), nullable=True),
        sa.Column("new_password_hash", sa.String(200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_approval_trustee_state", "approval", ["trustee_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_approval_trustee_state", table_name="approval")
    op.drop_table("approval")
    op.drop_index("ix_trusted_link_phone_state", table_name="trusted_link")
    op.drop_table("trusted_link")
    with op.batch_alter_table("recovery") as batch:
        batch.drop_constraint("uq_recovery_cancel_hash", type_="unique")
        batch.drop_column("cancel_hash")
        batch.drop_column("ready_at")
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("vouched_at")
    with op.batch_alter_table("account") as batch:
        batch.drop_column("totp_enrolled_at")
