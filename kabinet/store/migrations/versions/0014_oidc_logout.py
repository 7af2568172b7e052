"""relying services' logout: where a service wants the citizen back after signing out, where it hears of
a session that ended, and which session each code was issued in (the ID token's ``sid``)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oidc_client") as batch:
        batch.add_column(sa.Column("post_logout_redirect_uris", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("backchannel_logout_uri", sa.String(500), nullable=True))
    with op.batch_alter_table("oidc_code") as batch:
        batch.add_column(sa.Column("session_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key("fk_oidc_code_session_id_session", "session", ["session_id"], ["id"])
        batch.create_index("ix_oidc_code_session_id", ["session_id"])


def downgrade() -> None:
    with op.batch_alter_table("oidc_code") as batch:
        batch.drop_index("ix_oidc_code_session_id")
        batch.drop_constraint("fk_oidc_code_session_id_session", type_="foreignkey")
        batch.drop_column("session_id")
    with op.batch_alter_table("oidc_client") as batch:
        batch.drop_column("backchannel_logout_uri")
        batch.drop_column("post_logout_redirect_uris")
