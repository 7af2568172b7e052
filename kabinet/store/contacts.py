"""Queries on contacts. Every one is an indexed lookup by account or by (kind, value); none loads more than one
account's contacts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kabinet.domain.errors import ContactNotFound, ContactTaken
from kabinet.domain.ids import Id, parse_id
from kabinet.store.db import lock_value
from kabinet.store.models import Contact, Outbox


def present_contacts(db: Session, account_id: uuid.UUID) -> list[Contact]:
    """The account's contacts that are not removed, oldest first."""
    return list(db.scalars(
        select(Contact).where(Contact.account_id == account_id, Contact.removed_at.is_(None))
        .order_by(Contact.created_at, Contact.id)
    ))


def all_contacts(db: Session, account_id: uuid.UUID) -> list[Contact]:
    """Removed ones too (the export)."""
    return list(db.scalars(select(Contact).where(Contact.account_id == account_id).order_by(Contact.created_at)))


def own_contact(db: Session, account_id: uuid.UUID, contact_id: Id) -> Contact:
    """A present contact of this account; anyone else's id is simply "not found" (nothing revealed)."""
    contact = db.get(Contact, parse_id(contact_id, ContactNotFound))
    if contact is None or contact.account_id != account_id or contact.removed_at is not None:
        raise ContactNotFound()
    return contact


def verified_owner(db: Session, kind: str, value: str) -> Contact | None:
    """The verified, present contact with this value, on whichever account holds it."""
    return db.scalars(select(Contact).where(
        Contact.kind == kind, Contact.value == value, Contact.verified_at.is_not(None), Contact.removed_at.is_(None),
    )).first()


def claim_value(db: Session, kind: str, value: str, account_id: uuid.UUID | None) -> None:
    """About to verify ``value`` for this account (``None``: an account about to be made): take the value's lock
    (any account verifying it queues behind us) and refuse when another account holds it verified by now
    (rule: a verified contact has one owner)."""
    lock_value(db, kind, value)
    owner = verified_owner(db, kind, value)
    if owner is not None and owner.account_id != account_id:
        raise ContactTaken()


def last_deliveries(db: Session, contact_ids: list[uuid.UUID]) -> dict[uuid.UUID, Outbox]:
    """The newest outbox row of each contact, in one query whatever their number."""
    if not contact_ids:
        return {}
    latest = select(func.max(Outbox.id)).where(Outbox.contact_id.in_(contact_ids)).group_by(Outbox.contact_id)
    return {row.contact_id: row for row in db.scalars(select(Outbox).where(Outbox.id.in_(latest)))}


def mark_alive(db: Session, contact_id: uuid.UUID, now: datetime) -> None:
    """The citizen proved they hold this phone or mailbox now (a code to it was confirmed)."""
    db.execute(update(Contact).where(Contact.id == contact_id).values(last_confirmed_at=now))
