"""Reading an account and its contacts inside a flow's transaction (shared by every flow)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from kabinet.domain.contact_book import Facts
from kabinet.domain.email import parse_email
from kabinet.domain.errors import ContactNotFound, ContactTaken, InvalidInput, NotSignedIn
from kabinet.domain.phone import parse_phone
from kabinet.domain.snils import _FORMAT as SNILS_FORMAT
from kabinet.domain.snils import parse_snils
from kabinet.security.sessions import require_step_up
from kabinet.store.db import lock_account, lock_value
from kabinet.store.models import Account, Contact
from kabinet.store.models import Session as UserSession

if TYPE_CHECKING:
    from kabinet.flows.shared.context import FlowContext


def present_contacts(db: Session, account_id: uuid.UUID) -> list[Contact]:
    return list(db.scalars(
        select(Contact).where(Contact.account_id == account_id, Contact.removed_at.is_(None))
        .order_by(Contact.created_at, Contact.id)
    ))


def facts(contact: Contact) -> Facts:
    return Facts(id=contact.id, kind=contact.kind, verified=contact.verified_at is not None,
                 primary=contact.is_primary, sign_in=contact.sign_in, recovery=contact.recovery)


def claim_value(db: Session, kind: str, value: str, account_id: uuid.UUID | None) -> None:
    """About to verify ``value`` for this account (``None``: an account about to be made): take the value's lock
    (any account verifying it queues behind us) and refuse when another account holds it verified by now
    (rule: a verified contact has one owner)."""
    lock_value(db, kind, value)
    owner = verified_owner(db, kind, value)
    if owner is not None and owner.account_id != account_id:
        raise ContactTaken()


def verified_owner(db: Session, kind: str, value: str) -> Contact | None:
    """The verified, present contact with this value, on whichever account holds it."""
    return db.scalars(select(Contact).where(
        Contact.kind == kind, Contact.value == value, Contact.verified_at.is_not(None), Contact.removed_at.is_(None),
    )).first()


def parse_login(login: str) -> tuple[str, str] | None:
    """A login as typed → ``("email" | "snils" | "phone", normalised value)``; ``None`` when it is none of them.
    Every lookup and every per-login count goes through here, so all spellings of one login are one login."""
    login = login.strip()
    try:
        if "@" in login:
            return "email", parse_email(login).normalized
        if _looks_like_snils(login):
            return "snils", parse_snils(login).digits
        return "phone", parse_phone(login, mobile_only=False).e164
    except InvalidInput:
        return None


def find_by_login(db: Session, login: str) -> Account | None:
    """Phone, email or SNILS, as typed; ``None`` both for "no such account" and "not a login at all"."""
    parsed = parse_login(login)
    if parsed is None:
        return None
    kind, value = parsed
    if kind == "snils":
        return db.scalars(select(Account).where(Account.snils == value)).first()
    return _by_contact(db, kind, value)


def recovery_target(db: Session, login: str) -> tuple[Account, Contact] | None:
    """Where a recovery's first code goes: the verified recovery contact the login names, or for a SNILS the
    account's primary recovery phone (else another recovery phone, else a recovery email)."""
    parsed = parse_login(login)
    if parsed is None:
        return None
    kind, value = parsed
    if kind == "snils":
        account = db.scalars(select(Account).where(Account.snils == value)).first()
        usable = [c for c in present_contacts(db, account.id) if c.verified_at and c.recovery] if account else []
        return (account, rank_for_codes(usable)[0]) if account and usable else None
    contact = verified_owner(db, kind, value)
    if contact is None or not contact.recovery:
        return None
    return db.get_one(Account, contact.account_id), contact


def canonical_login(login: str) -> str:
    """One spelling per login, for counting tries on logins that match no account."""
    parsed = parse_login(login)
    return f"{parsed[0]}:{parsed[1]}" if parsed else "raw:" + " ".join(login.lower().split())[:320]


def rank_for_codes(contacts: list[Contact]) -> list[Contact]:
    """Where a code goes first: phones before addresses, the primary one before the others (S9)."""
    return sorted(contacts, key=lambda c: (c.kind != "phone", not c.is_primary))


def _looks_like_snils(login: str) -> bool:
    """SNILS when written as one (``112-233-445 95``); eleven bare digits are a phone if they start
    like a Russian one (7…, 8…), else a SNILS."""
    if not SNILS_FORMAT.match(login):
        return False
    return not login.isdigit() or not login.startswith(("7", "8"))


def _by_contact(db: Session, kind: str, value: str) -> Account | None:
    contact = verified_owner(db, kind, value)
    if contact is None or not contact.sign_in:
        return None
    return db.get(Account, contact.account_id)


def second_factor(db: Session, account: Account) -> tuple[str, Contact | None]:
    """Where a sign-in or step-up code goes: the TOTP app, else the primary phone, else any verified
    phone, else the primary email (DESIGN.md S1, S9)."""
    if account.totp_secret:
        return "totp", None
    ranked = rank_for_codes([c for c in present_contacts(db, account.id) if c.verified_at is not None])
    if not ranked:
        return "none", None
    best = ranked[0]
    return ("sms" if best.kind == "phone" else "email"), best


def load_account(ctx: FlowContext, account_id: uuid.UUID) -> Account:
    """The account of a live session (reads only)."""
    with ctx.store.read() as db:
        return db.get_one(Account, account_id)


def own_contact(db: Session, account_id: uuid.UUID, contact_id: str) -> Contact:
    """A present contact of this account; anyone else's id is simply "not found" (nothing revealed)."""
    try:
        contact = db.get(Contact, uuid.UUID(contact_id))
    except ValueError:
        contact = None
    if contact is None or contact.account_id != account_id or contact.removed_at is not None:
        raise ContactNotFound()
    return contact


@contextmanager
def account_step(ctx: FlowContext, session: UserSession, *, fresh_factor: bool = False
                 ) -> Iterator[tuple[Session, Account, datetime]]:
    """One self-service step: (optionally) demand a recent second factor, open the write transaction and
    lock the citizen's account row first — every guard is then checked against state nobody else can change
    until this step commits (DESIGN.md §4 rule 1)."""
    now = ctx.clock.now()
    if fresh_factor:
        require_step_up(session, now)
    with ctx.store.write() as db:
        account = lock_account(db, session.account_id)
        if account is None:
            raise NotSignedIn()
        yield db, account, now
