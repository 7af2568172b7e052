"""Confirm identity at the counter (DOMAIN.md "Account levels"): the passport seen in person makes the account
``confirmed``; contacts are untouched (rule 6), and every channel is told."""

from __future__ import annotations

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.ids import Id
from kabinet.flows.centre._visits import visit_step
from kabinet.flows.shared import relying
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import security_notice
from kabinet.flows.shared.results import AccountView, account_view
from kabinet.store.models import OperatorSession
from kabinet.texts import text


def run(ctx: FlowContext, meta: Meta, *, operator: OperatorSession, visit_id: Id, reason: str) -> AccountView:
    with visit_step(ctx, operator, visit_id, reason=reason) as v:
        before = v.account.level
        v.account.level = "confirmed"
        record(v.db, v.account, EventType.IDENTITY_CONFIRMED, at=v.now, meta=meta, actor=v.actor, before=before,
               **v.details())
        security_notice(ctx, v.db, v.account, now=v.now, what=text("identity confirmed at a service centre"))
        relying.level_changed(ctx, v.db, v.account.id, v.now, before=before, after="confirmed", by="admin")
        v.done(text("identity confirmed: the account level is now confirmed"))
        return account_view(v.account)
