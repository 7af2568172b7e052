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
