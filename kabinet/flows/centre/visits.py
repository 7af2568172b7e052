"""A visit: the citizen at the counter shows a passport and SNILS; when both match one account, the visit opens
and the operator sees that account (masked where the visit does not need more). Nothing else is revealed on a
mismatch — not even which of the two did not match. The visit closes with a receipt of what was done."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, operator_actor, record
from kabinet.domain.errors import DocumentMismatch, InvalidInput, InvalidInputs, VisitNotFound
from kabinet.domain.identity import Passport, parse_passport
from kabinet.domain.ids import Id, parse_id
from kabinet.domain.masks import mask_name
from kabinet.domain.snils import Snils, parse_snils
from kabinet.flows.shared.accounts import write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import masked
from kabinet.flows.shared.visits import visit_step
from kabinet.policy import VISIT_TTL
from kabinet.store.accounts import by_snils
from kabinet.store.centre import open_identity_requests
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, Operator, OperatorSession, Visit
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


def open_visit(ctx: FlowContext, meta: Meta, *, operator: OperatorSession, snils: str, passport: str) -> VisitView:
    number, doc = _parse(snils, passport)
    with ctx.store.read() as db:
        centre = db.get_one(Operator, operator.operator_id).centre
    ctx.limiter.hit_all([("visit.open.operator", str(operator.operator_id)), ("visit.open.centre", centre)])
    ctx.limiter.check("visit.mismatch.operator", str(operator.operator_id))
    matched = None
    with write_step(ctx, lambda db: _owner(db, number)) as (db, account, now):
        if account is not None and _passport_matches(ctx, account, doc):
            document = f"{doc.masked} · ***-***-{number.digits[6:9]} {number.digits[9:]}"  # passport · SNILS
            visit = Visit(operator_id=operator.operator_id, account_id=account.id, centre=centre, document=document,
                          opened_at=now, expires_at=now + VISIT_TTL, actions=[])
            db.add(visit)
            db.flush()
            record(db, account, EventType.VISIT_OPENED, at=now, meta=meta, actor=operator_actor(operator.operator_id),
                   centre=centre, document=document, visit=str(visit.id))
            matched = _view(db, account, visit)
    if matched is None:
        ctx.limiter.hit("visit.mismatch.operator", str(operator.operator_id))
        raise DocumentMismatch()
    return matched


def show(ctx: FlowContext, *, operator: OperatorSession, visit_id: Id) -> VisitView:
    with visit_step(ctx, operator, visit_id, reason=None) as v:
        return _view(v.db, v.account, v.visit)


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


def _parse(snils: str, passport: str) -> tuple[Snils, Passport]:
    problems: list[InvalidInput] = []
    number = doc = None
    try:
        number = parse_snils(snils)
    except InvalidInput as exc:
        problems.append(exc)
    try:
        doc = parse_passport(passport)
    except InvalidInput as exc:
        problems.append(exc)
    if problems or number is None or doc is None:
        raise InvalidInputs(problems)
    return number, doc


def _owner(db: Session, number: Snils) -> uuid.UUID | None:
    account = by_snils(db, number.digits)
    return account.id if account else None


def _passport_matches(ctx: FlowContext, account: Account, doc: Passport) -> bool:
    return hmac.compare_digest(account.passport_hash or "", ctx.hasher.digest("passport", doc.digits))


def _view(db: Session, account: Account, visit: Visit) -> VisitView:
    contacts = [VisitContact(id=c.id, kind=c.kind, value=masked(c), verified=c.verified_at is not None,
                             primary=c.is_primary, sign_in=c.sign_in, recovery=c.recovery)
                for c in present_contacts(db, account.id)]
    requests = [PendingRequest(id=r.id, number=r.number, phone=f"{r.phone[:5]} ***-**-{r.phone[-2:]}",
                               created_at=r.created_at)
                for r in open_identity_requests(db, account.id)]
    return VisitView(id=visit.id, document=visit.document, expires_at=visit.expires_at,
                     account=VisitAccount(full_name=account.full_name, level=account.level, contacts=contacts,
                                          requests=requests))


def _receipt(db: Session, account: Account, visit: Visit, locale: str) -> Receipt:
    operator = db.get_one(Operator, visit.operator_id)
    lines = [ReceiptLine(at=datetime.fromisoformat(a["at"]), what=translate(locale, a["msgid"], a["values"]))
             for a in visit.actions]
    return Receipt(visit_id=visit.id, centre=visit.centre, operator=operator.login,
                   citizen=mask_name(account.full_name), document=visit.document, opened_at=visit.opened_at,
                   closed_at=visit.closed_at, lines=lines)
