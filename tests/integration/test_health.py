"""Health for load balancers (issue 22, API.md Health) and faults answered, not crashed: with the database gone
every request answers 503 with Retry-After and a problem body in the caller's language (pages: a page that says
"back in a minute"), never a 500; with Redis gone the rate limits keep counting in the process."""

from __future__ import annotations

import json
import logging
import re
import socket

import pytest
from fastapi.testclient import TestClient

from kabinet import bootstrap
from kabinet.config import Settings
from kabinet.store.db import Store
from kabinet.store.migrate import HEAD, alembic_config
from kabinet.web.app import create_app


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens there


@pytest.fixture
def gone(settings: Settings, clock):
    """An instance whose PostgreSQL does not answer (connections refused), as during a restart."""
    dead = settings.model_copy(update={"database_url": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/x"})
    kb = bootstrap.build(dead, clock=clock)
    with TestClient(create_app(kb), base_url="http://testserver", raise_server_exceptions=False) as client:
        yield client
    kb.store.dispose()


def test_live_and_ready_when_all_is_well(client):
    assert client.get("/health/live").json() == {"status": "live"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    assert ready.headers["cache-control"] == "no-store"


def test_a_lost_database_is_a_503_with_retry_after_in_the_callers_language_never_a_500(gone):
    assert gone.get("/health/live").status_code == 200  # the process answers: no restart for a database outage
    ready = gone.get("/health/ready")
    assert ready.status_code == 503 and ready.json() == {"status": "unready", "failed": ["database"]}
    for headers, title in (({}, "Сервис ненадолго недоступен"), ({"Accept-Language": "en"}, "briefly unavailable")):
        answer = gone.post("/api/v1/sign-in", json={"login": "+79001234567", "password": "whatever-long"},
                           headers=headers)
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "unavailable" and title in answer.json()["title"]
        assert int(answer.headers["retry-after"]) > 0
    form = gone.get("/sign-in", headers={"Accept-Language": "en"})  # the sign-in page itself needs no database
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    page = gone.post("/sign-in", data={"login": "+79001234567", "password": "whatever-long", "csrf_token": token},
                     headers={"Accept-Language": "en"})
    assert page.status_code == 503 and "try again in a minute" in page.text  # the form again, the login kept
    assert 'value="+79001234567"' in page.text
    gone.cookies.set("kabinet_session", "some-token")
    page = gone.get("/settings/contacts", headers={"Accept-Language": "en"})  # a page that needs the session
    assert page.status_code == 503 and "Back in a minute" in page.text and int(page.headers["retry-after"]) > 0
    assert "Send to support" not in page.text  # a support form would need the database too
    gone.cookies.clear()
    signed_in = gone.get("/api/v1/contacts", headers={"Authorization": "Bearer some-token"})  # the session lookup
    assert signed_in.status_code == 503 and signed_in.json()["code"] == "unavailable"


MACHINE_CALLS = (("POST", "/oidc/token", {"grant_type": "authorization_code", "code": "c", "client_id": "x"}),
                 ("GET", "/oidc/userinfo", None), ("POST", "/oidc/userinfo", None), ("GET", "/oidc/jwks", None),
                 ("POST", "/oidc/revoke", {"token": "t", "client_id": "x"}),
                 ("POST", "/oidc/introspect", {"token": "t", "client_id": "x"}),
                 ("POST", "/oidc/par", {"response_type": "code", "client_id": "x"}))


def test_the_relying_services_endpoints_answer_a_json_503_never_the_html_page(gone):
    """A service's OAuth library reads JSON: the "back in a minute" page would be a parse error to it, not a wait."""
    for method, path, form in MACHINE_CALLS:
        answer = gone.request(method, path, data=form, headers={"Authorization": "Bearer some-token",
                                                                "Accept": "text/html"})
        assert answer.status_code == 503, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json", path
        assert answer.json()["code"] == "unavailable" and int(answer.headers["retry-after"]) > 0, path
        assert answer.json()["retry_after"] > 0
    discovery = gone.get("/.well-known/openid-configuration")  # needs no database: still answered
    assert discovery.status_code == 200 and discovery.json()["issuer"] == "http://testserver"
    unknown = gone.get("/.well-known/nothing-here", headers={"Accept": "text/html"})
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"


def test_metrics_answer_without_the_database_and_say_so(gone, client):
    assert "kabinet_database_up 0.0" in gone.get("/metrics").text
    up = client.get("/metrics").text
    assert "kabinet_database_up 1.0" in up and "kabinet_outbox_oldest_age_seconds" in up


def one_behind() -> str:
    """The migration before the head, by Alembic's own chain (revisions need not be consecutive numbers: a branch's
    0018 may follow 0016 until a merge re-chains it)."""
    from alembic.script import ScriptDirectory

    down = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(HEAD).down_revision
    assert isinstance(down, str)
    return down


def test_ready_names_a_schema_behind_this_code(settings, clock, tmp_path):
    if settings.db_url.startswith("postgresql"):
        url = settings.db_url  # one shared database: pretend it is one migration behind, then put it back
        store = Store.from_url(url)
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{one_behind()}'")
    else:
        from alembic import command

        url = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
        store = Store.from_url(url)
        cfg = alembic_config(url)
        command.upgrade(cfg, one_behind())
    kb = bootstrap.build(settings.model_copy(update={"database_url": url}), clock=clock)
    try:
        with TestClient(create_app(kb)) as behind:
            answer = behind.get("/health/ready")
        assert answer.status_code == 503 and answer.json()["failed"] == ["migrations"]
    finally:
        if url.startswith("postgresql"):
            with store.engine.begin() as conn:
                conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{HEAD}'")
        kb.store.dispose()
        store.dispose()


def test_head_is_alembics_head():
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() == HEAD


def test_redis_away_makes_an_instance_unready_but_sign_in_still_counts_its_limits(settings, clock, sms):
    away = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{closed_port()}/0"})
    kb = bootstrap.build(away, clock=clock)
    try:
        with TestClient(create_app(kb)) as client:
            assert client.get("/health/ready").json() == {"status": "unready", "failed": ["redis"]}
            answers = [client.post("/api/v1/sign-in", json={"login": "+79001112233", "password": "wrong-password-1"},
                                   headers={"Accept-Language": "en"}).status_code for _ in range(12)]
            assert 500 not in answers and answers[0] == 401
            assert 429 in answers, "with Redis away the limits must still count (in the process)"
            assert "kabinet_rate_limits_local 1.0" in client.get("/metrics").text
    finally:
        kb.store.dispose()


def test_redis_away_a_fleet_keeps_one_count_in_its_database(settings, clock, sms):
    """Two instances, Redis away: on PostgreSQL the limit is counted in the database they share, so five wrong
    passwords split over both spend the account's window and the sixth is refused on either; on SQLite (one host)
    each process counts alone, as docs/OPERATIONS.md says."""
    away = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{closed_port()}/0"})
    one, two = bootstrap.build(away, clock=clock), bootstrap.build(away, clock=clock)
    try:
        with TestClient(create_app(one)) as a, TestClient(create_app(two)) as b:
            answers = [(a, b)[i % 2].post("/api/v1/sign-in", json={"login": "+79001112233",
                                                                   "password": "wrong-password-1"}).status_code
                       for i in range(11)]
        assert 500 not in answers
        if one.store.engine.dialect.name == "postgresql":
            assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}, answers
        else:
            assert answers[:10] == [401] * 10 and answers[10] == 429, answers
    finally:
        one.limiter.reset()
        one.store.dispose()
        two.store.dispose()


def test_every_line_of_a_request_carries_its_id_and_the_json_log_names_no_one(client, caplog, kb):
    from kabinet.logs import JsonFormatter

    with caplog.at_level(logging.INFO):
        answer = client.post("/api/v1/sign-in", json={"login": "ivan@mail.ru", "password": "wrong-password-1"},
                             headers={"X-Request-ID": "lb-0123456789"})
        client.get("/health/ready")
    assert answer.headers["x-request-id"] == "lb-0123456789"
    assert answer.json()["reference"] == "lb-0123456789"  # the reference an error shows is the request's id
    access = [r for r in caplog.records if r.name == "kabinet.access"]
    assert [r.route for r in access] == ["/api/v1/sign-in"]  # the probe is not an access line
    line = json.loads(JsonFormatter().format(access[0]))
    assert line["request_id"] == "lb-0123456789" and line["status"] == 401 and line["method"] == "POST"
    assert {"time", "level", "duration_ms", "route"} <= line.keys()
    problem = next(r for r in caplog.records if r.getMessage().startswith("problem auth.failed"))
    assert json.loads(JsonFormatter().format(problem))["request_id"] == "lb-0123456789"
    assert all("ivan" not in JsonFormatter().format(r) for r in caplog.records)
    own = client.get("/api/v1/me").headers["x-request-id"]
    assert len(own) == 12 and own != "lb-0123456789"
