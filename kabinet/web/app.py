"""The FastAPI application: routers, the error table, limits and headers. Built from a ``Kabinet``
(the composition root), so tests and the CLI wire the same thing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from kabinet import flows  # noqa: F401 - registers every flow's confirm handler
from kabinet.delivery import worker
from kabinet.domain.errors import KabinetError
from kabinet.memory import pin_mmap_threshold
from kabinet.web import api_docs, dev, health, metrics, problems
from kabinet.web.api import auth, contacts, operator, passkeys, recovery, requests, security, trusted
from kabinet.web.deps import COOKIE
from kabinet.web.middleware import BodyLimit, CrossSiteApiWrites, RequestIds, SecurityHeaders
from kabinet.web.oidc import authorization as oidc_authorization
from kabinet.web.oidc import endpoints as oidc_endpoints
from kabinet.web.oidc import logout as oidc_logout
from kabinet.web.oidc import streams as oidc_streams
from kabinet.web.pages import account as pages_account
from kabinet.web.pages import auth as pages_auth
from kabinet.web.pages import contacts as pages_contacts
from kabinet.web.pages import errors as page_errors
from kabinet.web.pages import operator as pages_operator
from kabinet.web.pages import operator_keys as pages_operator_keys
from kabinet.web.pages import recovery as pages_recovery
from kabinet.web.pages import security as pages_security
from kabinet.web.pages import trusted as pages_trusted
from kabinet.web.pages.common import SignInFirst
from kabinet.web.parts import Parts

log = logging.getLogger("kabinet.web")
THREADS = 8


def create_app(kb: Parts) -> FastAPI:
    pin_mmap_threshold()
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in anyio's thread pool (40 threads by default). On 2 cores more threads only fight over
        # the GIL; a few keep the CPU busy while one waits on the database.
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        running = worker.start_thread(kb.courier) if kb.settings.outbox == "inline" else None
        yield
        if running is not None:  # let sends under way finish and record their outcome
            thread, stop = running
            stop.set()
            kb.courier.wake.set()
            await asyncio.to_thread(thread.join, kb.settings.graceful_s + 5)
        await kb.ctx.store.aclose()  # the async connections close in the loop they served

    app = FastAPI(title="Kabinet", version="0.1.0", lifespan=lifespan, docs_url=None,
                  openapi_url="/api/openapi.json", redoc_url=None)
    api_docs.mount(app)
    app.state.kb = kb
    app.add_exception_handler(KabinetError, page_errors.on_kabinet_error)
    app.add_exception_handler(RequestValidationError, problems.on_validation_error)
    app.add_exception_handler(HTTPException, page_errors.on_http_error)
    app.add_exception_handler(Exception, page_errors.on_crash)
    app.add_exception_handler(SignInFirst, page_errors.on_sign_in_first)
    app.add_exception_handler(pages_operator.ConsoleSignInFirst, page_errors.on_console_sign_in_first)
    app.add_exception_handler(pages_operator.ConsolePasswordFirst, page_errors.on_console_password_first)
    # FastAPI tries included routers in this order, each route in turn: what a citizen opens most comes first (the
    # contact page and list, sign-in, Security) — a request for the last router's path tried ~200 routes first.
    for router in (pages_contacts.router, contacts.router, auth.router, pages_auth.router, pages_security.router,
                   security.router, pages_account.router, recovery.router, operator.router, requests.router,
                   trusted.router, passkeys.router, pages_recovery.router,
                   pages_operator.router, pages_operator_keys.router, pages_trusted.router, oidc_endpoints.router,
                   oidc_authorization.router, oidc_logout.router, oidc_streams.router, metrics.router, health.router):
        app.include_router(router)
    if kb.settings.dev:
        app.include_router(dev.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    icon = Path(__file__).parent / "static" / "favicon.ico"
    app.add_api_route("/favicon.ico", lambda: FileResponse(icon, media_type="image/x-icon",
                                                           headers={"Cache-Control": "public, max-age=604800"}),
                      include_in_schema=False)
    # The last added runs first: headers wrap every answer, the 413 and the cross-site refusal included.
    app.add_middleware(CrossSiteApiWrites, cookie=COOKIE)
    app.add_middleware(BodyLimit, limit=64 * 1024)
    app.add_middleware(SecurityHeaders, hsts=kb.settings.secure_cookies)
    app.add_middleware(RequestIds, access_log=kb.settings.access_log)  # outermost: its id is on every line
    return app
