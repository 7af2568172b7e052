"""Queries on contacts. Every one is an indexed lookup by account or by (kind, value); none loads more than one
account's contacts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, event, func, select, update
from sqlalchemy.orm import Session, aliased

from kabinet.domain.errors import ContactNotFound, ContactTaken
from kabinet.domain.ids import Id, parse_id
from kabinet.store.db import CONTACT_BOOKS, lock_value
from kabinet.store.models import Contact, Outbox

# Built once (see kabinet.store.db): the statements every step runs.
_BOOK = (select(Contact).where(Contact.account_id == bindparam("account"), Contact.removed_at.is_(None))
         .order_by(Contact.created_at, Contact.id))
_VERIFIED = select(Contact).where(Contact.kind == bindparam("kind"), Contact.value == bindparam("value"),
                                  Contact.verified_at.is_not(None), Contact.removed_at.is_(None))
_FATE = aliased(Outbox)
_LISTED = (select(*Contact.__table__.c, _FATE.state.label("fate_state"), _FATE.sent_at.label("fate_sent_at"),
                  _FATE.created_at.label("fate_created_at"), _FATE.attempts.label("fate_attempts"),
                  _FATE.last_error.label("fate_error"), _FATE.next_attempt_at.label("fate_next_attempt_at"))
           .outerjoin(_FATE, _FATE.id == select(func.max(Outbox.id)).where(Outbox.contact_id == Contact.id)
                      .correlate(Contact).scalar_subquery())
           .where(Contact.account_id == bindparam("account"), Contact.removed_at.is_(None))
           .order_by(Contact.created_at, Contact.id))


def present_contacts(db: Session, account_id: uuid.UUID) -> list[Contact]:
    """The account's contacts that are not removed, oldest first.

    Read once per transaction (a step re-read the list 2–4 times — the guard, the change, the notices):
    later calls return the same objects less those the step has removed since, plus those it has added (see
    ``_join_book``). Taking the account's lock forgets the book, so what a step decides on is read under it."""
    books = db.info.setdefault(CONTACT_BOOKS, {})
    book = books.get(account_id)
    if book is None:
        book = books[account_id] = list(db.scalars(_BOOK, {"account": account_id}))
    return [c for c in book if c.removed_at is None]


@event.listens_for(Session, "transient_to_pending")
def _join_book(session: Session, instance: object) -> None:
    """A contact added in a transaction joins its account's book if the book was read (it is the newest)."""
    if isinstance(instance, Contact):
        book = session.info.get(CONTACT_BOOKS, {}).get(instance.account_id)
        if book is not None and instance not in book:
            book.append(instance)


def listed(db: Session | Connection, account_id: uuid.UUID) -> Sequence[Row[Any]]:
    """The same contacts as plain rows, each with what its newest letter or SMS came to (``fate_*``; the newest by
    the (contact, id) index), in one statement: what the contact list shows, without ORM objects to build and
    track (a signed-in read was three statements and a third of its cost in the ORM)."""
    return db.execute(_LISTED, {"account": account_id}).all()


def all_contacts(db: Session, account_id: uuid.UUID) -> list[Contact]:
    """Removed ones too (the export)."""
    return list(db.scalars(select(Contact).where(Contact.account_id == account_id).order_by(Contact.created_at)))


def own_contact(db: Session, account_id: uuid.UUID, contact_id: Id | None) -> Contact:
    """A present contact of this account; anyone else's id (or none) is simply "not found" (nothing revealed)."""
    if contact_id is None:
        raise ContactNotFound()
    wanted = parse_id(contact_id, ContactNotFound)
    contact = next((c for c in present_contacts(db, account_id) if c.id == wanted), None)  # the step reads them anyway
    if contact is None:
        raise ContactNotFound()
    return contact


def verified_owner(db: Session, kind: str, value: str) -> Contact | None:
    """The verified, present contact with this value, on whichever account holds it."""
    return db.scalars(_VERIFIED, {"kind": kind, "value": value}).first()


def claim_value(db: Session, kind: str, value: str, account_id: uuid.UUID | None) -> None:
    """About to verify ``value`` for this account (``None``: an account about to be made): take the value's lock
    (any account verifying it queues behind us) and refuse when another account holds it verified by now
    (rule: a verified contact has one owner)."""
    lock_value(db, kind, value)
    owner = verified_owner(db, kind, value)
    if owner is not None and owner.account_id != account_id:
        raise ContactTaken()


_CONTACTS = cast("Table", Contact.__table__)
_ALIVE = update(_CONTACTS).where(_CONTACTS.c.id == bindparam("contact")).values(last_confirmed_at=bindparam("now"))


def mark_alive(db: Session, contact_id: uuid.UUID, now: datetime) -> None:
    """The citizen proved they hold this phone or mailbox now (a code to it was confirmed). A plain statement on the
    step's connection (every confirmed code runs it): no ORM bulk update, which would first search the session's
    objects to keep them in step — none that the step reads after this needs the new moment."""
    db.connection().execute(_ALIVE, {"contact": contact_id, "now": now})
