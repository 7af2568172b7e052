"""schemathesis against the OpenAPI document (issue 8): generated requests to every API operation, signed in as
the demo citizen; no answer may be a server error, and every answer must have a status and a body the document
declares. Short here (``.ci/run`` on both stores)."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from kabinet import bootstrap
from kabinet.audit.events import Meta
from kabinet.demo import seed
from kabinet.security.sessions import open_session
from kabinet.store.models import Account
from kabinet.web.app import create_app

CHECKS = (not_a_server_error, status_code_conformance, response_schema_conformance)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory, migrated):
    from kabinet.config import Settings
    from tests.conftest import fresh_database

    folder = tmp_path_factory.mktemp("fuzz")
    kb = bootstrap.build(Settings(database_url=fresh_database(migrated, folder), data_dir=folder, outbox="off",
                                  secret_key="44" * 32, rate_limits=False, base_url="http://testserver"))
    seed(kb, "demo-password-1")
    yield create_app(kb), kb
    kb.store.dispose()


def new_token(kb) -> str:
    """A fresh session per request: a generated sign-out or revoke-others must not end the next one's."""
    from sqlalchemy import select

    with kb.store.write() as db:
        account_id = db.scalars(select(Account.id)).one()
        token, _ = open_session(db, kb.hasher, account_id=account_id, meta=Meta(), method="t", now=kb.clock.now())
    return token


def test_no_server_error_and_no_undeclared_answer(fuzzed):
    """schemathesis's own pytest plugin does not run under this pytest; its schema, strategies and checks do."""
    app, kb = fuzzed
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    statuses: Counter[int] = Counter()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def run(case) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {new_token(kb)}"}
            response = case.call()
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS)

        run()
    assert sum(n for status, n in statuses.items() if status < 300) > 40  # signed in: most operations really ran
