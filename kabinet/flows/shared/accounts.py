"""The account inside a step: the one helper every write step goes through (open the transaction, lock the
account row first), and what steps read about an account — its contacts as guard facts, where codes go."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.contact_book import Facts
from kabinet.domain.cooling import Added
from kabinet.domain.errors import NotSignedIn
from kabinet.domain.identity import Passport
from kabinet.domain.logins import parse_login
from kabinet.flows.shared.context import FlowContext
from kabinet.security.sessions import require_step_up
from kabinet.store.accounts import by_snils
from kabinet.store.contacts import present_contacts, verified_owner
from kabinet.store.db import lock_account
from kabinet.store.models import Account, Contact
from kabinet.store.models import Session as UserSession
from kabinet.texts import LOCALES

Owners = uuid.UUID | None | tuple[uuid.UUID, ...]
Owner = Owners | Callable[[Session], Owners]


@contextmanager
def write_step(ctx: FlowContext, owner: Owner) -> Iterator[tuple[Session, Account | None, datetime]]:
    """One write step: open the write transaction and lock the account row first — every guard is then checked
    against state nobody else can change until this step commits (DESIGN.md §4 rule 1), and every step takes
    its locks in one order (accounts, then the challenge, recovery, link or approval row), so two steps never
    deadlock. ``owner`` is the account's id, or a lookup run inside the transaction (the owner of a code or a
    link); ``None`` for a step with no account yet (registration).

    A step that touches two accounts (a trusted person approving) names both, the acting one first:
    both rows are locked in id order, whoever acts, so two people acting on each other's requests at the same
    moment queue instead of deadlocking. The first is yielded; the others are in the session, locked."""
    now = ctx.clock.now()
    with ctx.store.write() as db:
        found = owner(db) if callable(owner) else owner
        ids = found if isinstance(found, tuple) else (found,) if found is not None else ()
        locked = {account_id: lock_account(db, account_id) for account_id in sorted(set(ids))}
        yield db, locked.get(ids[0]) if ids else None, now


@contextmanager
def account_step(ctx: FlowContext, session: UserSession, *, fresh_factor: bool = False
                 ) -> Iterator[tuple[Session, Account, datetime]]:
    """A signed-in citizen's step: (optionally) demand a recent second factor, then ``write_step``."""
    if fresh_factor:
        require_step_up(session, ctx.clock.now())
    with write_step(ctx, session.account_id) as (db, account, now):
        if account is None:
            raise NotSignedIn()
        yield db, account, now


def passport_matches(ctx: FlowContext, account: Account, passport: Passport) -> bool:
    """The passport is kept only as a keyed hash: compared, in constant time, never read back."""
    return hmac.compare_digest(account.passport_hash or "", ctx.hasher.digest("passport", passport.digits))


def load_account(ctx: FlowContext, account_id: uuid.UUID) -> Account:
    """The account of a live session (reads only)."""
    with ctx.store.read() as db:
        return db.get_one(Account, account_id)


def facts(contact: Contact) -> Facts:
    return Facts(id=contact.id, kind=contact.kind, verified=contact.verified_at is not None,
                 primary=contact.is_primary, sign_in=contact.sign_in, recovery=contact.recovery)


def added(account: Account, contact: Contact) -> Added:
    """What the cooling-off rules need about a contact, as ``facts`` is what the guards need."""
    return Added(verified_at=contact.verified_at, account_created_at=account.created_at,
                 vouched_at=contact.vouched_at)


def rank_for_codes(candidates: list[Contact]) -> list[Contact]:
    """Where a code goes first: phones before addresses, the primary one before the others (S9)."""
    return sorted(candidates, key=lambda c: (c.kind != "phone", not c.is_primary))


def second_factor(db: Session, account: Account) -> tuple[str, Contact | None]:
    """Where a sign-in or step-up code goes: the TOTP app, else the primary phone, else any verified
    phone, else the primary email (DESIGN.md S1, S9)."""
    if account.totp_secret:
        return "totp", None
    return code_contact(db, account)


def code_contact(db: Session, account: Account) -> tuple[str, Contact | None]:
    """Where a code is sent when the app is not at hand: the primary phone, else any verified phone, else the
    primary email; ``("none", None)`` when the account has none of them."""
    ranked = rank_for_codes([c for c in present_contacts(db, account.id) if c.verified_at is not None])
    if not ranked:
        return "none", None
    best = ranked[0]
    return ("sms" if best.kind == "phone" else "email"), best


def recovery_target(db: Session, login: str, *, old_enough: Callable[[Contact], bool] = lambda _c: True
                    ) -> tuple[Account, Contact] | None:
    """Where a recovery's first code goes: the verified recovery contact the login names, or for a SNILS the
    account's primary recovery phone (else another recovery phone, else a recovery email) — one that is
    ``old_enough`` before any that is not (a contact added in the cooling-off cannot recover)."""
    parsed = parse_login(login)
    if parsed is None:
        return None
    kind, value = parsed
    if kind == "snils":
        account = by_snils(db, value)
        usable = [c for c in present_contacts(db, account.id) if c.verified_at and c.recovery] if account else []
        ranked = sorted(rank_for_codes(usable), key=lambda c: not old_enough(c))
        return (account, ranked[0]) if account and ranked else None
    contact = verified_owner(db, kind, value)
    if contact is None or not contact.recovery:
        return None
    return db.get_one(Account, contact.account_id), contact


def set_language(db: Session, account: Account, locale: str, now: datetime, meta: Meta) -> None:
    """The account's language (every message is written in it), with a history line when it changes."""
    if locale in LOCALES and account.locale != locale:
        before, account.locale = account.locale, locale
        record(db, account, EventType.LANGUAGE_CHOSEN, at=now, meta=meta, before=before, after=locale)


def follow_language(db: Session, account: Account, meta: Meta, now: datetime) -> None:
    """Inside a step that holds the account (a sign-in): it takes the language the request asked for, if any."""
    if meta.chosen_locale is not None:
        set_language(db, account, meta.chosen_locale, now, meta)
