"""History: one event per state change, in the same transaction, hash-chained per account.

Why a chain: the citizen's history is evidence (who changed what, when, from where). Each event
carries the keyed hash (HMAC with the service key) of the one before it, so a removed or edited row
breaks the chain, and without the key nobody can forge a new one. The head (hash and count) lives on the
account row, which every writer has locked, so dropping the newest events is caught too.
``verify_chain`` checks one account; ``kabinet audit verify`` walks them all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from kabinet.store.db import insert_row
from kabinet.store.models import Account, Event


class EventType(StrEnum):
    ACCOUNT_REGISTERED = "account:registered"
    SIGN_IN_PASSWORD_FAILED = "sign_in:password_failed"  # noqa: S105 - an event name
    SIGN_IN_CODE_SENT = "sign_in:code_sent"
    SIGN_IN_COMPLETED = "sign_in:completed"
    SIGNED_OUT = "session:signed_out"
    SESSION_REVOKED = "session:revoked"
    SESSIONS_REVOKED_OTHERS = "session:revoked_others"
    STEP_UP = "session:step_up"
    CODE_WRONG = "challenge:code_wrong"
    PASSWORD_REHASHED = "password:rehashed"  # noqa: S105 - an event name, not a password
    EMAIL_ADDED = "contact:email:added"
    PHONE_ADDED = "contact:phone:added"
    CONTACT_VERIFIED = "contact:verified"
    CONTACT_VERIFICATION_RESENT = "contact:verification_resent"
    CONTACT_PRIMARY = "contact:primary"
    CONTACT_REMOVAL_REQUESTED = "contact:removal_requested"
    CONTACT_REMOVED = "contact:removed"
    CONTACT_CHANGE_REQUESTED = "contact:change_requested"
    CONTACT_CHANGED = "contact:changed"
    CONTACT_SETTINGS = "contact:settings"
    CONTACT_ADD_BLOCKED = "contact:add_blocked"
    TEST_NOTIFICATION = "notification:test"
    TOTP_ENABLED = "totp:enabled"
    TOTP_DISABLED = "totp:disabled"
    PASSKEY_ADDED = "passkey:added"
    PASSKEY_RENAMED = "passkey:renamed"
    PASSKEY_REMOVED = "passkey:removed"
    PASSKEY_CLONE_REFUSED = "passkey:clone_refused"
    PASSWORD_CHANGED = "password:changed"  # noqa: S105 - an event name
    NOT_ME = "account:not_me"
    SUPPORT_REQUEST = "request:filed"
    DATA_EXPORTED = "account:exported"
    RECOVERY_STARTED = "recovery:started"
    RECOVERY_PROOF = "recovery:proof"
    RECOVERY_VISIT_REQUIRED = "recovery:visit_required"
    PASSWORD_RECOVERED = "password:recovered"  # noqa: S105 - an event name
    BACKUP_CODES_MADE = "backup_codes:made"
    BACKUP_CODE_USED = "backup_codes:used"
    IDENTITY_SAVED = "identity:saved"
    IDENTITY_NOT_CONFIRMED = "identity:not_confirmed"
    IDENTITY_DUPLICATE = "identity:duplicate"
    IDENTITY_REQUESTED = "recovery:identity_requested"
    VISIT_OPENED = "operator:visit:opened"
    VISIT_CLOSED = "operator:visit:closed"
    IDENTITY_CONFIRMED = "identity:confirmed"
    RECOVERY_COMPLETED = "recovery:completed_at_centre"
    REQUEST_ANSWERED = "request:answered"
    RECOVERY_TOO_NEW = "recovery:contact_too_new"
    RECOVERY_HELD = "recovery:held"
    RECOVERY_CANCELLED = "recovery:cancelled"
    RECOVERY_RELEASED = "recovery:released_at_centre"
    TRUSTED_INVITED = "trusted:invited"
    TRUSTED_INVITATION_CANCELLED = "trusted:invitation_cancelled"
    TRUSTED_ACCEPTED = "trusted:accepted"
    TRUSTED_DECLINED = "trusted:declined"
    TRUSTED_REMOVAL_REQUESTED = "trusted:removal_requested"
    TRUSTED_REMOVAL_CANCELLED = "trusted:removal_cancelled"
    TRUSTED_REPLACEMENT_CANCELLED = "trusted:replacement_cancelled"
    APPROVAL_ASKED = "trusted:approval_asked"
    APPROVAL_GIVEN = "trusted:approved"
    APPROVAL_REFUSED = "trusted:refused"
    APPROVAL_CANCELLED = "trusted:approval_cancelled"
    LETTER_BOUNCED = "contact:letter_bounced"
    LETTER_COMPLAINED = "contact:letter_complained"
    LETTER_REJECTED = "contact:letter_rejected"
    LANGUAGE_CHOSEN = "account:language"
    SERVICE_CONNECTED = "service:connected"
    SERVICE_DISCONNECTED = "service:disconnected"


@dataclass(frozen=True)
class Actor:
    kind: str = "citizen"  # citizen | operator | system
    id: str | None = None


CITIZEN = Actor()
SYSTEM = Actor("system")
TRUSTED_PERSON = Actor("trusted_person")  # the citizen's trusted person decided; their name is in details


def operator_actor(operator_id: object) -> Actor:
    return Actor("operator", str(operator_id))


@dataclass(frozen=True)
class Meta:
    """What the request says about where it came from; lands in sessions and history."""

    ip: str | None = None
    user_agent: str | None = None
    locale: str = "ru"
    chosen_locale: str | None = None  # the language the request asked for (link, cookie, browser); None: no word
    device: str | None = None  # the browser's long-lived device cookie, or a new one for it
    device_new: bool = False  # the browser had none: a sign-in completed now leaves this one with it


def record(
    db: Session,
    account: Account,
    type_: EventType,
    *,
    at: datetime,
    meta: Meta,
    actor: Actor = CITIZEN,
    **details: Any,
) -> None:
    """One event of the account's history, chained to the one before. Written at once as a plain INSERT (no unit
    of work: every change writes one); the account's head moves with the transaction's account row."""
    seq = account.event_seq + 1
    values: dict[str, Any] = {"account_id": account.id, "seq": seq, "at": at, "actor": actor.kind, "actor_id": actor.id,
              "type": str(type_), "details": details, "ip": meta.ip, "user_agent": meta.user_agent,
              "prev_hash": account.event_head}
    values["hash"] = digest = _digest(values, chain_key(db))
    account.event_seq, account.event_head = seq, digest
    insert_row(db, Event, values)


def chain_key(db: Session) -> bytes:
    """The key the store's sessions carry (set by the composition root): no event is ever written unkeyed."""
    key = db.info.get(CHAIN_KEY)
    if not isinstance(key, bytes):
        raise RuntimeError("the store has no history key: build it through kabinet.bootstrap")
    return key


