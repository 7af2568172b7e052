"""Alembic environment: the URL comes from the caller (``kabinet db upgrade``), never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from kabinet.store.models import Base

config = context.config
connection = config.attributes.get("connection")


def _run(conn: Connection) -> None:
    context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = engine_from_config(
        {"sqlalchemy.url": config.get_main_option("sqlalchemy.url")}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as conn:
        _run(conn)
