"""The citizen's language: a setting of the account, used for every message — codes, letters, notices —
not only for the pages of the browser that chose it. It follows the language its owner last used,
however it was chosen: the language link, or the browser's own language."""

from __future__ import annotations

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import InvalidInput
from kabinet.flows.shared.accounts import account_step, set_language
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.results import AccountView, account_view
from kabinet.security.sessions import set_session_locale
from kabinet.store.models import Session as UserSession
from kabinet.texts import LOCALES


def follow(ctx: FlowContext, meta: Meta, *, session: UserSession, locale: str) -> None:
    """The owner's requests ask for another language than this session's last ones (the link, the cookie, the
    browser): the account's language follows, so the next code or notice is written in the language they read."""
    if locale not in LOCALES:
        return
    with account_step(ctx, session) as (db, account, now):
        set_session_locale(db, session.id, locale)
        set_language(db, account, locale, now, meta)
    session.locale = locale


def choose(ctx: FlowContext, meta: Meta, *, session: UserSession, locale: str) -> AccountView:
    if locale not in LOCALES:
        raise InvalidInput(field="locale")
    with account_step(ctx, session) as (db, account, now):
        if account.locale != locale:
            before, account.locale = account.locale, locale
            record(db, account, EventType.LANGUAGE_CHOSEN, at=now, meta=meta, before=before, after=locale)
        return account_view(account)
