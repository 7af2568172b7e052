"""oidc: relying services — signing keys, clients, grants (consents), codes and tokens

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kabinet.store.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("alg", sa.String(8), nullable=False),
        sa.Column("private_sealed", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("retired_at", UtcDateTime(), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "oidc_client",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=True),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("requires", sa.JSON(), nullable=False),
        sa.Column("subject_type", sa.String(16), nullable=False),
        sa.Column("events_uri", sa.String(500), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "oidc_grant",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey("account.id"), nullable=False, index=True),
        sa.Column("client_id", sa.String(64), sa.ForeignKey("oidc_client.id"), nullable=False, index=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("account_id", "client_id", name="uq_oidc_grant_account_client"),
    )
    op.create_table(
        "oidc_code",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("client_id", sa.String(64), sa.ForeignKey("oidc_client.id"), nullable=False),
        sa.Column("grant_id", sa.Uuid(), sa.ForeignKey("oidc_grant.id"), nullable=False, index=True),
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey("account.id"), nullable=False, index=True),
        sa.Column("redirect_uri", sa.String(500), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("nonce", sa.String(200), nullable=True),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("auth_time", UtcDateTime(), nullable=False),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "oidc_token",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("client_id", sa.String(64), sa.ForeignKey("oidc_client.id"), nullable=False),
        sa.Column("grant_id", sa.Uuid(), sa.ForeignKey("oidc_grant.id"), nullable=False, index=True),
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("code_id", sa.Uuid(), sa.ForeignKey("oidc_code.id"), nullable=True, index=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("rotated_at", UtcDateTime(), nullable=True),
    )


def downgrade() -> None:
    for table in ("oidc_token", "oidc_code", "oidc_grant", "oidc_client", "signing_key"):
        op.drop_table(table)
