"""The migrations build exactly the tables and indexes the models declare: an index added to a model but not to a
migration (or the other way round) would leave production without it while every test passed."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kabinet.store.db import Store
from kabinet.store.models import Base


def test_the_migrated_schema_is_the_models_schema(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        with store.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        store.dispose()
    assert differences == []
