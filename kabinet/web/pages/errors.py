"""Errors on pages are pages (S11): what happened in plain words, the reference that is also in the log, and a
form to send it to support. The JSON API keeps answering problem+json."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from kabinet.domain.errors import KabinetError, NotFound, Unavailable
from kabinet.store.db import RETRY_AFTER_S, database_gone
from kabinet.web import problems
from kabinet.web.problems import locale_of, new_reference, status_of, title_of
from kabinet.web.templating import render

log = logging.getLogger("kabinet.web")


# Machine-to-machine endpoints (relying services, their libraries, monitoring): never a page, even for a fault the
# endpoint itself does not answer in its protocol's shape (the database away: a problem body with Retry-After).
MACHINE = ("/api/", "/dev/", "/static/", "/.well-known/", "/ssf/", "/oidc/token", "/oidc/userinfo", "/oidc/jwks",
           "/oidc/revoke", "/oidc/introspect", "/oidc/par")


def is_page(request: Request) -> bool:
    """Whether an error here is shown as a page (a citizen's browser) or a problem body (a program)."""
    return not request.url.path.startswith(MACHINE)


def _page(request: Request, title: str, status: int, retry_after: object = None) -> Response:
    reference = new_reference()
    (log.warning if status == 503 else log.info)("page error %s ref=%s %s %s", status, reference, request.method,
                                                  request.url.path)
    page = render(request, "error.html", status=status, title=title, reference=reference,
                  signed_in=request.cookies.get("kabinet_session") is not None)  # the heading follows the status
    if retry_after is not None:
        page.headers["Retry-After"] = str(retry_after)
    return page


async def on_kabinet_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KabinetError)
    if not is_page(request):
        return await problems.on_kabinet_error(request, exc)
    return _page(request, title_of(exc, locale_of(request)), status_of(exc),
                 exc.extra.get("retry_after") if status_of(exc) in (429, 503) else None)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not is_page(request):
        return await problems.on_http_error(request, exc)
    title = title_of(NotFound(), locale_of(request)) if exc.status_code == 404 else str(exc.detail)
    page = _page(request, title, exc.status_code)
    page.headers.update(exc.headers or {})  # a 405 says which methods are allowed (RFC 9110 §15.5.6)
    return page


async def on_crash(request: Request, exc: Exception) -> Response:
    if not is_page(request):
        return await problems.on_crash(request, exc)
    if database_gone(exc):
        return await on_kabinet_error(request, Unavailable(retry_after=RETRY_AFTER_S))
    reference = new_reference()
    log.exception("unhandled error ref=%s %s %s", reference, request.method, request.url.path)
    return render(request, "error.html", status=500, title=title_of(KabinetError(), locale_of(request)),
                  reference=reference, signed_in=False)


async def on_sign_in_first(request: Request, exc: Exception) -> Response:
    """A page that needs a session: to the sign-in page, which says why and leads back to the page asked for
    (a GET only: a form posted with an expired session cannot be replayed by a redirect)."""
    if request.method != "GET":
        return RedirectResponse("/sign-in?asked=1", status_code=303)
    asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?asked=1&next={quote(asked, safe='')}", status_code=303)


async def on_console_sign_in_first(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/operator", status_code=303)


async def on_console_password_first(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/operator/password", status_code=303)
