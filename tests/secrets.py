"""Reading a code or link the way the worker would, from the sealed outbox row (for tests that drive flows
directly, without the HTTP layer or a delivery)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from kabinet.delivery.outbox import unseal
from kabinet.store.models import Challenge, Outbox


def code_of(kb, challenge_id: str) -> str:
    with kb.store.read() as db:
        ch = db.get_one(Challenge, uuid.UUID(challenge_id))
        row = db.scalars(select(Outbox).where(Outbox.destination == ch.destination, Outbox.template == "code",
                                              Outbox.contact_id == ch.contact_id)
                         .order_by(Outbox.id.desc()).limit(1)).one()
        return unseal(row.data, kb.outbox_sealer)["code"]


def secret_for_contact(kb, contact_id: uuid.UUID, template: str, key: str) -> str | None:
    with kb.store.read() as db:
        row = db.scalars(select(Outbox).where(Outbox.contact_id == contact_id, Outbox.template == template)
                         .order_by(Outbox.id.desc()).limit(1)).first()
        return unseal(row.data, kb.outbox_sealer).get(key) if row else None
