"""Errors as RFC 9457 ``application/problem+json``: stable ``code``, a title in the caller's language,
per-field ``errors`` and a ``reference`` that is also in the server log (S11)."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from babel.dates import format_timedelta
from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from kabinet.domain.errors import InvalidInput, InvalidInputs, KabinetError, NotFound, Unavailable
from kabinet.domain.oauth import ui_locale
from kabinet.logs import request_id
from kabinet.store.db import RETRY_AFTER_S, database_gone
from kabinet.texts import translate

log = logging.getLogger("kabinet.web")
PROBLEM = "application/problem+json"

# The HTTP status of every error code: the one place HTTP meets the domain's errors.
STATUS: dict[str, int] = {
    "error": 400, "input.invalid": 422, "phone.invalid": 422, "phone.not_mobile": 422, "phone.foreign": 422,
    "email.invalid": 422, "email.local_not_ascii": 422, "email.too_long": 422, "link.used": 410,
    "snils.invalid": 422, "snils.checksum": 422, "passport.invalid": 422, "birth_date.invalid": 422,
    "password.weak": 422, "name.invalid": 422, "identity.not_confirmed": 422,
    "auth.failed": 401, "auth.required": 401,
    "auth.step_up_required": 403, "auth.account_locked": 403, "csrf.failed": 403, "request.cross_site": 403,
    "recovery.not_found": 404, "session.not_found": 404, "challenge.not_found": 404, "contact.not_found": 404,
    "not_found": 404,
    "recovery.visit_required": 409, "identity.locked": 409, "contact.not_verified": 409,
    "contact.already_added": 409, "contact.guard": 409, "contact.no_confirmation_channel": 409,
    "contact.taken": 409, "contact.bounced": 409,
    "contact.setting_refused": 409, "contact.recovery_setting_refused": 409, "conflict": 409,
    "contact.already_verified": 409,
    "challenge.expired": 410, "challenge.used": 410, "challenge.too_many_attempts": 410,
    "recovery.proof_wrong": 400, "challenge.code_wrong": 400, "link.invalid": 400,
    "request.too_large": 413, "unavailable": 503,
    "rate_limited": 429, "challenge.resend_too_soon": 429,
    "operator.auth_required": 401, "visit.not_found": 404, "visit.no_match": 404, "reason.required": 422,
    "request.not_found": 404, "operator.supervisor_only": 403,
    "recovery.waiting": 409, "contact.too_new": 409, "trusted.self": 422, "trusted.pending": 409,
    "trusted.not_found": 404, "trusted.not_confirmed": 409, "trusted.underage": 409, "trusted.too_many": 409,
    "trusted.keep_refused": 409, "approval.not_found": 404,
    "passkey.refused": 401, "passkey.cloned": 401, "passkey.invalid": 400, "passkey.exists": 409,
    "passkey.last": 409, "passkey.not_found": 404, "passkey.name_invalid": 422, "passkey.unavailable": 409,
    "operator.sign_in_again": 403,
}


def status_of(error: KabinetError) -> int:
    return STATUS[error.code]


# What each rate limit is about, in words: "Too many wrong passwords for this account. Try again in …".
LIMITS_ABOUT: dict[str, str] = {
    "sign_in.login": "wrong passwords for this account", "sign_in.ip": "wrong passwords from your network",
    "code.check.ip": "wrong codes from your network", "code.check.account": "wrong codes for this account",
    "send.owner.destination": "codes sent to this number within an hour",
    "send.owner.account": "codes sent for this account within an hour",
    "send.register.destination": "registration codes sent to this number",
    "send.register.prefix": "registration codes sent to numbers like this one",
    "send.recovery.destination": "recovery codes sent to this contact",
    "send.recovery.account": "recovery codes sent for this account today",
    "send.anonymous.ip": "codes requested from your network",
    "send.new_contact.destination": "codes sent to this new number",
    "send.new_contact.account": "new numbers added today",
    "code.send.destination": "letters sent to this address within an hour",
    "mail.unverified.account": "letters to unconfirmed addresses today",
    "recovery.ip": "recoveries started from your network", "recovery.login": "recoveries of this account",
    "register.ip": "registrations from your network",
}


def title_of(error: KabinetError, locale: str) -> str:
    """The error's title in the caller's language, its ``{fields}`` filled from the error's values; a wait is
    said in words ("56 minutes", "56 минут"), not seconds."""
    values = dict(error.extra)
    seconds = values.get("retry_after", values.get("resend_after"))
    if isinstance(seconds, int | float):
        values["wait"] = format_timedelta(timedelta(seconds=max(1, int(seconds))), locale=locale, threshold=1.5)
    if error.code == "rate_limited":
        values["about"] = translate(locale, LIMITS_ABOUT.get(str(values.get("limit")), "attempts"))
    return translate(locale, error.title, values)


def locale_of(request: Request) -> str:
    """Russian by default; English when the caller prefers it (first tag of Accept-Language)."""
    return chosen_locale(request) or "ru"


def chosen_locale(request: Request) -> str | None:
    """The language the request asks for — the language link, the cookie it leaves, else the browser's first
    Accept-Language tag — or None when it says nothing (an API client sending no Accept-Language)."""
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    if chosen in ("ru", "en"):
        return chosen
    if (asked := ui_locale(request.query_params.get("ui_locales", ""))) is not None:  # a relying service's word
        return asked
    header = request.headers.get("accept-language", "")
    if not header:
        return None
    first = header.split(",")[0].split(";")[0].strip().lower()
    return "en" if first.startswith("en") else "ru"


def new_reference() -> str:
    """The reference a citizen quotes to support: the request's id (in every log line of the request), else new."""
    return request_id() or secrets.token_hex(6)


