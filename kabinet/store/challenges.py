"""Queries on challenges (codes and links): by id, by a link's keyed hash, by contact, by the session a passkey
answered for."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from kabinet.store.models import Challenge

_OWNER = select(Challenge.account_id, Challenge.payload).where(Challenge.id == bindparam("id"))  # every confirm


def owner(db: Session, challenge_id: uuid.UUID) -> uuid.UUID | tuple[uuid.UUID, ...] | None:
    """The account a challenge belongs to (to lock it first, before the challenge row); with the other account
    its step changes (``payload["for_account"]``: a trusted person's code approves another citizen's request)."""
    row = db.execute(_OWNER, {"id": challenge_id}).first()
    if row is None or row[0] is None:
        return None
    other = (row[1] or {}).get("for_account")
    return (row[0], uuid.UUID(other)) if other else row[0]


def by_link(db: Session, secret_hash: str, purpose: str, *, lock: bool = False) -> Challenge | None:
    """With ``lock``, the row locked and read afresh (the caller holds its account's lock already)."""
    query = select(Challenge).where(Challenge.secret_hash == secret_hash, Challenge.purpose == purpose)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.scalars(query).first()


def last_for_contact(db: Session, contact_id: uuid.UUID, purpose: str) -> Challenge | None:
    return db.scalars(select(Challenge).where(Challenge.contact_id == contact_id, Challenge.purpose == purpose)
                      .order_by(Challenge.created_at.desc()).limit(1)).first()


def use_up_open(db: Session, contact_id: uuid.UUID, purpose: str, now: datetime) -> None:
    """Earlier codes or links of this purpose for this contact stop working."""
    for old in db.scalars(select(Challenge).where(Challenge.contact_id == contact_id, Challenge.purpose == purpose,
                                                  Challenge.consumed_at.is_(None))):
        old.consumed_at = now


def passkey_factor(db: Session, session_id: uuid.UUID, at: datetime) -> str | None:
    """The id of the passkey whose answer gave this session its second factor at ``at``, if one did (the answered
    challenge keeps it: flows.shared.passkeys.bind_factor)."""
    payloads: Sequence[dict[str, Any]] = db.scalars(select(Challenge.payload).where(
        Challenge.session_id == session_id, Challenge.channel == "passkey", Challenge.consumed_at == at)).all()
    return next((p["passkey"] for p in payloads if p and p.get("passkey")), None)
