"""The transactional outbox: a message is a row written in the same transaction as the change it
reports, so a rolled-back change sends nothing and a committed one is never lost. Secrets inside a
message (a code, a link token) are sealed while they wait and wiped once sent."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from kabinet.logs import request_id
from kabinet.security.crypto import Sealer
from kabinet.store.db import insert_row
from kabinet.store.models import Outbox
from kabinet.store.wakeups import notify_workers


def enqueue(
    db: Session,
    *,
    now: datetime,
    channel: str,
    destination: str,
    template: str,
    locale: str,
    data: dict[str, Any] | None = None,
    secret: dict[str, str] | None = None,
    sealer: Sealer | None = None,
    account_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    delay: timedelta | None = None,
    held: bool = False,
) -> int:
    """Queue one message in the step's transaction (a plain INSERT); its id. ``delay``: due that much
    later (a notice waiting for the next change to join it); ``held``: kept, not sent, until someone releases it
    (a relying service's paused event stream, SSF 1.0). A message due now wakes the workers when the step
    commits: ``kabinet worker`` processes by NOTIFY (PostgreSQL; sent only if it commits), the in-process one by
    ``Session.info["outbox"]`` (bootstrap's after-commit hook)."""
    payload = dict(data or {})
    if secret:
        assert sealer is not None, "a secret needs a sealer"
        payload["_sealed"] = {k: sealer.seal(v) for k, v in secret.items()}
    row_id = insert_row(db, Outbox, {
        "channel": channel, "destination": destination, "template": template, "locale": locale, "data": payload,
        "account_id": account_id, "contact_id": contact_id, "next_attempt_at": now + delay if delay else now,
        "created_at": now, "idempotency_key": secrets.token_hex(16), "request_id": request_id(),
        "state": "held" if held else "queued", "attempts": 0})
    if not delay and not held:
        # Only a message due now wakes them: a notice that waits to merge is found by the next poll, and waking
        # for it would only run an empty claim (a write transaction) against the requests' writes.
        wake(db)
    return int(row_id)


def wake(db: Session) -> None:
    """The workers woken when this transaction commits (once per transaction, whatever it queued)."""
    if not db.info.get("outbox"):
        notify_workers(db.connection())
        db.info["outbox"] = True


def unseal(data: dict[str, Any], sealer: Sealer) -> dict[str, Any]:
    opened = {k: v for k, v in data.items() if k != "_sealed"}
    opened.update({k: sealer.open(v) for k, v in data.get("_sealed", {}).items()})
    return opened
