"""session.locale: the language each session last used, so the account's language follows its owner

The account's language is what every code, letter and notice is written in. It used to change only when the
language link was clicked; now it follows the language the owner's requests ask for (the link, the cookie it sets,
or the browser's Accept-Language), however it was chosen. Kept per session so a request in the same language as
the one before costs nothing.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("session") as batch:
        batch.add_column(sa.Column("locale", sa.String(5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("session") as batch:
        batch.drop_column("locale")
