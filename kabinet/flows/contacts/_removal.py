"""Removing a contact, whoever does it: the checks of the checklist (S4), the guard that refuses a removal that
would lock the citizen out (rule 1), and the removal itself with its history event and notices (rule 5).
The cabinet (after a code) and an operator at a service centre (after the document) both come through here, so
there is one implementation of the rules, not two."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kabinet.audit.events import CITIZEN, Actor, EventType, Meta, record
from kabinet.domain.contact_book import Check, check_text, nothing_blocks, removal_checks
from kabinet.domain.errors import GuardRefused
from kabinet.flows.contacts._contact_state import retire
from kabinet.flows.shared import relying
from kabinet.flows.shared.accounts import facts
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import contact_changed, masked
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, Contact
from kabinet.store.passkeys import count_of
from kabinet.texts import text, translate


@dataclass(frozen=True)
class CheckView:
    id: str
    ok: bool
    blocking: bool
    message: str
    fix: str | None


@dataclass(frozen=True)
class Removed:
    removed: uuid.UUID


def checks(db: Session, account: Account, contact: Contact) -> list[Check]:
    book = [facts(c) for c in present_contacts(db, account.id)]
    return removal_checks(book, facts(contact), has_totp=bool(account.totp_secret),
                          has_passkey=count_of(db, account.id) > 0)


def checks_view(found: list[Check], locale: str) -> list[CheckView]:
    return [CheckView(id=c.id, ok=c.ok, blocking=c.blocking, message=translate(locale, check_text(c)), fix=c.fix)
            for c in found]


def refuse_if_unsafe(db: Session, account: Account, contact: Contact, locale: str) -> None:
    found = checks(db, account, contact)
    if not nothing_blocks(found):
        raise GuardRefused(checks=checks_view(found, locale))


def remove(ctx: FlowContext, db: Session, account: Account, contact: Contact, *, meta: Meta, now: datetime,
           actor: Actor = CITIZEN, channel: str = "self-service", **details: Any) -> Removed:
    """Inside the step's transaction, account locked: check the guards again, retire, record, tell."""
    refuse_if_unsafe(db, account, contact, meta.locale)
    retire(contact, now)
    record(db, account, EventType.CONTACT_REMOVED, at=now, meta=meta, actor=actor, contact=str(contact.id),
           value=masked(contact), **details)
    contact_changed(ctx, db, account, now=now, removed=contact, channel=channel,
                    what=text("{contact} removed", contact=masked(contact)))
    relying.push(ctx, db, account.id, "identifier-changed", now)  # connected services drop it at once (S18)
    return Removed(removed=contact.id)
