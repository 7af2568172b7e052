"""The transactional outbox: a message is a row written in the same transaction as the change it
reports, so a rolled-back change sends nothing and a committed one is never lost. Secrets inside a
message (a code, a link token) are sealed while they wait and wiped once sent."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kabinet.logs import request_id
from kabinet.security.crypto import Sealer
from kabinet.store.models import Outbox


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
) -> Outbox:
    payload = dict(data or {})
    if secret:
        assert sealer is not None, "a secret needs a sealer"
        payload["_sealed"] = {k: sealer.seal(v) for k, v in secret.items()}
    row = Outbox(
        channel=channel, destination=destination, template=template, locale=locale, data=payload,
        account_id=account_id, contact_id=contact_id, next_attempt_at=now, created_at=now,
        idempotency_key=secrets.token_hex(16), request_id=request_id(),
    )
    db.add(row)
    return row


def unseal(data: dict[str, Any], sealer: Sealer) -> dict[str, Any]:
    opened = {k: v for k, v in data.items() if k != "_sealed"}
    opened.update({k: sealer.open(v) for k, v in data.get("_sealed", {}).items()})
    return opened
