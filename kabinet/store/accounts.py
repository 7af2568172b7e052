"""Queries on accounts: by login (through its one canonical spelling) and by SNILS."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from kabinet.domain.logins import parse_login
from kabinet.store.models import Account, Contact


def by_snils(db: Session, snils: str) -> Account | None:
    return db.scalars(select(Account).where(Account.snils == snils)).first()


def id_by_snils(db: Session, snils: str) -> uuid.UUID | None:
    return db.scalar(select(Account.id).where(Account.snils == snils))


def snils_elsewhere(db: Session, snils: str, account_id: uuid.UUID) -> bool:
    return db.scalar(select(Account.id).where(Account.snils == snils, Account.id != account_id)) is not None


class Login(NamedTuple):
    """What the password step needs of the account a login names: which one, and its hash."""

    account_id: uuid.UUID
    password_hash: str | None


_BY_CONTACT = (select(Contact.account_id, Account.password_hash, Contact.sign_in)
               .join(Account, Account.id == Contact.account_id)
               .where(Contact.kind == bindparam("kind"), Contact.value == bindparam("value"),
                      Contact.verified_at.is_not(None), Contact.removed_at.is_(None)).limit(1))
_BY_SNILS = select(Account.id, Account.password_hash).where(Account.snils == bindparam("snils")).limit(1)


def find_by_login(conn: Connection, login: str) -> Login | None:
    """Phone, email or SNILS, as typed; ``None`` both for "no such account" and "not a login at all". A phone or
    address signs in only when it is verified and used for sign-in. One statement on a plain connection: this runs
    before every password check, and the account is read again under its lock if the password is right."""
    parsed = parse_login(login)
    if parsed is None:
        return None
    kind, value = parsed
    if kind == "snils":
        found = conn.execute(_BY_SNILS, {"snils": value}).first()
        return Login(found[0], found[1]) if found is not None else None
    row = conn.execute(_BY_CONTACT, {"kind": kind, "value": value}).first()
    return Login(row[0], row[1]) if row is not None and row[2] else None
