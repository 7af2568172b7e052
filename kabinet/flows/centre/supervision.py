"""What a supervisor sees: the centre's operators, their recent visits with every action taken, and what happened to
each operator's own access (sign-ins and refusals, sign-outs, passwords, security keys) — the service centre's own
audit, beside each citizen's history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from kabinet.audit.operator_events import label
from kabinet.domain.errors import SupervisorsOnly
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.results import OperatorView
from kabinet.store.centre import operators_of, recent_operator_events, recent_visits
from kabinet.store.models import Operator, OperatorSession
from kabinet.texts import translate


@dataclass(frozen=True)
class VisitSummary:
    id: uuid.UUID
    operator: str
    document: str
    opened_at: datetime
    closed_at: datetime | None
    actions: list[str]


@dataclass(frozen=True)
class OperatorEventSummary:
    operator: str  # the login
    type: str  # OperatorEventType's value: operator:signed_in, operator:sign_in_refused, …
    what: str  # in the reader's language
    at: datetime
    ip: str | None


@dataclass(frozen=True)
class CentreView:
    centre: str
    operators: list[OperatorView]
    visits: list[VisitSummary]
    security: list[OperatorEventSummary]  # the newest 50 events of the centre's operators' own access


def overview(ctx: FlowContext, *, operator: OperatorSession, locale: str) -> CentreView:
    with ctx.store.read() as db:
        me = db.get_one(Operator, operator.operator_id)
        if me.role != "supervisor":
            raise SupervisorsOnly()
        staff = operators_of(db, me.centre)
        logins = {o.id: o.login for o in staff}
        visits = [VisitSummary(id=v.id, operator=logins.get(v.operator_id, "?"), document=v.document,
                               opened_at=v.opened_at, closed_at=v.closed_at,
                               actions=[translate(locale, a["msgid"], a["values"]) for a in v.actions])
                  for v in recent_visits(db, me.centre)]
        security = [OperatorEventSummary(operator=e.login, type=e.type, what=label(e.type, e.details).render(locale),
                                         at=e.at, ip=e.ip)
                    for e in recent_operator_events(db, me.centre)]
        return CentreView(centre=me.centre, visits=visits, security=security,
                          operators=[OperatorView(id=o.id, login=o.login, centre=o.centre, role=o.role) for o in staff])
