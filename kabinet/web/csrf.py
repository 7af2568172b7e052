"""CSRF for the pages: a random per-browser token in a SameSite=Strict cookie, repeated in a hidden field of
every form and compared in constant time (double submit). The JSON API needs none: it takes JSON bodies or a
bearer token, which a foreign page cannot send with the citizen's cookie."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from kabinet.domain.errors import KabinetError

COOKIE = "kabinet_csrf"
FIELD = "csrf_token"


class CsrfFailed(KabinetError):
    code = "csrf.failed"
    title = "The form has expired. Reload the page and try again"


def token_for(request: Request) -> str:
    """The browser's token, made on first sight (stored by ``remember``)."""
    token = request.cookies.get(COOKIE) or getattr(request.state, "csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.csrf = token
    return token


def remember(request: Request, response: Response, secure: bool) -> None:
    new = getattr(request.state, "csrf", None)
    if new and not request.cookies.get(COOKIE):
        response.set_cookie(COOKIE, new, httponly=True, samesite="strict", secure=secure, path="/")


async def check(request: Request) -> None:
    form = await request.form()
    sent = str(form.get(FIELD, ""))
    cookie = request.cookies.get(COOKIE, "")
    if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise CsrfFailed()
