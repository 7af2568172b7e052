"""The rules that keep a citizen from locking themselves out, as pure functions over a snapshot of
the account's contacts (DESIGN.md §4, rules 1, 2 and 4).

Why pure: the same functions answer the checklist page, refuse a removal up front, and are checked
again inside the transaction that removes, with the account row locked, over a fresh snapshot.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about one present (not removed) contact."""

    id: uuid.UUID
    kind: str  # "email" | "phone"
    verified: bool
    primary: bool = False
    sign_in: bool = False
    recovery: bool = False


@dataclass(frozen=True)
class Check:
    id: str
    ok: bool
    blocking: bool = True
    fix: str | None = None
    variant: str = ""  # which words fit the situation: "only_one", "switch_on" …


def _others(book: Sequence[Facts], target: Facts) -> list[Facts]:
    return [c for c in book if c.id != target.id and c.verified]


def removal_checks(book: Sequence[Facts], target: Facts, *, has_totp: bool, has_passkey: bool = False) -> list[Check]:
    """The seed's preparation lines (S2, S4, S3) plus our own, in the order a citizen should read them. A passkey is
    a way to sign in of its own: with one, the last sign-in contact may go."""
    others = _others(book, target)
    same_kind = [c for c in others if c.kind == target.kind]
    serves = target.verified
    # A confirmed contact with sign-in (recovery) switched off: the fix is that setting, not a new contact.
    sign_in_off, recovery_off = bool(others) and not any(c.sign_in for c in others), \
        bool(others) and not any(c.recovery for c in others)
    return [
        Check("other_sign_in", not (serves and target.sign_in) or any(c.sign_in for c in others) or has_passkey,
              fix="sign_in_settings" if sign_in_off else "add_contact", variant="switch_on" if sign_in_off else ""),
        Check("other_recovery", not (serves and target.recovery) or any(c.recovery for c in others),
              fix="recovery_settings" if recovery_off else "add_contact", variant="" if recovery_off else "add"),
        Check("not_primary", not (target.primary and same_kind),
              fix=f"make_primary:{same_kind[0].id}" if same_kind else None,
              variant="only_one" if target.primary and not same_kind else ("" if target.primary else "not_primary")),
        Check("second_factor", has_totp or target.kind != "phone" or not serves
              or any(c.kind == "phone" for c in others), fix="add_phone"),
        Check("export", True, blocking=False, fix="export"),
    ]


def can_remove(book: Sequence[Facts], target: Facts, *, has_totp: bool, has_passkey: bool = False) -> bool:
    return nothing_blocks(removal_checks(book, target, has_totp=has_totp, has_passkey=has_passkey))


def nothing_blocks(checks: Sequence[Check]) -> bool:
    """Every blocking check passes (the export reminder never blocks)."""
    return all(c.ok for c in checks if c.blocking)


def confirmation_channel(book: Sequence[Facts], target: Facts | None, *, has_totp: bool) -> Facts | str | None:
    """Where the code confirming a change goes: the TOTP app, else a verified phone other than the
    target (the primary one first). ``None`` when there is no such place (rule 4)."""
    if has_totp:
        return "totp"
    phones = [c for c in book if c.kind == "phone" and c.verified and (target is None or c.id != target.id)]
    phones.sort(key=lambda c: not c.primary)
    return phones[0] if phones else None


def violations(book: Sequence[Facts], *, has_totp: bool, has_passkey: bool = False) -> list[str]:
    """Which rules of DESIGN.md §4 the book breaks; empty when all hold (used by property tests). Rule 1's "a way to
    sign in" is a verified sign-in contact or a passkey."""
    found = []
    verified = [c for c in book if c.verified]
    if not any(c.sign_in for c in verified) and not has_passkey:
        found.append("no_sign_in_contact")
    if not any(c.recovery for c in verified):
        found.append("no_recovery_channel")
    if not has_totp and not any(c.kind == "phone" for c in verified):
        found.append("no_second_factor")
    for kind in ("email", "phone"):
        if sum(c.primary for c in book if c.kind == kind) > 1:
            found.append(f"two_primary_{kind}s")
    if any(c.primary and not c.verified for c in book):
        found.append("unverified_primary")
    return found


# What each removal check says (English message ids; the catalogue translates them): when ok, when not.
CHECK_TEXTS: dict[str, tuple[str, str]] = {
    "other_sign_in": (
        "Another confirmed sign-in method exists",
        "This is your last sign-in method: first add and confirm another phone or email"),
    "other_recovery": (
        "Access can be recovered without this contact",
        "This is your only recovery channel: first choose another contact for recovery"),
    "not_primary": (
        "Not the primary one, or there is no other",
        "This is the primary contact: first make another one primary"),
    "second_factor": (
        "Sign-in codes will still have somewhere to go",
        "Sign-in codes come to this phone: add another phone or an authenticator app"),
    "export": (
        "Save important data from your account: you can export it",
        ""),
}


# Words for a situation the plain pair above would misdescribe, by (check, ok, variant).
CHECK_VARIANTS: dict[tuple[str, bool, str], str] = {
    ("not_primary", True, "not_primary"): "This is not the primary contact",
    ("not_primary", True, "only_one"): "It is the primary one, and there is no other of its kind to take over",
    ("other_sign_in", False, "switch_on"):
        "This is your last sign-in method: first turn sign-in on for another confirmed contact",
    ("other_recovery", False, "add"): "This is your only recovery channel: first add and confirm another contact",
}


def check_text(check: Check) -> str:
    """The message id of what this check says, in words that fit the situation."""
    ok, not_ok = CHECK_TEXTS[check.id]
    return CHECK_VARIANTS.get((check.id, check.ok, check.variant), ok if check.ok else not_ok)
