"""Every purpose a challenge can have, in one table: how it is answered, what its SMS says it is for,
which send budgets it spends, where the code page goes once it is confirmed, and what else may answer it.

Why one table: these facts were strings in five places (the SMS wording, the budgets, the page after, the passkey
and fallback sets), and a purpose missing from one of them failed quietly — the service centre's phone code went
out saying "Confirming an action". ``bootstrap`` checks at start that every purpose answered by a code has its
confirm handler (``challenges.check_wiring``), and a test that every purpose the code issues is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ANONYMOUS = ("send.anonymous.ip",)
OWNER_BUDGET = ("send.owner.destination", "send.owner.account")  # a code to the account's own contact


@dataclass(frozen=True)
class Purpose:
    name: str
    # code: a code we send (SMS, or a letter); app: a code of an authenticator app the purpose checks itself;
    # link: a single-use link in a letter (no code page, no confirm handler)
    answered_by: Literal["code", "app", "link"]
    sms: str | None = None  # what the code's message says it is for, so a citizen tricked into reading one out
    budget: tuple[str, ...] = OWNER_BUDGET  # the rate-limit rules one send spends
    after: str | None = None  # where the code page goes once it is confirmed (pages)
    names_contact: bool = False  # the SMS names (masked) the contact it acts on
    fallback: bool = False  # asked of the app, it may be answered by SMS or a backup code instead
    passkey: bool = False  # a passkey may answer it
    new_passkey_cannot: bool = False  # ... but not one added within the cooling-off (as for a new contact)


PURPOSES: dict[str, Purpose] = {p.name: p for p in (
    Purpose("register", "code", "Registration", after="/settings/contacts",
            budget=("send.register.destination", "send.register.prefix", *ANONYMOUS)),
    Purpose("sign_in", "code", "Signing in", after="/settings/contacts", fallback=True, passkey=True),
    Purpose("step_up", "code", "Confirming an action", after="/security", fallback=True, passkey=True),
    Purpose("verify_phone", "code", "Confirming this number", after="/settings/contacts?done=phone_verified",
            budget=("send.new_contact.destination", "send.new_contact.account")),
    Purpose("remove_contact", "code", "Removing a contact", after="/settings/contacts?done=removed",
            names_contact=True, passkey=True, new_passkey_cannot=True),
    Purpose("change_contact", "code", "Changing a contact", after="/settings/contacts?done=change_sent",
            names_contact=True, passkey=True, new_passkey_cannot=True),
    Purpose("totp_enrol", "app", "Adding an authenticator app", after="/security?done=totp"),
    Purpose("recovery", "code", "Recovering access",
            budget=("send.recovery.destination", "send.recovery.account", *ANONYMOUS)),
    Purpose("trusted_approve", "code", "Approving as a trusted person", after="/trusted?done=approved",
            passkey=True),
    Purpose("centre_phone", "code", "Confirming a new number at a service centre"),
    Purpose("centre_recovery", "code", "Recovering access at a service centre"),
    Purpose("operator_sign_in", "app"),
    Purpose("verify_email", "link"),
    Purpose("not_me", "link"),
)}


def purpose(name: str) -> Purpose:
    """A challenge's purpose; one not in the table is a defect, said at once."""
    return PURPOSES[name]


def named(test: str) -> frozenset[str]:
    """The purposes with one of the flags above set: ``named("passkey")``."""
    return frozenset(p.name for p in PURPOSES.values() if getattr(p, test))