CHAIN_KEY = "history_chain_key"


def event_digest(event: Event, key: bytes) -> str:
    return _digest({name: getattr(event, name) for name in _CHAINED}, key)


_CHAINED = ("seq", "at", "actor", "actor_id", "type", "details", "ip", "user_agent", "prev_hash")


def _digest(values: dict[str, Any], key: bytes) -> str:
    body = [values[name].isoformat() if name == "at" else values[name] for name in _CHAINED]
    text = json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(key, b"history\x00" + text, hashlib.sha256).hexdigest()


def first_break(events: Iterable[Event], key: bytes, *, head: str | None = None, count: int | None = None
                ) -> int | None:
    """The ``seq`` of the first event that does not link up or was altered (oldest first); ``0`` when the
    events are whole but end before the account's head (the newest were removed); ``None`` when intact."""
    last, seen = "", 0
    for event in events:
        seen += 1
        if event.seq != seen or event.prev_hash != last or not hmac.compare_digest(event_digest(event, key),
                                                                                  event.hash):
            return event.seq
        last = event.hash
    if (head is not None and last != head) or (count is not None and seen != count):
        return 0
    return None


def verify_chain(events: Iterable[Event], key: bytes, *, head: str | None = None, count: int | None = None) -> bool:
    """True when the events (oldest first) link up, none was altered, and they reach the account's head."""
    return first_break(events, key, head=head, count=count) is None
