"""operator.password_changed_at: the one-time password from ``kabinet operator add`` is for one sign-in only

Until the operator sets a password of their own, the console asks for one before anything else.
Operators who already exist are taken to have chosen theirs (they may have changed it already; nothing records it).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kabinet.store.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operator") as batch:
        batch.add_column(sa.Column("password_changed_at", UtcDateTime(), nullable=True))
    op.execute(sa.text("UPDATE operator SET password_changed_at = created_at"))


def downgrade() -> None:
    with op.batch_alter_table("operator") as batch:
        batch.drop_column("password_changed_at")
