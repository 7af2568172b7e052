"""Queries on accounts: by login (through its one canonical spelling) and by SNILS."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from kabinet.domain.logins import parse_login
from kabinet.store.contacts import verified_owner
from kabinet.store.models import Account


def by_snils(db: Session, snils: str) -> Account | None:
    return db.scalars(select(Account).where(Account.snils == snils)).first()


def id_by_snils(db: Session, snils: str) -> uuid.UUID | None:
    return db.scalar(select(Account.id).where(Account.snils == snils))


def snils_elsewhere(db: Session, snils: str, account_id: uuid.UUID) -> bool:
    return db.scalar(select(Account.id).where(Account.snils == snils, Account.id != account_id)) is not None


def find_by_login(db: Session, login: str) -> Account | None:
    """Phone, email or SNILS, as typed; ``None`` both for "no such account" and "not a login at all". A phone or
    address signs in only when it is verified and used for sign-in."""
    parsed = parse_login(login)
    if parsed is None:
        return None
    kind, value = parsed
    if kind == "snils":
        return by_snils(db, value)
    contact = verified_owner(db, kind, value)
    if contact is None or not contact.sign_in:
        return None
    return db.get(Account, contact.account_id)
