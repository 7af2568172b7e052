"""The operators' own trail: what happened to each operator's access to the console.

Why apart from the citizens' histories: what an operator does to an account is written into that account's history
(with the operator as the actor) and onto the visit's receipt. What happens to the operator's own access — who signed
in to the console and by what, which sign-ins were refused, which security keys were added or removed, whose
password changed — belongs to no citizen, and without it a supervisor could not answer "was this session really
Petrova's?". Each event is written in the transaction of the change it reports (a refused sign-in in one of its own),
as a plain INSERT; the trail is read by a supervisor for their centre (``flows/centre/supervision``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from kabinet.audit.events import Meta
from kabinet.store.db import insert_row
from kabinet.store.models import Operator, OperatorEvent
from kabinet.texts import Text, text


class OperatorEventType(StrEnum):
    ADDED = "operator:added"
    SIGNED_IN = "operator:signed_in"
    SIGN_IN_REFUSED = "operator:sign_in_refused"
    SIGNED_OUT = "operator:signed_out"
    PASSWORD_CHANGED = "operator:password_changed"  # noqa: S105 - an event name
    PASSWORD_REFUSED = "operator:password_refused"  # noqa: S105 - an event name
    KEY_ADDED = "operator:key_added"
    KEY_REMOVED = "operator:key_removed"


def record_operator(db: Session, operator: Operator, type_: OperatorEventType, *, at: datetime,
                    meta: Meta | None = None, **details: Any) -> None:
    """One event of the operator's trail, in the step's transaction. ``meta`` is None for the command line."""
    insert_row(db, OperatorEvent, {
        "operator_id": operator.id, "centre": operator.centre, "at": at, "type": str(type_), "details": details,
        "ip": meta.ip if meta else None, "user_agent": meta.user_agent if meta else None})


def label(type_: str, details: dict[str, Any]) -> Text:
    """What a supervisor reads for an event, in their language."""
    how = details.get("by")
    if type_ == OperatorEventType.ADDED:
        return text("Added from the command line as a supervisor") if details.get("role") == "supervisor" \
            else text("Added from the command line as an operator")
    if type_ == OperatorEventType.SIGNED_IN:
        return text("Signed in with a security key") if how == "key" else text("Signed in with the app's code")
    if type_ == OperatorEventType.SIGN_IN_REFUSED:
        if how == "password":
            return text("Sign-in refused: wrong password")
        if how == "inactive":
            return text("Sign-in refused: the operator is switched off")
        return text("Sign-in refused: the security key did not answer") if how == "key" \
            else text("Sign-in refused: wrong app code")
    if type_ == OperatorEventType.SIGNED_OUT:
        return text("Signed out")
    if type_ == OperatorEventType.PASSWORD_CHANGED:
        return text("Password changed; {count} other console sessions ended", count=details.get("ended", 0))
    if type_ == OperatorEventType.PASSWORD_REFUSED:
        return text("Password not changed: the current one was wrong")
    if type_ == OperatorEventType.KEY_ADDED:
        return text("Security key added: {name}", name=details.get("name", ""))
    if type_ == OperatorEventType.KEY_REMOVED:
        return text("Security key removed: {name}", name=details.get("name", ""))
    return text("Other event: {type}", type=type_)
