"""Release a held recovery at the counter: the citizen's document, checked in person, is the strongest
proof there is, so a recovery waiting out its cooling-off or its trusted person's answer may finish at once."""

from __future__ import annotations

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import RecoveryNotFound
from kabinet.domain.ids import Id, parse_id
from kabinet.domain.states import ApprovalState, RecoveryState, move
from kabinet.flows.centre._visits import visit_step
from kabinet.flows.shared.context import FlowContext
from kabinet.store.models import OperatorSession
from kabinet.store.recovery import lock
from kabinet.store.trusted import approval_for_recovery
from kabinet.texts import text


def run(ctx: FlowContext, meta: Meta, *, operator: OperatorSession, visit_id: Id, recovery_id: Id,
        reason: str) -> None:
    rid = parse_id(recovery_id, RecoveryNotFound)
    with visit_step(ctx, operator, visit_id, reason=reason) as v:
        rec = lock(v.db, rid)
        if rec is None or rec.account_id != v.account.id or rec.state != RecoveryState.HELD or v.now >= rec.expires_at:
            raise RecoveryNotFound()
        rec.ready_at = v.now
        approval = approval_for_recovery(v.db, rec.id)
        if approval is not None and approval.state == ApprovalState.WAITING:
            move(approval, ApprovalState.BYPASSED)
            approval.decided_at = v.now
        record(v.db, v.account, EventType.RECOVERY_RELEASED, at=v.now, meta=meta, actor=v.actor, **v.details())
        v.done(text("a held recovery released: it can be finished now"))
