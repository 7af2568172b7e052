"""Pure ASGI middleware: a request body limit, cross-site API writes refused, security headers on every answer."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kabinet import logs
from kabinet.domain.errors import CrossSiteRefused, RequestTooLarge
from kabinet.web.problems import PROBLEM, locale_of, new_reference, status_of, title_of


class BodyLimit:
    """Refuse a body over ``limit`` bytes with 413, whether or not Content-Length tells the truth."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, scope)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send, scope)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, scope: Scope) -> None:
    await _problem(send, scope, RequestTooLarge())


async def _problem(send: Send, scope: Scope, error: RequestTooLarge | CrossSiteRefused) -> None:
    title = title_of(error, locale_of(Request(scope)))
    body = json.dumps({"type": f"urn:kabinet:problem:{error.code}", "code": error.code, "title": title,
                       "status": status_of(error), "reference": new_reference()}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status_of(error),
                "headers": [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class CrossSiteApiWrites:
    """An API write that rides on the session cookie must come from this site: a browser says where a request
    comes from (Origin, Sec-Fetch-Site), and a page elsewhere must not be able to post with the citizen's
    cookie. Bearer-token clients carry no ambient credential and are left alone; pages have CSRF tokens."""

    def __init__(self, app: ASGIApp, cookie: str) -> None:
        self.app, self.cookie = app, cookie.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._refused(scope):
            await _problem(send, scope, CrossSiteRefused())
            return
        await self.app(scope, receive, send)

    def _refused(self, scope: Scope) -> bool:
        if scope["method"] in SAFE_METHODS or not scope["path"].startswith("/api/"):
            return False
        headers = dict(scope["headers"])
        if b"authorization" in headers or self.cookie + b"=" not in headers.get(b"cookie", b""):
            return False
        site = headers.get(b"sec-fetch-site")
        if site is not None and site not in (b"same-origin", b"none"):
            return True
        origin = headers.get(b"origin")
        return origin is not None and origin.split(b"://", 1)[-1] != headers.get(b"host", b"")


def csp(*form_action: str) -> str:
    """The site's Content-Security-Policy. ``form-action`` names 'self', and on a page whose form leads into a
    redirect to a relying service (the consent, the code page of a service's sign-in, the logout confirmation) that
    service's origin too: Chromium checks every redirect of a form's navigation against the form page's policy."""
    sources = " ".join(("'self'", *form_action))
    return (f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
            f"frame-ancestors 'none'; form-action {sources}; base-uri 'none'")


HEADERS = [
    (b"content-security-policy", csp().encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app = app
        self.extra = [(b"strict-transport-security", b"max-age=31536000; includeSubDomains")] if hsts else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    h for h in HEADERS + self.extra if h[0] not in names]
            await send(message)

        await self.app(scope, receive, with_headers)




ACCESS = logging.getLogger("kabinet.access")
_INCOMING_ID = re.compile(rb"[A-Za-z0-9._-]{8,32}")


class RequestIds:
    """Every request gets an id: the load balancer's ``X-Request-ID`` when it sends a sane one, else a new one. It
    is answered back in ``X-Request-ID``, ends every log line written while the request is served, is the reference
    an error shows (``problems.new_reference``) and is kept with each message the request queued. With
    ``access_log``, one line per request — method, route (the template, never a path with a token in it), status,
    duration, the hashed account — except the health probes."""

    def __init__(self, app: ASGIApp, access_log: bool) -> None:
        self.app, self.access_log = app, access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"")
        rid = incoming.decode() if _INCOMING_ID.fullmatch(incoming) else secrets.token_hex(6)
        token = logs.CURRENT.set(logs.RequestScope(rid))
        status, started = 500, time.perf_counter()

        async def with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            if self.access_log and not scope["path"].startswith("/health/"):
                route = getattr(scope.get("route"), "path", None) or "-"
                ms = round((time.perf_counter() - started) * 1000, 1)
                ACCESS.info("%s %s %s %.1f ms", scope["method"], route, status, ms,
                            extra={"method": scope["method"], "route": route, "status": status, "duration_ms": ms})
            logs.CURRENT.reset(token)
