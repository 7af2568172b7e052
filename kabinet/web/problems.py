"""Errors as RFC 9457 ``application/problem+json``: stable ``code``, a title in the caller's language,
per-field ``errors`` and a ``reference`` that is also in the server log (S11)."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from kabinet.domain.errors import InvalidInput, InvalidInputs, KabinetError, NotFound

log = logging.getLogger("kabinet.web")
PROBLEM = "application/problem+json"


def locale_of(request: Request) -> str:
    """Russian by default; English when the caller prefers it (first tag of Accept-Language)."""
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    if chosen in ("ru", "en"):
        return chosen
    header = request.headers.get("accept-language", "")
    first = header.split(",")[0].split(";")[0].strip().lower()
    return "en" if first.startswith("en") else "ru"


def new_reference() -> str:
    return secrets.token_hex(6)


def problem(request: Request, error: KabinetError, *, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    locale = locale_of(request)
    reference = new_reference()
    body: dict[str, Any] = {"type": f"urn:kabinet:problem:{error.code}", "code": error.code,
                            "title": error.title(locale), "status": error.status, "reference": reference}
    body.update(error.extra)
    if errors is None and isinstance(error, InvalidInputs):
        errors = [{"field": e.field, "code": e.code, "message": e.title(locale)} for e in error.problems]
    if errors is None and error.field:
        errors = [{"field": error.field, "code": error.code, "message": error.title(locale)}]
    if errors:
        body["errors"] = errors
    if error.status >= 500:
        log.error("problem %s ref=%s", error.code, reference)
    else:
        log.info("problem %s ref=%s %s %s", error.code, reference, request.method, request.url.path)
    headers = {"Retry-After": str(error.extra["retry_after"])} if "retry_after" in error.extra else None
    if "resend_after" in error.extra:
        headers = {"Retry-After": str(error.extra["resend_after"])}
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM, headers=headers)


async def on_kabinet_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, KabinetError)
    return problem(request, exc)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    locale = locale_of(request)
    error = InvalidInput()
    fields = [{"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or "body", "code": "input.invalid",
               "message": error.title(locale)} for e in exc.errors()]
    return problem(request, error, errors=fields)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return problem(request, NotFound())
    body = {"type": "about:blank", "code": f"http.{exc.status_code}", "title": str(exc.detail),
            "status": exc.status_code, "reference": new_reference()}
    return JSONResponse(body, status_code=exc.status_code, media_type=PROBLEM)


async def on_crash(request: Request, exc: Exception) -> JSONResponse:
    reference = new_reference()
    log.exception("unhandled error ref=%s %s %s", reference, request.method, request.url.path)
    error = KabinetError()
    return JSONResponse({"type": "about:blank", "code": error.code, "title": error.title(locale_of(request)),
                         "status": 500, "reference": reference}, status_code=500, media_type=PROBLEM)
