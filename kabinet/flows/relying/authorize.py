"""The authorization endpoint's steps (OIDC Core §3.1.2): check the request, decide what it needs of the citizen —
a sign-in (none yet, ``prompt=login``, an exceeded ``max_age``, a hint for someone else), what the client or its
``acr_values`` require, a consent — then issue a one-time code bound to the client, the redirect URI, the PKCE
challenge and the cabinet session it was issued in (the ID token's ``sid``). The citizen is signed in the cabinet's
own way (password + SMS/TOTP) with the cabinet's own session.

Order of checks, as RFC 6749 §4.1.2.1 demands: an unknown client or an unregistered redirect URI is shown to the
citizen and never redirected to; every other fault goes back to the (registered) redirect URI as ``error``, with
``state`` and ``iss`` (RFC 9207). ``prompt=none`` never shows a page: what would need one is an error there
(``login_required``, ``consent_required``, ``interaction_required``).

Pushed Authorization Requests (RFC 9126): a client may send the same request to ``/oidc/par`` first (``push``: checked
here exactly as it would be at the authorization endpoint, before any citizen sees it) and then send the browser with
``client_id`` and the ``request_uri`` it got; every other parameter of that URL is ignored (§4). A client registered
with ``--require-par`` is answered only so."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.oauth import (
    BadClient,
    OAuthError,
    check_challenge,
    level_meets,
    parse_acr_values,
    parse_max_age,
    parse_prompt,
    parse_scopes,
    redirect_allowed,
    ui_locale,
)
from kabinet.domain.requirements import unmet
from kabinet.flows.relying import _pushed
from kabinet.flows.shared import passkeys
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.relying import audiences, id_token_hint, subject
from kabinet.policy import OIDC_CODE_TTL, OIDC_PAR_TTL
from kabinet.security import keys
from kabinet.security.tokens import new_token
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, OidcClient, OidcCode, OidcGrant, Passkey
from kabinet.store.models import Session as UserSession
from kabinet.store.relying import grant_of

# The request parameters a page or form carries back here, besides the marker of a fresh sign-in (``FRESH``).
CARRIED = ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
           "code_challenge_method", "prompt", "max_age", "acr_values", "login_hint", "ui_locales", "id_token_hint")
FRESH = "kabinet_fresh"  # "signed in anew after <time>", keyed: proof that prompt=login or max_age was honoured


@dataclass(frozen=True)
class AuthRequest:
    client_id: str
    client_name: str
    redirect_uri: str
    scopes: list[str]
    state: str | None
    nonce: str | None
    code_challenge: str
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None
    acr: str | None = None  # the weakest account level the service asked for (acr_values)
    login_hint: str | None = None
    locale: str | None = None  # from ui_locales
    hint_sub: str | None = None  # the subject of a valid id_token_hint: only that citizen may answer silently
    raw: dict[str, str] = field(default_factory=dict)  # what was asked, to be carried back through pages and forms

    def params(self) -> dict[str, str]:
        """The request as a page or the consent form carries it back (the fresh sign-in's and a pushed request's
        markers included)."""
        return {k: v for k, v in self.raw.items() if k in (*CARRIED, FRESH, _pushed.MARK)}


@dataclass(frozen=True)
class Pushed:
    """RFC 9126 §2.2: what ``/oidc/par`` answers."""

    request_uri: str
    expires_in: int


class Refused(Exception):
    """A fault the relying service hears of by redirect (``location``)."""

    def __init__(self, error: OAuthError, redirect_uri: str, state: str | None, issuer: str) -> None:
        super().__init__(error.error)
        self.error = error
        query = {"error": error.error, "error_description": error.description} | ({"state": state} if state else {})
        self.location = _to(redirect_uri, query | {"iss": issuer})


def _to(redirect_uri: str, query: dict[str, str]) -> str:
    return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(query)}"


def check(ctx: FlowContext, params: Mapping[str, str]) -> AuthRequest:
    """The request at the authorization endpoint: its own parameters, or those pushed before (``request_uri``)."""
    if params.get("request_uri"):
        params = _pulled(ctx, params)
    return _checked(ctx, params, pushing=False)


def push(ctx: FlowContext, client: OidcClient, params: Mapping[str, str]) -> Pushed:
    """RFC 9126 §2: the request an authenticated client pushes, checked now as ``/oidc/authorize`` would check it
    (every fault an ``OAuthError`` to the client, no redirect), kept for one use within a minute."""
    asked = {k: v for k, v in params.items() if k != "client_secret"}
    if "request_uri" in asked:
        raise OAuthError("invalid_request", "request_uri cannot be pushed")
    if asked.setdefault("client_id", client.id) != client.id:
        raise OAuthError("invalid_request", "client_id is not the authenticated client")
    try:
        _checked(ctx, asked, pushing=True)
    except BadClient:
        raise OAuthError("invalid_request", "redirect_uri is not registered for this client") from None
    except Refused as refused:
        raise refused.error from None
    uri = _pushed.store(ctx, client.id, {k: v for k, v in asked.items() if k in CARRIED})
    return Pushed(request_uri=uri, expires_in=int(OIDC_PAR_TTL.total_seconds()))


def _pulled(ctx: FlowContext, params: Mapping[str, str]) -> Mapping[str, str]:
    """The pushed request behind ``request_uri`` (the URL's other parameters ignored, RFC 9126 §4), marked as
    pushed for the pages it goes through; the URL as it is when there is none, to be refused by ``_checked``."""
    stored = _pushed.take(ctx, params.get("client_id") or "", params["request_uri"])
    if stored is None:
        return params
    return stored | {_pushed.MARK: _pushed.mark(ctx, stored, ctx.clock.now())}


def _was_pushed(ctx: FlowContext, params: Mapping[str, str]) -> bool:
    carried = {k: v for k, v in params.items() if k in CARRIED}
    return _pushed.marked(ctx, carried, params.get(_pushed.MARK) or "", ctx.clock.now())


def _checked(ctx: FlowContext, params: Mapping[str, str], *, pushing: bool) -> AuthRequest:
    with ctx.store.read() as db:
        client = db.get(OidcClient, params.get("client_id") or "")
        published = keys.jwks(db, ctx.clock.now()) if params.get("id_token_hint") and client else None
    redirect_uri = params.get("redirect_uri") or ""
    if client is None or not redirect_allowed(client.redirect_uris, redirect_uri, native=client.secret_hash is None):
        raise BadClient()
    state = params.get("state") or None
    try:
        if "request" in params:
            raise OAuthError("request_not_supported", "request objects are not supported")
        if "request_uri" in params:
            raise OAuthError("invalid_request_uri", "request_uri is unknown, used, expired or another client's")
        if client.require_par and not pushing and not _was_pushed(ctx, params):
            raise OAuthError("invalid_request", "this client must push its authorization requests (PAR)")
        if params.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "only the authorization code flow is offered")
        if params.get("response_mode", "query") != "query":
            raise OAuthError("invalid_request", "only response_mode=query is offered")
        scopes = parse_scopes(params.get("scope") or "")
        check_challenge(params.get("code_challenge") or "", params.get("code_challenge_method") or "")
        if len(state or "") > 500 or len(params.get("nonce") or "") > 200 or len(params.get("login_hint") or "") > 320:
            raise OAuthError("invalid_request", "state, nonce or login_hint too long")
        prompt = parse_prompt(params.get("prompt") or "")
        max_age = parse_max_age(params.get("max_age"))
        hint_sub = _hint_subject(ctx, client, params["id_token_hint"], published) if published else None
    except OAuthError as exc:
        raise Refused(exc, redirect_uri, state, ctx.base_url) from None
    return AuthRequest(client_id=client.id, client_name=client.name, redirect_uri=redirect_uri, scopes=scopes,
                       state=state, nonce=params.get("nonce") or None, code_challenge=params["code_challenge"],
                       prompt=prompt, max_age=max_age, acr=parse_acr_values(params.get("acr_values") or ""),
                       login_hint=(params.get("login_hint") or "").strip() or None,
                       locale=ui_locale(params.get("ui_locales") or ""), hint_sub=hint_sub,
                       raw={k: str(v) for k, v in params.items()})


def _hint_subject(ctx: FlowContext, client: OidcClient, hint: str, published: dict[str, Any]) -> str:
    claims = id_token_hint(ctx, hint, published)
    if client.id not in audiences(claims):
        raise OAuthError("invalid_request", "id_token_hint was issued to another client")
    return claims["sub"]


# --- what the request needs of the citizen ---------------------------------------------------------------------

def fresh_marker(ctx: FlowContext, now: datetime) -> str:
    """A keyed "signed in anew after now": carried through the sign-in, it shows the sign-in that follows was
    made for this request (a stale or forged one only asks for another sign-in)."""
    moment = str(int(now.timestamp() * 1000))
    return f"{moment}.{ctx.hasher.digest('oidc-fresh', moment)[:24]}"


def signed_in_anew(ctx: FlowContext, req: AuthRequest, session: UserSession) -> bool:
    """The session was opened after this request asked for a fresh sign-in."""
    moment, _, mac = req.raw.get(FRESH, "").partition(".")
    if not moment.isdigit() or not hmac.compare_digest(mac, ctx.hasher.digest("oidc-fresh", moment)[:24]):
        return False
    return session.created_at.timestamp() * 1000 > int(moment)


def needs_sign_in(ctx: FlowContext, req: AuthRequest, session: UserSession, now: datetime) -> bool:
    """``prompt=login``, or a sign-in older than ``max_age`` (``max_age=0``: always), not yet answered by a fresh
    sign-in for this request."""
    stale = req.max_age is not None and (now - session.created_at).total_seconds() > req.max_age
    wanted = "login" in req.prompt or stale or (req.max_age == 0)
    return wanted and not signed_in_anew(ctx, req, session)


def someone_else(ctx: FlowContext, req: AuthRequest, session: UserSession) -> bool:
    """An ``id_token_hint`` names another citizen than the one signed in."""
    if req.hint_sub is None:
        return False
    with ctx.store.read() as db:
        client = db.get_one(OidcClient, req.client_id)
        return subject(ctx, client, session.account_id) != req.hint_sub


def missing(ctx: FlowContext, account_id: uuid.UUID, req: AuthRequest) -> list[str]:
    """What the client requires, or its ``acr_values`` ask, that the account lacks (S17): the flow stops on a page
    that says what to add."""
    with ctx.store.read() as db:
        client = db.get_one(OidcClient, req.client_id)
        account = db.get_one(Account, account_id)
        kinds = {c.kind for c in present_contacts(db, account_id) if c.verified_at is not None}
    lacking = unmet(client.requires, level=account.level, verified_kinds=kinds)
    if not level_meets(account.level, req.acr) and f"level:{req.acr}" not in lacking:
        lacking.append(f"level:{req.acr}")
    return lacking


def agreed(ctx: FlowContext, account_id: uuid.UUID, req: AuthRequest) -> bool:
    """The citizen already let this service read these scopes (and has not revoked it)."""
    with ctx.store.read() as db:
        grant = grant_of(db, account_id, req.client_id)
    return grant is not None and grant.revoked_at is None and set(req.scopes) <= set(grant.scopes)


def refuse(ctx: FlowContext, req: AuthRequest, error: str, description: str) -> str:
    """Where the browser goes when the request cannot be answered with a code (``prompt=none``, a denial)."""
    return Refused(OAuthError(error, description), req.redirect_uri, req.state, ctx.base_url).location


def approve(ctx: FlowContext, meta: Meta, *, session: UserSession, req: AuthRequest) -> str:
    """Consent recorded (or widened), a code issued: where the browser goes next."""
    if missing(ctx, session.account_id, req):
        raise Refused(OAuthError("access_denied", "the account does not meet the service's requirements"),
                      req.redirect_uri, req.state, ctx.base_url)
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
        amr = _amr(session, passkeys.factor_of(db, session))
        db.add(OidcCode(id=uuid.uuid4(), code_hash=ctx.hasher.digest("oidc-code", code), client_id=req.client_id,
                        grant_id=grant.id, account_id=account.id, redirect_uri=req.redirect_uri, scopes=req.scopes,
                        nonce=req.nonce, code_challenge=req.code_challenge, auth_time=session.created_at,
                        amr=amr, expires_at=now + OIDC_CODE_TTL, session_id=session.id))
    return _to(req.redirect_uri, {"code": code} | ({"state": req.state} if req.state else {}) | {"iss": ctx.base_url})


def _amr(session: UserSession, key: Passkey | None) -> list[str]:
    """How the session signed in, in RFC 8176's words, for the ID token: a passkey with user verification is a key
    held (``hwk``; ``swk`` for a synced one, kept in a cloud keychain) and the user verified on it — two factors
    (``mfa``) and no password typed, so never ``pwd`` for a passkey alone; a code after a password is ``otp``."""
    held = "swk" if key is not None and key.backup_eligible else "hwk"
    if session.auth_method == "passkey":
        return [held, "user", "mfa"]
    if session.auth_method == "password+passkey":
        return ["pwd", held, "mfa"]
    return ["pwd", "otp"] if session.second_factor_at else ["pwd"]


def deny(ctx: FlowContext, req: AuthRequest) -> str:
    """The citizen said no: the service hears ``access_denied``."""
    return refuse(ctx, req, "access_denied", "the citizen declined")
