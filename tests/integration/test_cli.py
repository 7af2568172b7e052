"""The command line as an operator runs it, in real processes: `kabinet db upgrade` on an empty database, then
`kabinet worker --once` sending a queued letter over real SMTP and a queued SMS to the HTTP gateway."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import inspect, select

from kabinet.clock import SystemClock
from kabinet.delivery.outbox import enqueue
from kabinet.store.db import Store
from kabinet.store.models import Outbox


def kabinet(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kabinet.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120, check=False)


def test_db_upgrade_then_worker_once_sends_over_smtp_and_http(tmp_path, smtp, sms_gateway, mail, sms):
    env = {"KABINET_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "KABINET_DATA_DIR": str(tmp_path),
           "KABINET_SMTP_URL": smtp[0], "KABINET_SMS_GATEWAY": sms_gateway[0]}
    upgraded = kabinet("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    store = Store.from_url(env["KABINET_DATABASE_URL"])
    tables = set(inspect(store.engine).get_table_names())
    assert {"account", "contact", "challenge", "session", "event", "outbox"} <= tables
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600

    with store.write() as db:
        now = SystemClock().now()
        enqueue(db, now=now, channel="email", destination="someone@example.org", template="test_notification",
                locale="en", data={"account_name": "Someone"})
        enqueue(db, now=now, channel="sms", destination="+79161234567", template="register_taken", locale="ru")
    sent = kabinet("worker", "--once", env=env)
    assert sent.returncode == 0, sent.stderr
    assert "sent 2" in sent.stdout
    assert mail.to("someone@example.org")[-1].subject == "Notification check"
    assert "уже привязан" in sms.to("+79161234567")[-1]["text"]
    with store.read() as db:
        assert {row.state for row in db.scalars(select(Outbox))} == {"sent"}
    key = (tmp_path / "secret.key").read_text()
    assert key not in upgraded.stdout + upgraded.stderr + sent.stdout + sent.stderr  # never printed or logged
    store.dispose()


def test_audit_verify_finds_an_edited_event_and_a_removed_newest_one(tmp_path, settings):
    import hashlib
    import json

    from sqlalchemy import delete, update

    from kabinet import bootstrap
    from kabinet.demo import seed
    from kabinet.store.migrate import upgrade
    from kabinet.store.models import Account, Event

    url = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    env = {"KABINET_DATABASE_URL": url, "KABINET_DATA_DIR": str(tmp_path), "KABINET_SECRET_KEY": "22" * 32}
    kb = bootstrap.build(settings.model_copy(update={"database_url": url, "secret_key": "22" * 32}))
    upgrade(kb.store.engine)
    seed(kb, "demo-password-1")
    with kb.store.write() as db:  # two more events, so there is a newest one to drop
        from kabinet.audit.events import EventType, Meta, record

        account = db.scalars(select(Account)).one()
        for _ in range(2):
            record(db, account, EventType.TEST_NOTIFICATION, at=kb.clock.now(), meta=Meta())
    intact = kabinet("audit", "verify", env=env)
    assert intact.returncode == 0 and "every history chain is intact" in intact.stdout, intact.stderr

    with kb.store.write() as db:
        db.execute(delete(Event).where(Event.seq == 3))
    dropped = kabinet("audit", "verify", env=env)
    assert dropped.returncode == 1 and "head (newest missing)" in dropped.stdout

    with kb.store.write() as db:  # re-forge the chain with a plain hash, as a thief without the key would
        event = db.scalars(select(Event).where(Event.seq == 2)).one()
        body = [event.seq, event.at.isoformat(), event.actor, event.actor_id, event.type, {"forged": True},
                event.ip, event.user_agent, event.prev_hash]
        forged = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        db.execute(update(Event).where(Event.id == event.id).values(details={"forged": True}, hash=forged))
        db.execute(update(Account).values(event_head=forged, event_seq=2))
    forged_run = kabinet("audit", "verify", env=env)
    assert forged_run.returncode == 1 and "at event 2" in forged_run.stdout
    kb.store.dispose()


def test_client_add_and_keys_rotate(tmp_path):
    from kabinet.store.models import OidcClient, SigningKey

    env = {"KABINET_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "KABINET_DATA_DIR": str(tmp_path)}
    added = kabinet("client", "add", "Запись к врачу", "--redirect-uri", "https://doctor.example/cb",
                    "--require", "verified_email", env=env)
    assert added.returncode == 0, added.stderr
    lines = dict(line.split("=", 1) for line in added.stdout.split())
    assert set(lines) == {"client_id", "client_secret"} and len(lines["client_secret"]) >= 40
    public = kabinet("client", "add", "App", "--redirect-uri", "http://127.0.0.1:8765/cb", "--public", env=env)
    assert public.returncode == 0 and "client_secret" not in public.stdout
    refused = kabinet("client", "add", "Bad", "--redirect-uri", "http://doctor.example/cb", env=env)
    assert refused.returncode == 2 and "refused" in refused.stderr  # plain http only on loopback
    first, second = kabinet("keys", "rotate", env=env), kabinet("keys", "rotate", env=env)
    assert first.returncode == second.returncode == 0 and first.stdout != second.stdout
    store = Store.from_url(env["KABINET_DATABASE_URL"])
    with store.read() as db:
        client = db.get_one(OidcClient, lines["client_id"])
        assert client.requires == ["verified_email"] and client.secret_hash != lines["client_secret"]
        rows = list(db.scalars(select(SigningKey)))
        assert len(rows) == 2 and sum(r.retired_at is None for r in rows) == 1
        assert all("BEGIN" not in r.private_sealed for r in rows)  # sealed at rest, never plain PEM
    store.dispose()


def test_client_add_with_par_required_events_and_logout_options(tmp_path):
    """Issue 23: the options a service's registration takes for PAR, its event stream and the two logouts."""
    from kabinet.store.models import OidcClient

    env = {"KABINET_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "KABINET_DATA_DIR": str(tmp_path)}
    added = kabinet("client", "add", "Налоги", "--redirect-uri", "https://tax.example/cb", "--require-par",
                    "--events-uri", "https://tax.example/events",
                    "--post-logout-redirect-uri", "https://tax.example/bye",
                    "--post-logout-redirect-uri", "https://tax.example/bye2",
                    "--backchannel-logout-uri", "https://tax.example/logout", env=env)
    assert added.returncode == 0, added.stderr
    plain = kabinet("client", "add", "Запись", "--redirect-uri", "https://doctor.example/cb", env=env)
    refused = kabinet("client", "add", "Bad", "--redirect-uri", "https://tax.example/cb",
                      "--backchannel-logout-uri", "http://tax.example/logout", env=env)
    assert refused.returncode == 2 and "backchannel_logout_uri" in refused.stderr  # plain http only on loopback
    assert "--require-par" in kabinet("client", "add", "--help", env=env).stdout
    store = Store.from_url(env["KABINET_DATABASE_URL"])
    with store.read() as db:
        client = db.get_one(OidcClient, dict(line.split("=", 1) for line in added.stdout.split())["client_id"])
        assert client.require_par is True and client.events_uri == "https://tax.example/events"
        assert client.post_logout_redirect_uris == ["https://tax.example/bye", "https://tax.example/bye2"]
        assert client.backchannel_logout_uri == "https://tax.example/logout" and client.stream_status == "enabled"
        other = db.get_one(OidcClient, dict(line.split("=", 1) for line in plain.stdout.split())["client_id"])
        assert other.require_par is False and other.backchannel_logout_uri is None
    store.dispose()


def test_a_newcomer_reads_the_help_and_a_quiet_demo(tmp_path):
    """Issue 26.10: the help names KABINET_DATA_DIR; the demo's first screen is its banner, not Alembic's lines;
    the README's link to the contract works in a clone."""
    import signal
    import socket
    import time
    from pathlib import Path

    helped = kabinet("--help", env={"COLUMNS": "200"})
    assert helped.returncode == 0 and "KABINET_DATA_DIR" in helped.stdout
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "demo.log"
    with out.open("wb") as sink:
        demo = subprocess.Popen([sys.executable, "-m", "kabinet.cli", "demo", "--port", str(port)],
                                env={**os.environ, "KABINET_DATA_DIR": str(tmp_path)}, stdout=sink,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while "Kabinet demo:" not in out.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        printed = out.read_text()
        assert "Kabinet demo:" in printed, printed[-2000:]
        assert "alembic" not in printed.lower(), printed[:2000]
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(20)
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    assert "../shared/" not in readme and "(docs/API.md)" in readme and (root / "docs" / "API.md").is_file()