def problem(request: Request, error: KabinetError, *, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    locale = locale_of(request)
    reference = new_reference()
    body: dict[str, Any] = {"type": f"urn:kabinet:problem:{error.code}", "code": error.code,
                            "title": title_of(error, locale), "status": status_of(error), "reference": reference}
    body.update(error.extra)
    if errors is None and isinstance(error, InvalidInputs):
        errors = [{"field": e.field, "code": e.code, "message": title_of(e, locale)} for e in error.problems]
    if errors is None and error.field:
        errors = [{"field": error.field, "code": error.code, "message": title_of(error, locale)}]
    if errors:
        body["errors"] = errors
    if status_of(error) == 503:  # a known state (the database is away), not a bug: one line, no traceback
        log.warning("problem %s ref=%s %s %s", error.code, reference, request.method, request.url.path)
    elif status_of(error) >= 500:
        log.error("problem %s ref=%s", error.code, reference)
    else:
        log.info("problem %s ref=%s %s %s", error.code, reference, request.method, request.url.path)
    headers = {"Retry-After": str(error.extra["retry_after"])} if "retry_after" in error.extra else None
    if "resend_after" in error.extra:
        headers = {"Retry-After": str(error.extra["resend_after"])}
    return JSONResponse(jsonable_encoder(body), status_code=status_of(error), media_type=PROBLEM, headers=headers)


async def on_kabinet_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, KabinetError)
    return problem(request, exc)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    locale = locale_of(request)
    error = InvalidInput()
    fields = [{"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or "body", "code": "input.invalid",
               "message": title_of(error, locale)} for e in exc.errors()]
    return problem(request, error, errors=fields)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return problem(request, NotFound())
    body = {"type": "about:blank", "code": f"http.{exc.status_code}", "title": str(exc.detail),
            "status": exc.status_code, "reference": new_reference()}
    # A 405 carries ``Allow`` (RFC 9110 §15.5.6); whatever headers the error brings are kept.
    return JSONResponse(body, status_code=exc.status_code, media_type=PROBLEM, headers=exc.headers)


async def on_crash(request: Request, exc: Exception) -> JSONResponse:
    if database_gone(exc):  # reached the database outside a store transaction: the same 503 as inside one
        return problem(request, Unavailable(retry_after=RETRY_AFTER_S))
    reference = new_reference()
    log.exception("unhandled error ref=%s %s %s", reference, request.method, request.url.path)
    error = KabinetError()
    return JSONResponse({"type": "about:blank", "code": error.code, "title": title_of(error, locale_of(request)),
                         "status": 500, "reference": reference}, status_code=500, media_type=PROBLEM)
