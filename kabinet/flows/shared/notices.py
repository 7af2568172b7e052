"""Security notices (DESIGN.md §4 rule 5, S12): every contact change is told to the primary phone by SMS
and to the primary email; a removed address is told it was unlinked. Each notice carries a single-use
"this wasn't me" link. All of it goes through the outbox, in the change's own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from babel.dates import format_datetime
from sqlalchemy import Row
from sqlalchemy.orm import Session

from kabinet.clock import MOSCOW
from kabinet.delivery.outbox import enqueue
from kabinet.domain.masks import mask_destination, mask_name_strictly
from kabinet.flows.shared.context import FlowContext
from kabinet.policy import NOT_ME_TTL
from kabinet.security.tokens import new_token
from kabinet.store.contacts import present_contacts
from kabinet.store.db import insert_row
from kabinet.store.models import Account, Challenge, Contact
from kabinet.store.outbox import unsent_notices
from kabinet.texts import Text, translate

CHANNELS = {"self-service": "in the personal account", "operator": "at a service centre"}


def masked(contact: Contact | Row[Any]) -> str:
    """A contact (or a listed row of one) as a notice may show it."""
    return mask_destination("sms" if contact.kind == "phone" else "email", contact.value) or ""


def reachable(contacts: list[Contact]) -> list[Contact]:
    """Verified contacts to tell, less addresses whose letters come back while another verified address works
    — never leaving a citizen with no address at all: a bounced only address is still tried."""
    verified = [c for c in contacts if c.verified_at is not None]
    working = any(c.kind == "email" and not c.bounced_at for c in verified)
    return [c for c in verified if not (c.kind == "email" and c.bounced_at and working)]


def reachable_email(contacts: list[Contact], primary: Contact) -> Contact:
    """The primary address, or while its letters come back, another verified one that works."""
    return next((c for c in contacts if c.kind == "email" and c.verified_at and not c.bounced_at), primary)


def not_me_link(ctx: FlowContext, db: Session, account: Account, now: datetime) -> tuple[str, str]:
    """A single-use link that ends every session of the account (rule 5); the URL and its sealed token."""
    token = new_token()
    # A plain INSERT: every change makes one, and nothing in the step reads the row back (an ORM object cost a
    # unit-of-work flush of its own).
    insert_row(db, Challenge, dict(id=uuid.uuid4(), purpose="not_me", channel="link", account_id=account.id,
                                   secret_hash=ctx.hasher.digest("link", token), expires_at=now + NOT_ME_TTL,
                                   attempts_left=1, created_at=now, payload={}))
    return f"{ctx.base_url}/not-me?token=", token


def contact_changed(
    ctx: FlowContext, db: Session, account: Account, *, now: datetime, what: Text,
    removed: Contact | None = None, previous: Contact | None = None, channel: str = "self-service",
    about: str = "contacts",
) -> None:
    """Tell the primary phone and email, the one that was primary before (``previous``) and the removed
    address that contact data changed — or, with ``about="security"``, that how the account is protected changed
    (the password, the app): the message is titled for what it tells."""
    locale = account.locale
    present = present_contacts(db, account.id)
    primaries = [c for c in present if c.is_primary and c.verified_at is not None]
    if (email := next((c for c in primaries if c.kind == "email"), None)) is not None and email.bounced_at:
        primaries = [c for c in primaries if c is not email] + [reachable_email(present, email)]
    told = [c for c in [*primaries, *([previous] if previous is not None and not previous.bounced_at else [])]
            if c is not removed]
    tell = _teller(ctx, db, account, now, told)
    for contact in told:
        tell(contact, "contact_changed", {"what": what.render(locale), "account_name": account.full_name,
                                          "about": about})
    if removed is not None and removed.kind == "email" and removed.verified_at is not None and not removed.bounced_at:
        tell(removed, "email_removed", {"account_name": mask_name_strictly(account.full_name),
                                        "channel": translate(locale, CHANNELS[channel])})


def security_notice(ctx: FlowContext, db: Session, account: Account, *, now: datetime, what: Text) -> None:
    """Tell every verified channel the account still has (password recovered, backup code used, identity
    data changed…): whoever did it may hold one channel, so the others must hear of it too. No name in it:
    a reissued number's new owner learns nothing of the citizen."""
    told = reachable(present_contacts(db, account.id))
    tell = _teller(ctx, db, account, now, told)
    for contact in told:
        tell(contact, "security_notice", {"what": what.render(account.locale)})


