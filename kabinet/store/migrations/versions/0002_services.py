"""services catalogue

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

service = sa.table(
    "service", sa.column("id", sa.String), sa.column("title_ru", sa.String), sa.column("title_en", sa.String),
    sa.column("needs_level", sa.String), sa.column("needs_email", sa.Boolean), sa.column("needs_phone", sa.Boolean),
)

ROWS = [
    ("fines", "Штрафы ГИБДД", "Traffic fines", "simplified", False, True),
    ("doctor", "Запись к врачу", "Doctor's appointment", "standard", False, True),
    ("tax", "Налоговые уведомления на почту", "Tax notices by email", "confirmed", True, False),
    ("passport", "Заграничный паспорт", "International passport", "confirmed", True, True),
]


def upgrade() -> None:
    op.bulk_insert(service, [dict(zip(("id", "title_ru", "title_en", "needs_level", "needs_email", "needs_phone"),
                                      row, strict=True)) for row in ROWS])


def downgrade() -> None:
    op.execute(service.delete().where(service.c.id.in_([r[0] for r in ROWS])))
