"""Identity data (API.md ``PUT /api/v1/identity``): SNILS, passport and birth date; once the state registers
confirm them, a simplified account becomes standard (DOMAIN.md "Account levels").

Why the passport is a keyed hash: it is only ever compared (at a service centre, in a lost-everything
request), so the store keeps an HMAC and two digits to show. A SNILS already on another account gets the same
answer and a support request: a person who knows a stranger's SNILS, passport and birth date learns nothing
from the form, and the real owner's account is never touched.
Confirmed data (a service centre checked the document) change only at a service centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import IdentityLocked, IdentityNotConfirmed
from kabinet.domain.identity import IdentityData, parse_identity
from kabinet.flows.account._api import open_request
from kabinet.flows.shared import relying
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import security_notice
from kabinet.flows.shared.results import AccountView, account_view
from kabinet.store.accounts import snils_elsewhere
from kabinet.store.db import lock_value
from kabinet.store.models import Account
from kabinet.store.models import Session as UserSession
from kabinet.texts import text


def save(ctx: FlowContext, meta: Meta, *, session: UserSession, snils: str, passport: str,
         birth_date: str) -> AccountView:
    data = parse_identity(snils=snils, passport=passport, birth_date=birth_date, today=ctx.clock.now().date())
    with account_step(ctx, session, fresh_factor=True) as (db, account, now):
        if account.level == "confirmed":
            raise IdentityLocked()
        lock_value(db, "snils", data.snils.digits)
        if snils_elsewhere(db, data.snils.digits, account.id):
            open_request(db, account_id=account.id, topic="identity", reference=None, now=now,
                         text="SNILS already on another account: to be checked by an operator")
            record(db, account, EventType.IDENTITY_DUPLICATE, at=now, meta=meta)
            return account_view(account)
        if not ctx.registers.confirms(data, account.full_name):
            record(db, account, EventType.IDENTITY_NOT_CONFIRMED, at=now, meta=meta)
            raise IdentityNotConfirmed()
        _store(ctx, account, data)
        before, account.level = account.level, "standard" if account.level == "simplified" else account.level
        record(db, account, EventType.IDENTITY_SAVED, at=now, meta=meta, level=account.level,
               passport=data.passport.masked)
        security_notice(ctx, db, account, now=now, what=text("identity data were changed"))
        relying.level_changed(ctx, db, account.id, now, before=before, after=account.level)
        return account_view(account)


def _store(ctx: FlowContext, account: Account, data: IdentityData) -> None:
    account.snils = data.snils.digits
    account.passport_hash = ctx.hasher.digest("passport", data.passport.digits)
    account.passport_hint = data.passport.number[-2:]
    account.birth_date = data.birth_date


@dataclass(frozen=True)
class IdentityView:
    """Masked: the passport itself is never kept, only its keyed hash and two digits."""

    level: str
    snils: str | None
    passport: str | None
    birth_date: date | None
    editable: bool


def show(ctx: FlowContext, *, session: UserSession) -> IdentityView:
    """What the Security page shows: masked, never the passport itself (it is not kept)."""
    with ctx.store.read() as db:
        account = db.get_one(Account, session.account_id)
        snils = account.snils
        return IdentityView(level=account.level, snils=f"***-***-{snils[6:9]} {snils[9:]}" if snils else None,
                            passport=f"•• •• ••••{account.passport_hint}" if account.passport_hint else None,
                            birth_date=account.birth_date, editable=account.level != "confirmed")
