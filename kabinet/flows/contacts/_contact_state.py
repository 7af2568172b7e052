"""What happens to contacts when one is verified, made primary or removed — shared by every contact flow
so the rules of DESIGN.md §4 (one primary per kind, defaults of a new contact, Change swaps) live once."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.domain.errors import ContactAlreadyYours
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Contact


def mark_verified(db: Session, contact: Contact, now: datetime) -> Contact | None:
    """Verify ``contact``; when it is the new value of a Change, retire the old one and hand over its
    roles. Returns the retired contact, if any."""
    contact.verified_at = contact.last_confirmed_at = now
    contact.bounced_at = None  # a link or code that came back proves letters arrive now
    contact.sign_in = contact.recovery = True
    others = [c for c in present_contacts(db, contact.account_id) if c.id != contact.id and c.kind == contact.kind]
    old = next((c for c in others if c.id == contact.replaces_id), None)
    if old is not None:
        contact.is_primary, contact.sign_in, contact.recovery = old.is_primary, old.sign_in, old.recovery
        retire(old, now)
    elif not any(c.is_primary for c in others):
        contact.is_primary = True  # the first verified email (phone) becomes the primary one
    return old


def retire(contact: Contact, now: datetime) -> None:
    """Soft-remove: the row stays for history (S19) but can never sign in, receive a code or recover."""
    contact.removed_at = now
    contact.is_primary = False


def make_primary(db: Session, contact: Contact) -> Contact | None:
    """Make ``contact`` the primary of its kind; returns the one that was primary before."""
    before = None
    for other in present_contacts(db, contact.account_id):
        if other.kind == contact.kind and other.is_primary and other.id != contact.id:
            other.is_primary = False
            before = other
    contact.is_primary = True
    return before


def pending_contact(db: Session, account_id: uuid.UUID, *, kind: str, value: str, display: str, now: datetime,
                    replaces: Contact | None) -> Contact:
    """The account's own unverified contact with this value (adding it again resends), or a new one; one that
    is already verified here is refused."""
    mine = next((c for c in present_contacts(db, account_id) if c.kind == kind and c.value == value), None)
    if mine is not None and mine.verified_at is not None:
        raise ContactAlreadyYours(field="value")
    contact = mine or Contact(id=uuid.uuid4(), account_id=account_id, kind=kind, value=value, display=display,
                              created_at=now)
    contact.replaces_id = replaces.id if replaces else contact.replaces_id
    db.add(contact)
    return contact
