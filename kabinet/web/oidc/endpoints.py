"""Discovery, JWKS, token, userinfo, revocation, introspection, pushed authorization requests: machine-to-machine,
in the protocol's own shapes (form-encoded requests; JSON answers; errors as ``{"error", "error_description"}``,
RFC 6749 §5.2)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from kabinet.domain.oauth import SCOPES, OAuthError
from kabinet.flows.relying import authorize, clients, tokens, userinfo
from kabinet.security import keys
from kabinet.store.models import OidcClient
from kabinet.web.deps import Kb
from kabinet.web.steps import step_router

# Described by the discovery document (the protocol's own contract), not by the API's OpenAPI and its problems.
router = step_router(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(exc: OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"' if exc.error == "invalid_token" else "Basic"
    return JSONResponse({"error": exc.error, "error_description": exc.description}, status_code=exc.status,
                        headers=headers)


@router.get("/.well-known/openid-configuration")
def discovery(kb: Kb) -> dict[str, Any]:
    base = kb.ctx.base_url
    return {
        "issuer": base, "authorization_endpoint": f"{base}/oidc/authorize", "token_endpoint": f"{base}/oidc/token",
        "userinfo_endpoint": f"{base}/oidc/userinfo", "jwks_uri": f"{base}/oidc/jwks",
        "revocation_endpoint": f"{base}/oidc/revoke", "introspection_endpoint": f"{base}/oidc/introspect",
        "response_types_supported": ["code"], "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public", "pairwise"], "id_token_signing_alg_values_supported": [keys.ALG],
        "scopes_supported": list(SCOPES), "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "claims_supported": ["sub", "name", "email", "email_verified", "phone_number", "phone_number_verified",
                             "acr", "auth_time", "nonce", "amr", "sid"],
        "acr_values_supported": ["simplified", "standard", "confirmed"],
        "request_parameter_supported": False, "request_uri_parameter_supported": False,
        "claims_parameter_supported": False, "response_modes_supported": ["query"],
        "prompt_values_supported": ["none", "login", "consent"], "ui_locales_supported": ["ru", "en"],
        "authorization_response_iss_parameter_supported": True,
        "end_session_endpoint": f"{base}/oidc/logout",
        "backchannel_logout_supported": True, "backchannel_logout_session_supported": True,
        "pushed_authorization_request_endpoint": f"{base}/oidc/par",
        "require_pushed_authorization_requests": False,  # per client: kabinet client add --require-par
    }


@router.get("/oidc/jwks")
def jwks(kb: Kb) -> dict[str, Any]:
    now = kb.ctx.clock.now()
    with kb.ctx.store.read() as db:  # relying services fetch this often: a read, not a write transaction
        published = keys.jwks(db, now)
    if published["keys"]:
        return published
    with kb.ctx.store.write() as db:  # the very first key, made on first need
        keys.current(db, kb.ctx.key_sealer, now)
        return keys.jwks(db, now)


def client_of(kb: Kb, auth: str, form: dict[str, str]) -> OidcClient:
    """client_secret_basic, client_secret_post, or a public client's bare ``client_id``."""
    client_id, secret = form.get("client_id", ""), form.get("client_secret")
    if auth.lower().startswith("basic "):
        try:
            raw = base64.b64decode(auth[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            raise OAuthError("invalid_client", "malformed client credentials", status=401) from None
        client_id, _, secret = raw.partition(":")
        client_id, secret = unquote(client_id), unquote(secret)
    with kb.ctx.store.read() as db:
        return clients.authenticate(kb.ctx, db, client_id, secret)


def _token(kb: Kb, auth: str, form: dict[str, str]) -> Response:
    client = client_of(kb, auth, form)
    grant_type = form.get("grant_type", "")
    if grant_type == "authorization_code":
        issued = tokens.exchange_code(kb.ctx, client, code=form.get("code", ""),
                                      redirect_uri=form.get("redirect_uri", ""), verifier=form.get("code_verifier", ""))
    elif grant_type == "refresh_token":
        issued = tokens.refresh(kb.ctx, client, token=form.get("refresh_token", ""))
    else:
        raise OAuthError("unsupported_grant_type", "authorization_code or refresh_token")
    body = {k: v for k, v in jsonable_encoder(issued).items() if v is not None}
    return JSONResponse(body, headers=NO_STORE)


def _revoke(kb: Kb, auth: str, form: dict[str, str]) -> Response:
    tokens.revoke(kb.ctx, client_of(kb, auth, form), token=form.get("token", ""))
    return Response(status_code=200, headers=NO_STORE)


def _par(kb: Kb, auth: str, form: dict[str, str]) -> Response:
    pushed = authorize.push(kb.ctx, client_of(kb, auth, form), form)
    return JSONResponse({"request_uri": pushed.request_uri, "expires_in": pushed.expires_in}, status_code=201,
                        headers=NO_STORE)


def _introspect(kb: Kb, auth: str, form: dict[str, str]) -> Response:
    found = tokens.introspect(kb.ctx, client_of(kb, auth, form), token=form.get("token", ""))
    return JSONResponse(found, headers=NO_STORE)


async def _endpoint(request: Request, kb: Kb, step: Callable[[Kb, str, dict[str, str]], Response]) -> Response:
    """Form-encoded in, the step off the event loop (a write step may wait for a lock), protocol errors out."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        return await kb.ctx.store.run(step, kb, request.headers.get("authorization", ""), form)
    except OAuthError as exc:
        return oauth_error(exc)


@router.post("/oidc/token")
async def token(request: Request, kb: Kb) -> Response:
    return await _endpoint(request, kb, _token)


@router.post("/oidc/revoke")
async def revoke(request: Request, kb: Kb) -> Response:
    """RFC 7009: 200 whether or not the token was known."""
    return await _endpoint(request, kb, _revoke)


@router.post("/oidc/introspect")
async def introspect(request: Request, kb: Kb) -> Response:
    """RFC 7662, for confidential clients."""
    return await _endpoint(request, kb, _introspect)


@router.post("/oidc/par")
async def par(request: Request, kb: Kb) -> Response:
    """RFC 9126: the authorization request sent here first, client authenticated as at the token endpoint; the
    browser then carries only ``client_id`` and the ``request_uri`` answered (201)."""
    return await _endpoint(request, kb, _par)


@router.api_route("/oidc/userinfo", methods=["GET", "POST"])
def user_info(request: Request, kb: Kb) -> Response:
    auth = request.headers.get("authorization", "")
    try:
        if not auth.lower().startswith("bearer "):
            raise OAuthError("invalid_token", "a Bearer access token is required", status=401)
        return JSONResponse(userinfo.claims(kb.ctx, token=auth[7:].strip()), headers=NO_STORE)
    except OAuthError as exc:
        return oauth_error(exc)