def sign_in_notice(ctx: FlowContext, db: Session, account: Account, *, now: datetime, what: str) -> int:
    """A sign-in from a device the account has not seen: told to the primary phone and email, each unless
    its owner switched these notices off for it; sign-ins close together go out as one message. How many told."""
    present = present_contacts(db, account.id)
    told = [c for c in present if c.is_primary and c.verified_at is not None and c.sign_in_notices]
    tell = _teller(ctx, db, account, now, told)
    for contact in told:
        tell(contact, "sign_in_notice", {"what": what})
    return len(told)


# Notices that can say several changes at once; a removed address's own notice and codes never merge.
MERGEABLE = frozenset({"contact_changed", "security_notice", "sign_in_notice"})


def _teller(ctx: FlowContext, db: Session, account: Account, now: datetime, told: list[Contact]
            ) -> Callable[[Contact, str, dict], None]:
    """Queues one notice to one contact, in the account's language, each with the same single-use
    "this wasn't me" link — made once per change, and only if a notice of it is queued (not when every one of them
    joins a notice already waiting, which carries a link of its own). The notices still waiting for the contacts
    to be ``told`` are read in one query."""
    at = when(now, account.locale)
    made: list[str] = []
    unsent = unsent_notices(db, [c.id for c in told], MERGEABLE)

    def not_me_url() -> str:
        if not made:
            base, token = not_me_link(ctx, db, account, now)
            made.append(base + token)
        return made[0]

    def tell(contact: Contact, template: str, data: dict) -> None:
        if template in MERGEABLE and (waiting := unsent.get((contact.id, template))) is not None \
                and waiting.data.get("what") and data.get("what"):
            # The same notice to the same contact is still waiting: one message says both changes (fewer,
            # better messages). Nothing is dropped; its "this wasn't me" link covers the account either way.
            both = waiting.data.get("about") if waiting.data.get("about") == data.get("about") else "account"
            waiting.data = {**waiting.data, "what": f"{waiting.data['what']}; {data['what']}", "about": both}
            return
        # A mergeable notice waits a moment for the next change to join it (never a code or a link: those go now).
        enqueue(db, channel="sms" if contact.kind == "phone" else "email", destination=contact.value,
                template=template, contact_id=contact.id, now=now, locale=account.locale, account_id=account.id,
                data={**data, "when": at}, secret={"not_me_url": not_me_url()}, sealer=ctx.outbox_sealer,
                delay=ctx.notice_delay if template in MERGEABLE else None)

    return tell


def every_channel(ctx: FlowContext, db: Session, account: Account, *, now: datetime, template: str, data: dict,
                  secret: dict[str, str]) -> None:
    """One message to every verified channel, each with its own ``secret`` (a cancel link): a recovery held for
    the cooling-off is told everywhere, because whoever started it holds one of them."""
    for contact in reachable(present_contacts(db, account.id)):  # verified ones only
        enqueue(db, channel="sms" if contact.kind == "phone" else "email", destination=contact.value,
                template=template, contact_id=contact.id, now=now, locale=account.locale,
                account_id=account.id, data={**data, "when": when(now, account.locale)}, secret=secret,
                sealer=ctx.outbox_sealer)


def when(moment: datetime, locale: str) -> str:
    """A moment as a citizen reads it: Moscow time, saying so ("МСК"), the month in words."""
    shown = format_datetime(moment, "d MMMM y, HH:mm", tzinfo=MOSCOW, locale=locale)
    return f"{shown} {translate(locale, 'MSK')}"
