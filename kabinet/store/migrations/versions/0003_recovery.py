"""recovery: recovery flows, backup codes, identity requests; passport kept as a keyed hash; a contact's last use

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kabinet.store.types import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("passport_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("passport_hint", sa.String(2), nullable=True))
        batch.drop_column("passport")  # only ever held the demo's; ``kabinet demo`` writes it again, hashed
        batch.create_index("ix_account_passport_hash", ["passport_hash"])
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("last_confirmed_at", UtcDateTime(), nullable=True))
    op.execute("UPDATE contact SET last_confirmed_at = verified_at")
    op.create_table(
        "recovery",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey("account.id"), nullable=True, index=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("first_contact_id", sa.Uuid(), sa.ForeignKey("contact.id"), nullable=True),
        sa.Column("proofs", sa.JSON(), nullable=False),
        sa.Column("attempts_left", sa.Integer(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "backup_code",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_backup_code_account", "backup_code", ["account_id", "used_at"])
    op.create_table(
        "identity_request",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("number", sa.String(16), nullable=False, unique=True),
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey("account.id"), nullable=True, index=True),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("identity_request")
    op.drop_index("ix_backup_code_account", "backup_code")
    op.drop_table("backup_code")
    op.drop_table("recovery")
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("last_confirmed_at")
    with op.batch_alter_table("account") as batch:
        batch.drop_index("ix_account_passport_hash")
        batch.drop_column("passport_hint")
        batch.drop_column("passport_hash")
        batch.add_column(sa.Column("passport", sa.String(10), nullable=True))
