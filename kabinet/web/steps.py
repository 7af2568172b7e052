"""Where a route's synchronous body runs.

A route is a plain function that parses its input and calls one flow, and the flows are synchronous code over a
SQLAlchemy session (they know nothing of async). FastAPI would run every such route in its thread pool. Routes of
``StepRoute`` hand their body to the store instead (``Store.run``): on PostgreSQL it runs in a greenlet of the event
loop over psycopg's async connection — no thread per request, so steps waiting on a lock do not stall the worker
 — and on SQLite in the thread pool as before (a writer may sleep on the database's lock). Async routes are
left as they are.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.dependencies.utils import get_typed_signature
from fastapi.routing import APIRoute

_REQUEST = "step_request__"
_READS_ONLY = "kabinet_reads_only"


def reads_only(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a route body that only reads the store (a page showing what is there): it runs where a read costs
    least (``Store.run_read``: on SQLite in the event loop, no thread hop — most of what an HTML page cost beyond
    the JSON read). A write inside it fails loudly instead of holding the loop on SQLite's lock."""
    setattr(endpoint, _READS_ONLY, True)
    return endpoint


def as_step(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """An async endpoint with ``endpoint``'s parameters (and the request, to find the store) that runs it through
    ``Store.run``. Idempotent: ``include_router`` builds each route again from its endpoint, by then async."""
    if inspect.iscoroutinefunction(endpoint):
        return endpoint
    signature = inspect.signature(endpoint)
    # FastAPI hands the request to one parameter only: the endpoint's own if it has one, else one added here.
    own = next((p.name for p in get_typed_signature(endpoint).parameters.values() if p.annotation is Request), None)
    name = own or _REQUEST
    read = getattr(endpoint, _READS_ONLY, False)

    @functools.wraps(endpoint)
    async def step(**values: Any) -> Any:
        store = (values[name] if own else values.pop(name)).app.state.kb.ctx.store
        return await (store.run_read if read else store.run)(functools.partial(endpoint, **values))

    if not own:
        request = inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
        signature = signature.replace(parameters=[*signature.parameters.values(), request])
    step.__signature__ = signature  # type: ignore[attr-defined]
    return step


class StepRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, as_step(endpoint), **kwargs)


def step_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=StepRoute, **kwargs)
