"""Cooling-off and the trusted person, as pure rules over times.

Why these rules: a thief who takes over one channel — a reissued number, a mailbox, a signed-in browser — moves
fast: adds a contact of their own, removes the citizen's, swaps the trusted person, recovers. Each rule below
makes one of those moves wait long enough for the citizen (told on every channel) or the trusted person to stop
it. Nothing runs on a timer: every check compares stored times with the clock, so a restart loses no wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

ADULT_YEARS = 18


@dataclass(frozen=True)
class Added:
    """When a contact became usable, and what vouches for it."""

    verified_at: datetime | None
    account_created_at: datetime
    vouched_at: datetime | None = None


def is_new(contact: Added, now: datetime, window: timedelta) -> bool:
    """A contact verified within ``window`` that came *after* the account: it cannot recover the account nor
    confirm removing an older contact. The one a citizen registered with came with the account (a brand-new
    account has nothing older to protect), and one an operator confirmed at a service centre, document in hand,
    is vouched for."""
    if contact.verified_at is None or contact.vouched_at is not None:
        return False
    return contact.verified_at > contact.account_created_at and now - contact.verified_at < window


def usable_from(contact: Added, window: timedelta) -> datetime | None:
    """When a new contact stops being new (for the message that says how long to wait)."""
    return contact.verified_at + window if contact.verified_at else None


def may_confirm_removal(confirmer: Added, target: Added, now: datetime, window: timedelta) -> bool:
    """A new contact confirms removing only a contact at least as new as itself: a thief's fresh number cannot
    unlink the citizen's old ones, yet a citizen who added two numbers today can still drop the wrong one."""
    if not is_new(confirmer, now, window):
        return True
    assert confirmer.verified_at is not None
    return target.verified_at is not None and target.verified_at >= confirmer.verified_at


@dataclass(frozen=True)
class Link:
    """A trusted-person link's times: it counts ("in force") from ``effective_at`` until ``ends_at``."""

    state: str  # invited | active | declined | cancelled
    effective_at: datetime | None
    ends_at: datetime | None


def in_force(link: Link, now: datetime) -> bool:
    return (link.state == "active" and link.effective_at is not None and link.effective_at <= now
            and (link.ends_at is None or now < link.ends_at))


def coming(link: Link, now: datetime) -> bool:
    """Accepted as a replacement, waiting out the cooling-off before it counts."""
    return link.state == "active" and link.effective_at is not None and now < link.effective_at


def is_adult(birth_date: date | None, today: date) -> bool:
    """18 or older by the birth date on record; no date on record is not proof of age."""
    if birth_date is None:
        return False
    years = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
    return years >= ADULT_YEARS


def recovery_wait(proofs: int, *, vouched: bool, now: datetime, window: timedelta) -> datetime | None:
    """Until when a recovery is held: one proof waits ``window`` (every channel told, with a cancel link);
    two independent proofs, or a phone an operator set at a service centre, wait for nothing."""
    return None if proofs >= 2 or vouched else now + window
