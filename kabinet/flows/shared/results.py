"""What flows answer: small frozen dataclasses, typed (UUIDs, datetimes), one place so the API and the pages
agree. The web edge wraps them in the envelopes of API.md and documents them in OpenAPI from these very types
(``web/api/shapes.py``), so the documented answer and the real one cannot drift apart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from kabinet.domain.email import PROVIDER_TITLES, provider_of
from kabinet.domain.masks import mask_destination
from kabinet.policy import RESEND_AFTER
from kabinet.store.models import Account, Challenge, Contact


@dataclass(frozen=True)
class AccountView:
    id: uuid.UUID
    full_name: str
    level: str
    locale: str


@dataclass(frozen=True)
class DeliveryView:
    """The fate of the last letter or SMS to a contact (API.md delivery states)."""

    state: str
    at: datetime
    attempts: int
    reason: str | None = None  # the receiving server's words, when it refused or bounced the letter
    retry_at: datetime | None = None  # for a letter being retried ("failed")


@dataclass(frozen=True)
class ContactView:
    id: uuid.UUID
    kind: str
    value: str
    provider: str | None
    verified: bool
    verified_at: datetime | None
    primary: bool
    sign_in: bool
    recovery: bool
    replaces: uuid.UUID | None
    last_delivery: DeliveryView | None
    bounced: bool = False  # letters here come back
    resend_after: datetime | None = None  # an unconfirmed contact's next letter or code may go from then
    sign_in_notices: bool = True  # told of sign-ins from new devices


@dataclass(frozen=True)
class ChallengeView:
    """API.md's challenge: where the code went (masked), until when, and when it can be sent again."""

    id: uuid.UUID
    purpose: str
    channel: str
    destination: str | None
    expires_at: datetime
    resend_after: datetime | None
    attempts_left: int


def account_view(account: Account) -> AccountView:
    return AccountView(id=account.id, full_name=account.full_name, level=account.level, locale=account.locale)


def contact_view(contact: Contact | Row[Any], resend_after: datetime | None = None,
                 fate: DeliveryView | None = None) -> ContactView:
    return ContactView(resend_after=resend_after,
        id=contact.id, kind=contact.kind, value=contact.display, provider=_provider(contact),
        verified=contact.verified_at is not None, verified_at=contact.verified_at, primary=contact.is_primary,
        sign_in=contact.sign_in, recovery=contact.recovery, replaces=contact.replaces_id,
        last_delivery=fate, bounced=contact.bounced_at is not None, sign_in_notices=contact.sign_in_notices,
    )


def challenge_view(ch: Challenge) -> ChallengeView:
    resend_at = ch.last_sent_at + RESEND_AFTER if ch.last_sent_at and ch.channel != "totp" else None
    return ChallengeView(id=ch.id, purpose=ch.purpose, channel=ch.channel,
                         destination=mask_destination(ch.channel, ch.destination), expires_at=ch.expires_at,
                         resend_after=resend_at, attempts_left=ch.attempts_left)


def _provider(contact: Contact | Row[Any]) -> str | None:
    """A known provider's name, else the domain itself — as people write it (почта.рф, not xn--80a1acny.xn--p1ai)."""
    if contact.kind != "email":
        return None
    domain = contact.value.rpartition("@")[2]
    key = provider_of(domain)
    if key in PROVIDER_TITLES:
        return PROVIDER_TITLES[key]
    try:
        return key.encode("ascii").decode("idna")
    except UnicodeError:
        return key


def fate_of(row: Row[Any]) -> DeliveryView | None:
    """What a contact's newest letter or SMS came to, from a row of ``kabinet.store.contacts.listed``."""
    state = row.fate_state
    if state is None:
        return None
    return DeliveryView(state=state, at=row.fate_sent_at or row.fate_created_at, attempts=row.fate_attempts,
                        reason=row.fate_error if state in ("rejected", "bounced", "complained") else None,
                        retry_at=row.fate_next_attempt_at if state == "failed" else None)


@dataclass(frozen=True)
class OperatorView:
    id: uuid.UUID
    login: str
    centre: str
    role: str  # operator | supervisor
    must_change_password: bool = False  # signed in with the one-time password: set one's own first


@dataclass(frozen=True)
class SignedIn:
    """A new session: registration and sign-in end here."""

    account: AccountView
    session_token: str


@dataclass(frozen=True)
class PendingContact:
    """A contact waiting for its proof; ``challenge`` is the SMS code a phone needs (an email gets a letter)."""

    contact: ContactView
    challenge: ChallengeView | None = None
