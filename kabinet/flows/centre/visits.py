"""A visit: the citizen at the counter shows a passport and SNILS; when both match one account, the visit opens
and the operator sees that account (masked where the visit does not need more). Nothing else is revealed on a
mismatch — not even which of the two did not match. The visit closes with a receipt of what was done."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, operator_actor, record
from kabinet.domain.errors import DocumentMismatch, VisitNotFound, parse_all
from kabinet.domain.identity import parse_passport
from kabinet.domain.ids import Id, parse_id
from kabinet.domain.masks import mask_destination, mask_name
from kabinet.domain.snils import parse_snils
from kabinet.flows.centre._visits import check_visit, visit_step
from kabinet.flows.shared.accounts import passport_matches, write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import masked
from kabinet.policy import VISIT_TTL
from kabinet.store.accounts import id_by_snils
from kabinet.store.centre import open_identity_requests
from kabinet.store.contacts import listed
from kabinet.store.models import Account, Operator, OperatorSession, Visit
from kabinet.store.recovery import held as held_recoveries
from kabinet.store.trusted import approval_for_recovery
from kabinet.texts import translate


@dataclass(frozen=True)
class VisitContact:
    id: uuid.UUID
    kind: str
    value: str  # masked: the citizen at the counter says which one; the console need not show it whole
    verified: bool
    primary: bool
    sign_in: bool
    recovery: bool
    last_delivery: str | None = None  # the last message's fate: sent, rejected, bounced …
    bounced: bool = False


@dataclass(frozen=True)
class PendingRequest:
    """A lost-everything request waiting for this visit (API.md recovery/identity)."""

    id: uuid.UUID
    number: str
    phone: str  # masked
    created_at: datetime


@dataclass(frozen=True)
class VisitAccount:
    full_name: str
    level: str
    contacts: list[VisitContact]
    requests: list[PendingRequest]
    held: list[HeldRecoveryAtCentre]


@dataclass(frozen=True)
class HeldRecoveryAtCentre:
    """A recovery on hold: waiting until ``ready_at`` and/or for the trusted person (``approval``)."""

    id: uuid.UUID
    started_at: datetime
    ready_at: datetime | None
    approval: str | None


@dataclass(frozen=True)
class VisitView:
    id: uuid.UUID
    document: str
    expires_at: datetime
    account: VisitAccount


@dataclass(frozen=True)
class ReceiptLine:
    at: datetime
    what: str
    reason: str  # as the operator gave it (empty for lines written before reasons were kept on the receipt)


@dataclass(frozen=True)
class Receipt:
    visit_id: uuid.UUID
    centre: str
    operator: str
    citizen: str  # masked
    document: str
    opened_at: datetime
    closed_at: datetime | None
    lines: list[ReceiptLine]

    @property
    def number(self) -> str:
        """What a person reads out or types: the visit id's first eight digits, in two groups (the whole id is in
        the citizen's history and in the receipt's address)."""
        return visit_number(self.visit_id)


def visit_number(visit_id: uuid.UUID) -> str:
    digits = visit_id.hex[:8].upper()
    return f"{digits[:4]}-{digits[4:]}"


def open_visit(ctx: FlowContext, meta: Meta, *, operator: OperatorSession, snils: str, passport: str) -> VisitView:
    parsed = parse_all(snils=lambda: parse_snils(snils), passport=lambda: parse_passport(passport))
    number, doc = parsed["snils"], parsed["passport"]
    matched = None
    with write_step(ctx, lambda db: id_by_snils(db, number.digits)) as (db, account, now):
        centre = db.get_one(Operator, operator.operator_id).centre
        ctx.limiter.hit_all([("visit.open.operator", str(operator.operator_id)), ("visit.open.centre", centre)])
        ctx.limiter.check("visit.mismatch.operator", str(operator.operator_id))
        if account is not None and passport_matches(ctx, account, doc):
            document = f"{doc.masked} · ***-***-{number.digits[6:9]} {number.digits[9:]}"  # passport · SNILS
            visit = Visit(operator_id=operator.operator_id, account_id=account.id, centre=centre, document=document,
                          opened_at=now, expires_at=now + VISIT_TTL, actions=[])
            db.add(visit)
            db.flush()
            record(db, account, EventType.VISIT_OPENED, at=now, meta=meta, actor=operator_actor(operator.operator_id),
                   centre=centre, document=document, visit=str(visit.id))
            matched = _view(db, account, visit, now)
    if matched is None:
        ctx.limiter.hit("visit.mismatch.operator", str(operator.operator_id))
        raise DocumentMismatch()
    return matched


def show(ctx: FlowContext, *, operator: OperatorSession, visit_id: Id) -> VisitView:
    """Reads only: looking at a visit is not an action, so it neither locks the account nor extends the visit."""
    now = ctx.clock.now()
    with ctx.store.read() as db:
        visit = db.get(Visit, parse_id(visit_id, VisitNotFound))
        account = db.get(Account, visit.account_id) if visit else None
        visit = check_visit(visit, account, operator.operator_id, now)
        assert account is not None
        return _view(db, account, visit, now)


def close(ctx: FlowContext, meta: Meta, *, operator: OperatorSession, visit_id: Id) -> Receipt:
    with visit_step(ctx, operator, visit_id, reason=None) as v:
        v.visit.closed_at = v.now
        record(v.db, v.account, EventType.VISIT_CLOSED, at=v.now, meta=meta, actor=v.actor, centre=v.visit.centre,
               visit=str(v.visit.id), actions=len(v.visit.actions))
        return _receipt(v.db, v.account, v.visit, meta.locale)


def receipt(ctx: FlowContext, *, operator: OperatorSession, visit_id: Id, locale: str) -> Receipt:
    """A visit's receipt, for the operator who held it (open or closed)."""
    with ctx.store.read() as db:
        visit = db.get(Visit, parse_id(visit_id, VisitNotFound))
        if visit is None or visit.operator_id != operator.operator_id:
            raise VisitNotFound()
        return _receipt(db, db.get_one(Account, visit.account_id), visit, locale)


