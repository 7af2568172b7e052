"""The authorization endpoint's steps (OIDC Core §3.1.2): check the request, see what the client requires and
whether the citizen has agreed, then issue a one-time code bound to the client, the redirect URI and the PKCE
challenge. The citizen is signed in the cabinet's own way (password + SMS/TOTP) with the cabinet's own session.

Order of checks, as RFC 6749 §4.1.2.1 demands: an unknown client or an unregistered redirect URI is shown to the
citizen and never redirected to; every other fault goes back to the (registered) redirect URI as ``error``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.oauth import BadClient, OAuthError, check_challenge, parse_scopes
from kabinet.domain.requirements import unmet
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.context import FlowContext
from kabinet.policy import OIDC_CODE_TTL
from kabinet.security.tokens import new_token
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, OidcClient, OidcCode, OidcGrant
from kabinet.store.models import Session as UserSession
from kabinet.store.relying import grant_of


@dataclass(frozen=True)
class AuthRequest:
    client_id: str
    client_name: str
    redirect_uri: str
    scopes: list[str]
    state: str | None
    nonce: str | None
    code_challenge: str

    def params(self) -> dict[str, str]:
        """The request as the consent form carries it back."""
        out = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
               "scope": " ".join(self.scopes), "code_challenge": self.code_challenge,
               "code_challenge_method": "S256"}
        return out | ({"state": self.state} if self.state else {}) | ({"nonce": self.nonce} if self.nonce else {})


class Refused(Exception):
    """A fault the relying service hears of by redirect (``location``)."""

    def __init__(self, error: OAuthError, redirect_uri: str, state: str | None) -> None:
        super().__init__(error.error)
        query = {"error": error.error, "error_description": error.description} | ({"state": state} if state else {})
        self.location = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(query)}"


def check(ctx: FlowContext, params: Mapping[str, str]) -> AuthRequest:
    with ctx.store.read() as db:
        client = db.get(OidcClient, params.get("client_id") or "")
    redirect_uri = params.get("redirect_uri") or ""
    if client is None or redirect_uri not in client.redirect_uris:
        raise BadClient()
    state = params.get("state") or None
    try:
        if params.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "only the authorization code flow is offered")
        scopes = parse_scopes(params.get("scope") or "")
        check_challenge(params.get("code_challenge") or "", params.get("code_challenge_method") or "")
        if len(state or "") > 500 or len(params.get("nonce") or "") > 200:
            raise OAuthError("invalid_request", "state or nonce too long")
        if "request" in params or "request_uri" in params:
            raise OAuthError("request_not_supported", "request objects are not supported")
    except OAuthError as exc:
        raise Refused(exc, redirect_uri, state) from None
    return AuthRequest(client_id=client.id, client_name=client.name, redirect_uri=redirect_uri, scopes=scopes,
                       state=state, nonce=params.get("nonce") or None, code_challenge=params["code_challenge"])


def missing(ctx: FlowContext, account_id: uuid.UUID, req: AuthRequest) -> list[str]:
    """What the client requires that the account lacks (S17): the flow stops on a page that says what to add."""
    with ctx.store.read() as db:
        client = db.get_one(OidcClient, req.client_id)
        account = db.get_one(Account, account_id)
        kinds = {c.kind for c in present_contacts(db, account_id) if c.verified_at is not None}
    return unmet(client.requires, level=account.level, verified_kinds=kinds)


def agreed(ctx: FlowContext, account_id: uuid.UUID, req: AuthRequest) -> bool:
    """The citizen already let this service read these scopes (and has not revoked it)."""
    with ctx.store.read() as db:
        grant = grant_of(db, account_id, req.client_id)
    return grant is not None and grant.revoked_at is None and set(req.scopes) <= set(grant.scopes)


def approve(ctx: FlowContext, meta: Meta, *, session: UserSession, req: AuthRequest) -> str:
    """Consent recorded (or widened), a code issued: where the browser goes next."""
    if missing(ctx, session.account_id, req):
        raise Refused(OAuthError("access_denied", "the account does not meet the service's requirements"),
                      req.redirect_uri, req.state)
    code = new_token()
    with account_step(ctx, session) as (db, account, now):
        grant = grant_of(db, account.id, req.client_id)
        if grant is None:
            grant = OidcGrant(id=uuid.uuid4(), account_id=account.id, client_id=req.client_id, scopes=req.scopes,
                              created_at=now)
            db.add(grant)
            record(db, account, EventType.SERVICE_CONNECTED, at=now, meta=meta, service=req.client_name,
                   scopes=req.scopes)
        elif grant.revoked_at is not None or not set(req.scopes) <= set(grant.scopes):
            grant.revoked_at, grant.scopes = None, sorted(set(grant.scopes) | set(req.scopes))
            record(db, account, EventType.SERVICE_CONNECTED, at=now, meta=meta, service=req.client_name,
                   scopes=grant.scopes)
        db.flush()
        amr = ["pwd", "otp"] if session.second_factor_at else ["pwd"]
        db.add(OidcCode(id=uuid.uuid4(), code_hash=ctx.hasher.digest("oidc-code", code), client_id=req.client_id,
                        grant_id=grant.id, account_id=account.id, redirect_uri=req.redirect_uri, scopes=req.scopes,
                        nonce=req.nonce, code_challenge=req.code_challenge, auth_time=session.created_at,
                        amr=amr, expires_at=now + OIDC_CODE_TTL))
    query = {"code": code} | ({"state": req.state} if req.state else {})
    return f"{req.redirect_uri}{'&' if '?' in req.redirect_uri else '?'}{urlencode(query)}"


def deny(req: AuthRequest) -> str:
    """The citizen said no: the service hears ``access_denied``."""
    return Refused(OAuthError("access_denied", "the citizen declined"), req.redirect_uri, req.state).location
