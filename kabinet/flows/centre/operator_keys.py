"""An operator's security keys: a key (WebAuthn, with its PIN) signs the operator in to the console in place
of the app's code — bound to this site, so a phishing page that relays a code in real time gets nothing it can use.
Added, listed and removed by the operator, right after a sign-in (``OperatorSignInAgain`` otherwise: a console left
open must not let a passer-by enrol a key). The app stays: a lost key never locks an operator out.

The relying party is the cabinet's own (``KABINET_BASE_URL``), the user handle the operator's random id: a citizen's
passkey and an operator's key never answer for each other (each is looked up in its own table)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kabinet.audit.events import Meta
from kabinet.audit.operator_events import OperatorEventType, record_operator
from kabinet.domain.errors import (
    OperatorSignInAgain,
    PasskeyExists,
    PasskeyInvalid,
    PasskeyNotFound,
)
from kabinet.domain.ids import Id, parse_id
from kabinet.flows.shared import passkeys
from kabinet.flows.shared.accounts import write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.policy import STEP_UP_WINDOW
from kabinet.security.passkeys import challenge_of, creation_options
from kabinet.store.models import Operator, OperatorKey, OperatorSession
from kabinet.store.operator_keys import key_by_credential, keys_of
from kabinet.store.passkeys import by_credential

ADD = "operator_key_add"  # the purpose of the WebAuthn challenge kept for a new key


@dataclass(frozen=True)
class OperatorKeyView:
    id: uuid.UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None


def view(key: OperatorKey) -> OperatorKeyView:
    return OperatorKeyView(id=key.id, name=key.name, created_at=key.created_at, last_used_at=key.last_used_at)


def list_keys(ctx: FlowContext, *, operator: OperatorSession) -> list[OperatorKeyView]:
    with ctx.store.read() as db:
        return [view(k) for k in keys_of(db, operator.operator_id)]


def options(ctx: FlowContext, meta: Meta, *, operator: OperatorSession) -> dict[str, Any]:
    """Creation options for a new key: single use, five minutes, for this console session only."""
    rp = passkeys.party(ctx)
    with write_step(ctx, None) as (db, _nobody, now):
        _fresh(operator, now)
        who = db.get_one(Operator, operator.operator_id)
        made, challenge = creation_options(
            rp, user_handle=who.id.bytes, user_name=who.login, display_name=f"{who.login} — {who.centre}",
            exclude=[k.credential_id for k in keys_of(db, who.id)])
        passkeys.remember(ctx, db, challenge, purpose=ADD, now=now, payload={"operator_session": str(operator.id)})
        return made


def add(ctx: FlowContext, meta: Meta, *, operator: OperatorSession, name: str,
        credential: dict[str, Any]) -> OperatorKeyView:
    name = passkeys.clean_name(name)
    challenge = challenge_of(credential) or ""
    failure: Exception | None = None
    with write_step(ctx, None) as (db, _nobody, now):
        _fresh(operator, now)
        made = passkeys.registered(ctx, db, credential, challenge, now,
                                   asked_by=lambda ch: ch.payload.get("operator_session") == str(operator.id),
                                   purpose=ADD)
        if made is None:
            failure = PasskeyInvalid()
        else:
            if key_by_credential(db, made.credential_id) or by_credential(db, made.credential_id):
                failure = PasskeyExists()
            else:
                key = OperatorKey(id=uuid.uuid4(), operator_id=operator.operator_id, credential_id=made.credential_id,
                                  public_key=made.public_key, sign_count=made.sign_count, transports=made.transports,
                                  aaguid=made.aaguid, name=name, created_at=now)
                db.add(key)
                record_operator(db, db.get_one(Operator, operator.operator_id), OperatorEventType.KEY_ADDED, at=now,
                                meta=meta, name=name)
                return view(key)
    assert failure is not None
    raise failure


def remove(ctx: FlowContext, meta: Meta, *, operator: OperatorSession, key_id: Id) -> None:
    """Right after a sign-in too: whoever finds a console open must not drop the operator's key either."""
    with write_step(ctx, None) as (db, _nobody, now):
        _fresh(operator, now)
        key = db.get(OperatorKey, parse_id(key_id, PasskeyNotFound))
        if key is None or key.operator_id != operator.operator_id:
            raise PasskeyNotFound()
        db.delete(key)
        record_operator(db, db.get_one(Operator, operator.operator_id), OperatorEventType.KEY_REMOVED, at=now,
                        meta=meta, name=key.name)


def _fresh(operator: OperatorSession, now: datetime) -> None:
    if now - operator.created_at >= STEP_UP_WINDOW:
        raise OperatorSignInAgain()
