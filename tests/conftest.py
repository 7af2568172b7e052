"""Shared fixtures: a real database (SQLite file, or PostgreSQL when KABINET_TEST_DATABASE_URL says so),
a real SMTP server and SMS gateway, a frozen clock, and the app over HTTP."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from kabinet import bootstrap
from kabinet.bootstrap import Kabinet
from kabinet.clock import FrozenClock
from kabinet.config import Settings
from kabinet.store.db import Store
from kabinet.store.migrate import upgrade
from kabinet.store.models import Base
from kabinet.web.app import create_app
from tests.servers import SmsSink, SmtpSink, start_sms_gateway, start_smtp

PG_URL = os.environ.get("KABINET_TEST_DATABASE_URL")
KEEP = {"alembic_version", "service"}  # reference data the migrations put in


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[str, SmtpSink]]:
    controller, sink = start_smtp()
    yield f"smtp://127.0.0.1:{controller.port}", sink
    controller.stop()


@pytest.fixture(scope="session")
def sms_gateway() -> Iterator[tuple[str, SmsSink]]:
    server, sink, url = start_sms_gateway()
    yield url, sink
    server.shutdown()


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database: PostgreSQL itself, or a SQLite template file copied for each test."""
    if PG_URL:
        store = Store.from_url(PG_URL)
        upgrade(store.engine)
        store.dispose()
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "kabinet.sqlite3"
    store = Store.from_url(f"sqlite:///{path}")
    upgrade(store.engine)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.dispose()
    return str(path)


@pytest.fixture
def db_url(migrated: str, tmp_path: Path) -> str:
    return fresh_database(migrated, tmp_path)


def fresh_database(migrated: str, folder: Path) -> str:
    """An empty, migrated database: PostgreSQL truncated, or a new copy of the SQLite template."""
    if PG_URL:
        store = Store.from_url(PG_URL)
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name not in KEEP)
        with store.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        store.dispose()
        return PG_URL
    target = folder / "kabinet.sqlite3"
    shutil.copy(migrated, target)
    return f"sqlite:///{target}"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def mail(smtp: tuple[str, SmtpSink]) -> Iterator[SmtpSink]:
    smtp[1].clear()
    yield smtp[1]


@pytest.fixture
def sms(sms_gateway: tuple[str, SmsSink]) -> Iterator[SmsSink]:
    sms_gateway[1].clear()
    yield sms_gateway[1]


@pytest.fixture
def settings(db_url: str, tmp_path: Path, smtp: tuple[str, SmtpSink], sms_gateway: tuple[str, SmsSink]) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path, smtp_url=smtp[0], sms_gateway=sms_gateway[0],
                    secret_key="11" * 32, outbox="off", dev=False, base_url="http://testserver",
                    redis_url=None, notice_delay_s=0)  # tests drain at once; the delay has its own test


@pytest.fixture
def kb(settings: Settings, clock: FrozenClock, mail: SmtpSink, sms: SmsSink) -> Iterator[Kabinet]:
    kabinet = bootstrap.build(settings, clock=clock)
    yield kabinet
    kabinet.store.dispose()


@pytest.fixture
def client(kb: Kabinet) -> Iterator[TestClient]:
    with TestClient(create_app(kb), base_url="http://testserver") as test_client:
        yield test_client
