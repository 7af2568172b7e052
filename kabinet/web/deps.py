"""Request-scoped pieces as ``Annotated`` aliases, so routes read like prose (STYLE.md)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Request, Response, Security
from fastapi.security import APIKeyCookie, HTTPBearer
from sqlalchemy import Connection
from sqlalchemy.orm import Session as DbSession

from kabinet import logs
from kabinet.audit.events import Meta
from kabinet.domain.errors import NotSignedIn, OperatorAuthRequired
from kabinet.flows.account import language
from kabinet.policy import OPERATOR_SESSION_ABSOLUTE, SESSION_ABSOLUTE
from kabinet.security import operator_sessions, sessions
from kabinet.security.tokens import Hasher
from kabinet.store.models import OperatorSession
from kabinet.store.models import Session as UserSession
from kabinet.web.parts import Parts
from kabinet.web.problems import chosen_locale

S = TypeVar("S", UserSession, OperatorSession)
COOKIE = "kabinet_session"
DEVICE_COOKIE = "kabinet_device"  # a browser the account has been signed in from (flows.access._devices)
DEVICE_COOKIE_DAYS = 400  # as long as browsers keep a cookie (RFC 6265bis caps at 400 days)
OPERATOR_COOKIE = "kabinet_operator"


# Dependencies that do no I/O are ``async``: FastAPI runs each sync dependency in the thread pool, and a thread
# hop per trivial function costs more than the function.


async def get_kb(request: Request) -> Parts:
    return request.app.state.kb


async def get_meta(request: Request) -> Meta:
    ua = request.headers.get("user-agent")
    chosen = chosen_locale(request)
    device = request.cookies.get(DEVICE_COOKIE, "")
    known = 16 <= len(device) <= 64 and device.replace("-", "").replace("_", "").isalnum()
    return Meta(ip=request.client.host if request.client else None, user_agent=ua[:300] if ua else None,
                locale=chosen or "ru", chosen_locale=chosen, device=device if known else secrets.token_urlsafe(24),
                device_new=not known)


def session_token(request: Request, cookie: str = COOKIE) -> str | None:
    """``Authorization: Bearer`` first (API clients), else the browser's cookie."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.cookies.get(cookie)


# The security schemes a client sees in OpenAPI (``document_sessions``); the token itself is read by
# ``session_token``. Not dependencies of ``optional_session``: FastAPI would resolve both on every request only to
# document them (~0.1 ms of a ~1 ms read).
SCHEMES = {"HTTPBearer": HTTPBearer(auto_error=False, description="The session token from sign-in"),
           "APIKeyCookie": APIKeyCookie(name=COOKIE, auto_error=False, description="The browser's session cookie")}


async def optional_session(request: Request, kb: Annotated[Parts, Depends(get_kb)]) -> UserSession | None:
    """The citizen's live session; when the request asks for another language than the session's last requests
    did, the account's language follows (every message is then written in it) — one write, only on a change."""
    token = session_token(request)
    row = await _live(kb, token, sessions.find, sessions.needs_touch, sessions.touch) if token else None
    if row is not None and (chosen := chosen_locale(request)) is not None and chosen != row.locale:
        await kb.ctx.store.run(language.follow, kb.ctx, await get_meta(request), session=row, locale=chosen)
    return row


async def _live(kb: Parts, token: str, find: Callable[[Connection, Hasher, str, datetime], S | None],
                needs_touch: Callable[[S, datetime], bool],
                touch: Callable[[DbSession, S, datetime], None]) -> S | None:
    """A live session (a citizen's or an operator's) by its token, touched at most once a minute. The lookup runs
    where a read costs least; the touch is a write, which may wait for SQLite's lock: never in the loop there."""
    now = kb.ctx.clock.now()

    def found() -> S | None:
        with kb.ctx.store.rows() as conn:
            return find(conn, kb.ctx.hasher, token, now)

    row = await kb.ctx.store.run_read(found)
    scope = logs.CURRENT.get()
    if row is not None and scope is not None:  # the access line names whose request it was, as a keyed hash
        who = getattr(row, "account_id", None) or getattr(row, "operator_id", None)
        scope.account = kb.ctx.hasher.digest("log", str(who))[:16]
    if row is not None and needs_touch(row, now):
        def touched() -> None:
            with kb.ctx.store.write() as db:
                touch(db, row, now)

        await kb.ctx.store.run(touched)
    return row


async def current_session(session: Annotated[UserSession | None, Depends(optional_session)]) -> UserSession:
    if session is None:
        raise NotSignedIn()
    return session


def set_session_cookie(response: Response, kb: Parts, token: str, meta: Meta | None = None) -> None:
    """The session cookie of a completed sign-in, and for a browser that had none the device cookie its sign-in
    was noted under (a sign-in from it later is a known device's)."""
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=kb.settings.secure_cookies,
                        max_age=int(SESSION_ABSOLUTE.total_seconds()), path="/")
    if meta is not None and meta.device_new and meta.device:
        response.set_cookie(DEVICE_COOKIE, meta.device, httponly=True, samesite="lax", path="/",
                            secure=kb.settings.secure_cookies, max_age=DEVICE_COOKIE_DAYS * 86400)


def set_operator_cookie(response: Response, kb: Parts, token: str) -> None:
    """The console's session cookie: scoped to /operator and SameSite=Strict, so no other page ever carries it."""
    response.set_cookie(OPERATOR_COOKIE, token, httponly=True, samesite="strict", secure=kb.settings.secure_cookies,
                        max_age=int(OPERATOR_SESSION_ABSOLUTE.total_seconds()), path="/operator")


def clear_session_cookie(response: Response, kb: Parts) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=kb.settings.secure_cookies)


Kb = Annotated[Parts, Depends(get_kb)]
RequestMeta = Annotated[Meta, Depends(get_meta)]
CurrentSession = Annotated[UserSession, Depends(current_session)]
MaybeSession = Annotated[UserSession | None, Depends(optional_session)]


async def optional_operator(request: Request, kb: Annotated[Parts, Depends(get_kb)]) -> OperatorSession | None:
    """The operator's session from ``Authorization: Bearer`` (or the console's cookie); a citizen's token finds
    nothing here, an operator's finds nothing among citizens' sessions."""
    token = session_token(request, OPERATOR_COOKIE)
    return await _live(kb, token, operator_sessions.find_operator_session, operator_sessions.needs_touch,
                       operator_sessions.touch) if token else None


async def current_operator(row: Annotated[OperatorSession | None, Depends(optional_operator)],
                           _b: Annotated[object, Security(SCHEMES["HTTPBearer"])] = None) -> OperatorSession:
    if row is None:
        raise OperatorAuthRequired()
    return row


async def any_caller(request: Request, kb: Annotated[Parts, Depends(get_kb)],
                     session: Annotated[UserSession | None, Depends(optional_session)],
                     ) -> UserSession | OperatorSession | None:
    """Who answers a code: a citizen's session, else an operator's (looked up only when there is no citizen's)."""
    return session if session is not None else await optional_operator(request, kb)


CurrentOperator = Annotated[OperatorSession, Depends(current_operator)]
MaybeOperator = Annotated[OperatorSession | None, Depends(optional_operator)]
AnyCaller = Annotated[UserSession | OperatorSession | None, Depends(any_caller)]
