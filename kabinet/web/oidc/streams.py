"""The Shared Signals Framework 1.0 transmitter's HTTP edge: its metadata at ``/.well-known/ssf-configuration``, and
for a receiver (a relying service, by its client credentials in HTTP Basic, as at the token endpoint) its stream's
configuration, status and verification. JSON in and out; errors as ``{"error", "error_description"}``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from kabinet.domain.oauth import OAuthError
from kabinet.flows.relying import streams
from kabinet.store.models import OidcClient
from kabinet.web.deps import Kb
from kabinet.web.oidc.endpoints import NO_STORE, client_of, oauth_error
from kabinet.web.steps import step_router

router = step_router(include_in_schema=False)


@router.get("/.well-known/ssf-configuration")
def ssf_configuration(kb: Kb) -> dict[str, Any]:
    base = kb.ctx.base_url
    return {"spec_version": "1_0", "issuer": base, "jwks_uri": f"{base}/oidc/jwks",
            "delivery_methods_supported": [streams.PUSH], "configuration_endpoint": f"{base}/ssf/stream",
            "status_endpoint": f"{base}/ssf/status", "verification_endpoint": f"{base}/ssf/verify",
            "authorization_schemes": [{"spec_urn": "urn:ietf:rfc:7617"}],  # HTTP Basic: client_id and secret
            "default_subjects": "ALL"}


def _receiver(kb: Kb, auth: str) -> OidcClient:
    """The calling receiver: a confidential client by its credentials in HTTP Basic (a public one has no secret to
    prove, so no stream of events about citizens)."""
    if not auth.lower().startswith("basic "):
        raise OAuthError("invalid_client", "client credentials in HTTP Basic are required", status=401)
    client = client_of(kb, auth, {})
    if client.secret_hash is None:
        raise OAuthError("invalid_client", "a public client has no event stream", status=401)
    return client


async def _answer(request: Request, kb: Kb, step: Callable[[OidcClient, dict[str, Any]], Response]) -> Response:
    """The receiver authenticated, its JSON body (or query) read, the step off the event loop, errors as JSON."""
    asked: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return oauth_error(OAuthError("invalid_request", "a JSON object is expected"))
        asked |= body
    try:
        return await kb.ctx.store.run(lambda: step(_receiver(kb, request.headers.get("authorization", "")), asked))
    except OAuthError as exc:
        return oauth_error(exc)


def _text(asked: dict[str, Any], name: str) -> str | None:
    value = asked.get(name)
    if value is not None and not isinstance(value, str):
        raise OAuthError("invalid_request", f"{name} must be a string")
    return value


@router.get("/ssf/stream")
async def stream_configuration(request: Request, kb: Kb) -> Response:
    """SSF 1.0 §8.1.1.2: with ``stream_id``, that stream; without, the list of the receiver's streams (one)."""
    def read(client: OidcClient, asked: dict[str, Any]) -> Response:
        found = asdict(streams.configuration(kb.ctx, client, _text(asked, "stream_id")))
        return JSONResponse(found if "stream_id" in asked else [found], headers=NO_STORE)
    return await _answer(request, kb, read)


@router.get("/ssf/status")
async def stream_status(request: Request, kb: Kb) -> Response:
    def read(client: OidcClient, asked: dict[str, Any]) -> Response:
        status = streams.status(kb.ctx, client, _text(asked, "stream_id"))
        return JSONResponse({"stream_id": client.id, "status": status}, headers=NO_STORE)
    return await _answer(request, kb, read)


@router.post("/ssf/status")
async def stream_status_update(request: Request, kb: Kb) -> Response:
    """SSF 1.0 §8.1.2.2: ``{"stream_id", "status": "enabled" | "paused" | "disabled", "reason"}``."""
    def change(client: OidcClient, asked: dict[str, Any]) -> Response:
        status = streams.set_status(kb.ctx, client, _text(asked, "stream_id"), _text(asked, "status") or "")
        return JSONResponse({"stream_id": client.id, "status": status}, headers=NO_STORE)
    return await _answer(request, kb, change)


@router.post("/ssf/verify")
async def stream_verify(request: Request, kb: Kb) -> Response:
    """SSF 1.0 §8.1.4.2: ``{"stream_id", "state"}`` → 204; the verification event follows through the outbox."""
    def verify(client: OidcClient, asked: dict[str, Any]) -> Response:
        streams.verify(kb.ctx, client, _text(asked, "stream_id"), _text(asked, "state"))
        return Response(status_code=204, headers=NO_STORE)
    return await _answer(request, kb, verify)
