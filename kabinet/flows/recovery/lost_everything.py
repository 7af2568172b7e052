"""Lost every contact (API.md ``POST /api/v1/recovery/identity``): SNILS, passport, birth date and a new
phone open a request that only a service-centre operator completes, in person, with the passport in hand.

Why the answer never varies: whether the data match an account or not, the citizen gets a request number and
the same words; a non-matching request is kept (without the identity data) and simply can never be
completed. At most three tries per SNILS a day (DOMAIN.md). A matching one is told to every channel the
account still has, so an owner who did not ask hears of it while the visit is still ahead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import parse_all
from kabinet.domain.identity import IdentityData, parse_identity
from kabinet.domain.phone import Phone, parse_phone
from kabinet.flows.shared.accounts import passport_matches, write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import security_notice
from kabinet.policy import IDENTITY_REQUEST_TTL
from kabinet.security.tokens import new_number
from kabinet.store.accounts import id_by_snils
from kabinet.store.models import Account, IdentityRequest
from kabinet.texts import text


@dataclass(frozen=True)
class RequestView:
    id: uuid.UUID
    number: str  # read out at the counter: 4815-162342
    state: str
    expires_at: datetime


@dataclass(frozen=True)
class Filed:
    request: RequestView


def request(ctx: FlowContext, meta: Meta, *, snils: str, passport: str, birth_date: str, phone: str) -> Filed:
    data, number = _parse(ctx, snils=snils, passport=passport, birth_date=birth_date, phone=phone)
    ctx.limiter.hit_all([("recovery.identity.snils", data.snils.digits), ("recovery.identity.ip", meta.ip or "-")])
    with write_step(ctx, lambda db: id_by_snils(db, data.snils.digits)) as (db, account, now):
        matched = account is not None and _matches(ctx, account, data)
        req = IdentityRequest(id=uuid.uuid4(), number=new_number(), account_id=account.id if matched and account
                              else None, phone=number.e164, state="awaiting_visit",
                              expires_at=now + IDENTITY_REQUEST_TTL, created_at=now)
        db.add(req)
        if matched and account is not None:
            record(db, account, EventType.IDENTITY_REQUESTED, at=now, meta=meta, number=req.number,
                   phone=number.masked)
            security_notice(ctx, db, account, now=now, what=text(
                "request No. {number} to recover access at a service centre was filed", number=req.number))
        return Filed(request=RequestView(id=req.id, number=req.number, state=req.state, expires_at=req.expires_at))


def _parse(ctx: FlowContext, *, snils: str, passport: str, birth_date: str, phone: str) -> tuple[IdentityData, Phone]:
    today = ctx.clock.now().date()
    parsed = parse_all(identity=lambda: parse_identity(snils=snils, passport=passport, birth_date=birth_date,
                                                       today=today), phone=lambda: parse_phone(phone))
    return parsed["identity"], parsed["phone"]


def _matches(ctx: FlowContext, account: Account, data: IdentityData) -> bool:
    return passport_matches(ctx, account, data.passport) and account.birth_date == data.birth_date

