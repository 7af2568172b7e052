"""Apply Alembic migrations from code (``kabinet db upgrade``, ``kabinet serve``, tests).

Alembic (with Mako) is imported when a migration runs, not with this module: ``kabinet serve``'s worker processes
import the CLI module again, and ~11 MB of migration tooling in every web worker serves nobody (memory)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import Engine

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration's revision: what a ready instance's database must be at (``/health/ready``). Kept here, not
# asked of Alembic, so a web worker never imports the migration tooling; a test holds it to Alembic's own head.
HEAD = "0021"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "kabinet.store:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# Held while migrating: instances of a fleet that start together (each `kabinet serve` migrates first) take turns,
# and the ones after the first find the schema at head and do nothing.
MIGRATION_LOCK = 0x6B61_6269_6E65_7401


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is there already."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # a line per migration says nothing to whoever starts us
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # SQLite's single writer already serialises
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None before the first migration); one indexed read."""
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
