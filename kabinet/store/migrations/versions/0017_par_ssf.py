"""pushed authorization requests and SSF streams: the requests clients push (RFC 9126), kept by the keyed
hash of their request_uri; per client, whether it must push them, and its push stream's status (SSF 1.0)

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kabinet.store.types import UtcDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oidc_pushed_request",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("uri_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("client_id", sa.String(64), sa.ForeignKey("oidc_client.id"), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_oidc_pushed_request_expires_at", "oidc_pushed_request", ["expires_at"])
    with op.batch_alter_table("oidc_client") as batch:
        batch.add_column(sa.Column("require_par", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("stream_status", sa.String(16), nullable=False, server_default="enabled"))


def downgrade() -> None:
    with op.batch_alter_table("oidc_client") as batch:
        batch.drop_column("stream_status")
        batch.drop_column("require_par")
    op.drop_index("ix_oidc_pushed_request_expires_at", "oidc_pushed_request")
    op.drop_table("oidc_pushed_request")
