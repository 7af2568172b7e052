"""Masked forms for showing a destination to someone who may not own it, and for logs (152-FZ)."""

from __future__ import annotations

from functools import lru_cache

from kabinet.domain.email import parse_email
from kabinet.domain.phone import Phone


def mask_destination(channel: str, destination: str | None) -> str | None:
    if destination is None:
        return None
    if channel == "sms":
        return Phone(destination).masked
    return _masked_email(destination)


@lru_cache(maxsize=1024)
def _masked_email(address: str) -> str:
    """Memoised: every change masks the account's addresses for its notices and history (ten a contact cycle), and
    a full parse by email-validator cost more than the rest of the masking. A bounded cache of pure results."""
    return parse_email(address).masked


def mask_name(full_name: str) -> str:
    """"Иванов Иван Иванович" → "Иванов И. И.": enough to recognise one's own account, little to a stranger."""
    surname, *rest = full_name.split()
    return " ".join([surname, *(f"{part[0]}." for part in rest)])


def mask_name_strictly(full_name: str) -> str:
    """"Иванов Иван Иванович" → "И*** И. И.": for a mailbox that may have a new owner by now (a removed address
    is told it was unlinked; its reader learns the holder's initials, not their surname)."""
    surname, *rest = full_name.split()
    return " ".join([f"{surname[0]}***", *(f"{part[0]}." for part in rest)])
