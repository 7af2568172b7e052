"""Passkeys of one's own (Security → Passkeys): add one after a fresh second factor, rename, remove —
each told on every channel of the account (with "this wasn't me"), in the history, and to connected services (CAEP
``credential-change``). A passkey is a way to sign in of its own, so the never-lock-yourself-out rule counts it:
the last way to sign in — a passkey when no confirmed contact serves sign-in — stays."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.authenticators import authenticator_name
from kabinet.domain.errors import (
    ContactTooNew,
    PasskeyExists,
    PasskeyInvalid,
    PasskeyLast,
    PasskeyNotFound,
)
from kabinet.domain.ids import Id, parse_id
from kabinet.flows.shared import passkeys as shared
from kabinet.flows.shared import relying
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import security_notice
from kabinet.security.passkeys import challenge_of, creation_options
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, Passkey
from kabinet.store.models import Session as UserSession
from kabinet.store.passkeys import by_credential, passkeys_of
from kabinet.texts import Text, text


@dataclass(frozen=True)
class PasskeyView:
    id: uuid.UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None
    authenticator: str | None  # by its AAGUID, where known
    synced: bool  # a passkey the authenticator keeps in its cloud (backup state)


@dataclass(frozen=True)
class PasskeyOptions:
    options: dict[str, Any]


def view(p: Passkey) -> PasskeyView:
    return PasskeyView(id=p.id, name=p.name, created_at=p.created_at, last_used_at=p.last_used_at,
                       authenticator=authenticator_name(p.aaguid), synced=p.backup_state)


def available(ctx: FlowContext) -> bool:
    """Whether the pages offer passkeys: not when the instance is reached by an IP address, which browsers refuse
    as a relying party (the API serves it all the same; the pages then say passkeys need the site's name)."""
    return shared.in_browsers(ctx)


def list_passkeys(ctx: FlowContext, *, account_id: uuid.UUID) -> list[PasskeyView]:
    with ctx.store.read() as db:
        return [view(p) for p in passkeys_of(db, account_id)]


def options(ctx: FlowContext, meta: Meta, *, session: UserSession) -> PasskeyOptions:
    """The creation options (WebAuthn Level 3 JSON), single use, five minutes, for this session only."""
    rp = shared.party(ctx)
    with account_step(ctx, session, fresh_factor=True) as (db, account, now):
        made, challenge = creation_options(
            rp, user_handle=shared.handle_of(account.id), user_name=_login(db, account), display_name=account.full_name,
            exclude=[p.credential_id for p in passkeys_of(db, account.id)])
        shared.remember(ctx, db, challenge, purpose=shared.ADD, now=now, account=account, session=session)
        return PasskeyOptions(options=made)


def _login(db: Session, account: Account) -> str:
    """What the authenticator shows to tell this account's passkey from others: the primary phone, else email."""
    present = [c for c in present_contacts(db, account.id) if c.verified_at is not None]
    best = sorted(present, key=lambda c: (c.kind != "phone", not c.is_primary))
    return best[0].display if best else account.full_name


def add(ctx: FlowContext, meta: Meta, *, session: UserSession, name: str, credential: dict[str, Any]) -> PasskeyView:
    name = shared.clean_name(name)
    challenge = challenge_of(credential) or ""
    failure: Exception | None = None
    with account_step(ctx, session) as (db, account, now):
        made = shared.registered(ctx, db, credential, challenge, now, asked_by=lambda ch: ch.session_id == session.id)
        if made is None:
            failure = PasskeyInvalid()
        else:
            if by_credential(db, made.credential_id) is not None:
                failure = PasskeyExists()
            else:
                passkey = Passkey(id=uuid.uuid4(), account_id=account.id, credential_id=made.credential_id,
                                  public_key=made.public_key, sign_count=made.sign_count, transports=made.transports,
                                  backup_eligible=made.backup_eligible, backup_state=made.backup_state,
                                  aaguid=made.aaguid, name=name, created_at=now)
                db.add(passkey)
                _told(ctx, db, account, meta, now, EventType.PASSKEY_ADDED, passkey,
                      text("a passkey “{name}” was added", name=name), "create")
                return view(passkey)
    assert failure is not None
    raise failure


def rename(ctx: FlowContext, meta: Meta, *, session: UserSession, passkey_id: Id, name: str) -> PasskeyView:
    name = shared.clean_name(name)
    with account_step(ctx, session) as (db, account, now):
        passkey = _own(db, account, passkey_id)
        if passkey.name != name:
            before, passkey.name = passkey.name, name
            _told(ctx, db, account, meta, now, EventType.PASSKEY_RENAMED, passkey,
                  text("the passkey “{before}” was renamed “{name}”", before=before, name=name), "update")
        return view(passkey)


def remove(ctx: FlowContext, meta: Meta, *, session: UserSession, passkey_id: Id) -> None:
    """A fresh second factor first — and, as for contacts, one a passkey still in its cooling-off gave removes no
    older passkey (``contact.too_new``): an intruder who added one cannot drop the citizen's own with it."""
    with account_step(ctx, session, fresh_factor=True) as (db, account, now):
        passkey = _own(db, account, passkey_id)
        if not shared.may_remove(ctx, shared.factor_of(db, session), passkey, now):
            raise ContactTooNew(hours=round(ctx.cooling.contact.total_seconds() / 3600))
        others = [p for p in passkeys_of(db, account.id) if p.id != passkey.id]
        contacts = [c for c in present_contacts(db, account.id) if c.verified_at is not None and c.sign_in]
        if not others and not contacts:
            raise PasskeyLast()
        db.delete(passkey)
        _told(ctx, db, account, meta, now, EventType.PASSKEY_REMOVED, passkey,
              text("the passkey “{name}” was removed", name=passkey.name), "delete")


def _own(db: Session, account: Account, passkey_id: Id) -> Passkey:
    found = db.get(Passkey, parse_id(passkey_id, PasskeyNotFound))
    if found is None or found.account_id != account.id:
        raise PasskeyNotFound()
    return found


def _told(ctx: FlowContext, db: Session, account: Account, meta: Meta, now: datetime, event: EventType,
          passkey: Passkey, what: Text, change: str) -> None:
    record(db, account, event, at=now, meta=meta, passkey=str(passkey.id), name=passkey.name)
    # every channel, not the primaries only: whoever added a passkey may hold a primary contact too
    security_notice(ctx, db, account, now=now, what=what)
    relying.push_caep(ctx, db, account.id, "credential-change", now,
                      credential_type=shared.credential_type(passkey), change_type=change)