def _view(db: Session, account: Account, visit: Visit, now: datetime) -> VisitView:
    contacts = [VisitContact(id=c.id, kind=c.kind, value=masked(c), verified=c.verified_at is not None,
                             primary=c.is_primary, sign_in=c.sign_in, recovery=c.recovery,
                             last_delivery=c.fate_state, bounced=c.bounced_at is not None)
                for c in listed(db, account.id)]  # the contact list's own statement, fates included
    requests = [PendingRequest(id=r.id, number=r.number, phone=mask_destination("sms", r.phone) or "",
                               created_at=r.created_at)
                for r in open_identity_requests(db, account.id)]
    held = [HeldRecoveryAtCentre(id=r.id, started_at=r.created_at, ready_at=r.ready_at,
                                 approval=a.state if (a := approval_for_recovery(db, r.id)) else None)
            for r in held_recoveries(db, account.id, now)]
    return VisitView(id=visit.id, document=visit.document, expires_at=visit.expires_at,
                     account=VisitAccount(full_name=account.full_name, level=account.level, contacts=contacts,
                                          requests=requests, held=held))


def _receipt(db: Session, account: Account, visit: Visit, locale: str) -> Receipt:
    operator = db.get_one(Operator, visit.operator_id)
    lines = [ReceiptLine(at=datetime.fromisoformat(a["at"]), what=translate(locale, a["msgid"], a["values"]),
                         reason=a.get("reason", "")) for a in visit.actions]
    return Receipt(visit_id=visit.id, centre=visit.centre, operator=operator.login,
                   citizen=mask_name(account.full_name), document=visit.document, opened_at=visit.opened_at,
                   closed_at=visit.closed_at, lines=lines)
