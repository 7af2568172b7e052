"""challenge by contact: a contact's open codes and links are found by index

``use_up_open`` (a new link voids the older ones) and ``last_for_contact`` (resend) filter challenges by contact;
the table holds a row per sign-in and per verification, so at a national portal's traffic a sequential scan of it
(which ``bench.scale``'s plans showed, 5,382 rows read to find none) would grow with every day's traffic.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_challenge_contact_id", "challenge", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_challenge_contact_id", table_name="challenge")
