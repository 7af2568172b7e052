"""The apps ``bench.floor`` serves, each a factory in this module of few imports, so a server process holds what
its app needs and no more (the driver's httpx and SMTP server stay in the driver)."""

from __future__ import annotations

import os

HEADERS = {"content-security-policy": "default-src 'self'", "x-content-type-options": "nosniff",
           "referrer-policy": "same-origin", "x-frame-options": "DENY", "cache-control": "no-store"}
BODY = ("<!doctype html><p>" + "x" * max(0, int(os.environ.get("FLOOR_BYTES", "9000")) - 18)).encode()
_BLOCK = bytearray()


def starlette():
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    async def page(_request) -> HTMLResponse:
        return HTMLResponse(BODY, headers=HEADERS)

    return Starlette(routes=[Route("/settings/contacts", page)])


def fastapi():
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    async def page() -> HTMLResponse:
        return HTMLResponse(BODY, headers=HEADERS)

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_api_route("/settings/contacts", page, response_class=HTMLResponse)
    return app


def stack():
    """The bare FastAPI route in a process holding what a Kabinet web worker imports from its field libraries,
    with Babel's two locales loaded and one Argon2 working block, as a worker that has verified a password keeps
    (``kabinet.security.argon2_block``): the memory floor of the stack, before any of Kabinet's own code."""
    from datetime import UTC, datetime

    import argon2
    import babel.dates
    import email_validator  # noqa: F401
    import jinja2  # noqa: F401
    import phonenumbers  # noqa: F401
    import pydantic  # noqa: F401
    import sqlalchemy.ext.asyncio
    import sqlalchemy.orm  # noqa: F401
    from babel import Locale

    for locale in ("ru", "en"):
        babel.dates.format_datetime(datetime.now(UTC), locale=locale)
        Locale.parse(locale).territories.get("RU")
    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    hasher.verify(hasher.hash("warm"), "warm")
    global _BLOCK
    _BLOCK = bytearray(19 * 1024 * 1024)
    for i in range(0, len(_BLOCK), 4096):
        _BLOCK[i] = 1
    return fastapi()
