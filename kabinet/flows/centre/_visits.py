"""The operator's step: a citizen at the counter, the account of an open visit, locked.

Why every operator action goes through ``visit_step``: no operator action works without an open visit whose
document matched that account (API.md), and each action is told to the citizen's history with the operator, the
centre, the document checked and the reason (DESIGN.md rule 8) — written once here, not in every action.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kabinet.audit.events import Actor, operator_actor
from kabinet.domain.errors import ReasonRequired, VisitNotFound
from kabinet.domain.ids import Id, parse_id
from kabinet.flows.shared.accounts import write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.policy import VISIT_TTL
from kabinet.store.centre import lock_visit, visit_owner
from kabinet.store.models import Account, OperatorSession, Visit
from kabinet.texts import Text


@dataclass
class VisitStep:
    db: Session
    account: Account
    visit: Visit
    now: datetime
    reason: str

    @property
    def actor(self) -> Actor:
        return operator_actor(self.visit.operator_id)

    def details(self) -> dict[str, Any]:
        """What every operator event carries besides its own details."""
        return {"centre": self.visit.centre, "document": self.visit.document, "reason": self.reason,
                "visit": str(self.visit.id)}

    def code_payload(self, operator: OperatorSession, **more: Any) -> dict[str, Any]:
        """What a code sent from this visit carries: only this operator session may answer it, and its handler
        re-enters the visit (``reenter``)."""
        return {"operator_session": str(operator.id), "operator": str(self.visit.operator_id),
                "visit": str(self.visit.id), "reason": self.reason, **more}

    def done(self, what: Text) -> None:
        """A line of the receipt."""
        self.visit.actions = [*self.visit.actions, {"at": self.now.isoformat(), "msgid": what.msgid,
                                                    "values": what.values, "reason": self.reason}]


def clean_reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not 1 <= len(reason) <= 500:
        raise ReasonRequired(field="reason")
    return reason


def check_visit(visit: Visit | None, account: Account | None, operator_id: object, now: datetime) -> Visit:
    if (visit is None or account is None or visit.operator_id != operator_id or visit.account_id != account.id
            or visit.closed_at is not None or now >= visit.expires_at):
        raise VisitNotFound()
    return visit


def reenter(db: Session, account: Account, payload: dict[str, Any], now: datetime) -> VisitStep:
    """Inside a confirm handler (the account already locked): the visit a code was sent from, still open."""
    visit = check_visit(lock_visit(db, parse_id(payload["visit"], VisitNotFound)), account,
                        parse_id(payload["operator"], VisitNotFound), now)
    visit.expires_at = now + VISIT_TTL
    return VisitStep(db=db, account=account, visit=visit, now=now, reason=payload["reason"])


@contextmanager
def visit_step(ctx: FlowContext, operator: OperatorSession, visit_id: Id, *, reason: str | None
               ) -> Iterator[VisitStep]:
    """Open the write step with the visit's account locked, then the visit row; refuse a visit that is not this
    operator's, is closed or has expired (one answer for all). Each action restarts the visit's clock."""
    why = clean_reason(reason) if reason is not None else ""
    vid = parse_id(visit_id, VisitNotFound)
    with write_step(ctx, lambda db: visit_owner(db, vid)) as (db, account, now):
        visit = check_visit(lock_visit(db, vid), account, operator.operator_id, now)
        assert account is not None
        yield VisitStep(db=db, account=account, visit=visit, now=now, reason=why)
        visit.expires_at = now + VISIT_TTL
