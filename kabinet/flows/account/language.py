"""The citizen's language (issue 13): a setting of the account, used for every message — codes, letters, notices —
not only for the pages of the browser that chose it. Switching the pages' language while signed in sets it."""

from __future__ import annotations

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import InvalidInput
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.views import AccountView, account_view
from kabinet.store.models import Session as UserSession
from kabinet.texts import LOCALES


def choose(ctx: FlowContext, meta: Meta, *, session: UserSession, locale: str) -> AccountView:
    if locale not in LOCALES:
        raise InvalidInput(field="locale")
    with account_step(ctx, session) as (db, account, now):
        if account.locale != locale:
            before, account.locale = account.locale, locale
            record(db, account, EventType.LANGUAGE_CHOSEN, at=now, meta=meta, before=before, after=locale)
        return account_view(account)
