"""Health for load balancers and orchestrators (API.md, Health).

``/health/live`` says only that the process answers (no I/O): an orchestrator restarts a process that stops
answering it, and must not restart every instance because the database is away. ``/health/ready`` says whether this
instance can serve a citizen now — the database answers within ``BOUND_S`` and its schema is at this code's
migration, Redis answers when it is configured, the service key is loaded — so a load balancer sends requests only to
instances that can serve them. Neither is rate-limited or written to the access log (``kabinet.logs``), and neither
tells more than which check failed.

The checks run on the asyncio executor, not the request threads: a probe must answer even when every request thread
is busy (SQLite) and must give up after ``BOUND_S`` however the database hangs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kabinet.store.migrate import HEAD, current_revision
from kabinet.web.parts import Parts

router = APIRouter(include_in_schema=False)
BOUND_S = 2.0
PATHS = ("/health/live", "/health/ready")


@router.get("/health/live")
async def live() -> JSONResponse:
    return JSONResponse({"status": "live"})


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    kb: Parts = request.app.state.kb
    failed: list[str] = []
    revision = await _bounded(lambda: current_revision(kb.ctx.store.engine))
    if revision is _FAILED:
        failed.append("database")
    elif revision != HEAD:
        failed.append("migrations")
    if kb.ctx.limiter.shared and await _bounded(kb.ctx.limiter.shared_answers) is not True:
        failed.append("redis")
    if len(kb.settings.key) != 32:
        failed.append("secret_key")
    if failed:
        return JSONResponse({"status": "unready", "failed": failed}, status_code=503)
    return JSONResponse({"status": "ready"})


_FAILED = object()


async def _bounded(check: Callable[[], object]) -> object:
    """The check's answer, or ``_FAILED`` when it raised or took longer than ``BOUND_S`` (the thread is left to end
    on the driver's own timeout; the probe answers now)."""
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(loop.run_in_executor(None, check), BOUND_S)
    except Exception:
        return _FAILED
