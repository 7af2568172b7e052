"""The authorization endpoint as the citizen meets it (issues 11, 23): signed in the cabinet's own way (the sign-in
page comes back here; ``prompt=login`` and an exceeded ``max_age`` ask for it again), stopped on a page that says
what to add when the service requires it, asked to agree once per service and set of scopes, then sent back to the
service with a one-time code — always by an HTTP 303 to the registered redirect URI (RFC 6749 §4.1.2), so native
apps and every OAuth library follow it. ``prompt=none`` never shows a page. A plain HTML form: no JavaScript.

Why a 303 works after a form: the pages whose form leads into a redirect to the service (the consent here, the code
page of a sign-in for a service) name the service's origin in their CSP ``form-action`` (``return_source``)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from kabinet.domain.oauth import SCOPE_TEXTS, BadClient, form_action_source, redirect_allowed
from kabinet.flows.relying import authorize
from kabinet.store.models import OidcClient
from kabinet.web.deps import Kb, MaybeSession, RequestMeta
from kabinet.web.middleware import csp
from kabinet.web.pages.common import CsrfChecked, go
from kabinet.web.parts import Parts
from kabinet.web.steps import step_router
from kabinet.web.templating import render

router = step_router(prefix="/oidc", include_in_schema=False)

# What each requirement asks of the citizen, in words (the catalogue translates them).
NEEDS_TEXTS = {"verified_email": "a confirmed email address", "verified_phone": "a confirmed mobile phone",
               "level:simplified": "an account",
               "level:standard": "a standard account (identity data checked)",
               "level:confirmed": "a confirmed account (identity confirmed in person)"}


def _away(location: str) -> Response:
    """To the relying service's registered redirect URI (checked before any redirect is made)."""
    return go(location)


def _sign_in(req: authorize.AuthRequest, back: str, *, again: bool) -> Response:
    """To the cabinet's sign-in, which comes back here: the login prefilled from ``login_hint``, the pages in the
    language of ``ui_locales``; ``again``: a sign-in even with a session (``prompt=login``, ``max_age``)."""
    query = {"next": back} | ({"login": req.login_hint} if req.login_hint else {}) \
        | ({"lang": req.locale} if req.locale else {}) | ({"reauth": "1"} if again else {})
    return go(f"/sign-in?{urlencode(query, quote_via=quote)}")


def _decide(request: Request, kb: Kb, meta: RequestMeta, session: MaybeSession, params: dict[str, str],
            decision: str | None) -> Response:
    ctx = kb.ctx
    try:
        req = authorize.check(ctx, params)
    except BadClient:
        return render(request, "oidc_bad_client.html", status=400, signed_in=session is not None)
    except authorize.Refused as refused:
        return _away(refused.location)
    silent = "none" in req.prompt
    back = "/oidc/authorize?" + urlencode(req.params())
    if session is None:
        if silent:
            return _away(authorize.refuse(ctx, req, "login_required", "the citizen is not signed in"))
        return _sign_in(req, back, again=False)
    now = ctx.clock.now()
    if authorize.someone_else(ctx, req, session) or authorize.needs_sign_in(ctx, req, session, now):
        if silent:
            return _away(authorize.refuse(ctx, req, "login_required", "a fresh sign-in is needed"))
        marked = "/oidc/authorize?" + urlencode(req.params() | {authorize.FRESH: authorize.fresh_marker(ctx, now)})
        return _sign_in(req, marked, again=True)
    lacking = authorize.missing(ctx, session.account_id, req)
    if lacking:
        if silent:
            return _away(authorize.refuse(ctx, req, "interaction_required", "the account lacks what is required"))
        return render(request, "oidc_missing.html", status=403, signed_in=True, req=req, back=back,
                      lacking=[NEEDS_TEXTS[n] for n in lacking])
    try:
        if decision == "deny":
            return _away(authorize.deny(ctx, req))
        if decision == "allow" or ("consent" not in req.prompt and authorize.agreed(ctx, session.account_id, req)):
            return _away(authorize.approve(ctx, meta, session=session, req=req))
    except authorize.Refused as refused:
        return _away(refused.location)
    if silent:
        return _away(authorize.refuse(ctx, req, "consent_required", "the citizen has not agreed yet"))
    page = render(request, "oidc_consent.html", signed_in=True, req=req, params=req.params(),
                  scopes=[SCOPE_TEXTS[s] for s in req.scopes])
    return with_return_source(page, req.redirect_uri)


def with_return_source(page: Response, redirect_uri: str) -> Response:
    """The page's CSP lets its form end in a redirect to ``redirect_uri`` (see the module's doc)."""
    source = form_action_source(redirect_uri)
    if source is not None:
        page.headers["Content-Security-Policy"] = csp(source)
    return page


def return_source(kb: Parts, next_path: str) -> str | None:
    """The redirect URI an authorization in ``next_path`` (``/oidc/authorize?…``) would end at — registered for its
    client, else None — so that the code page of a sign-in for a service can name it in its CSP."""
    if not next_path.startswith("/oidc/authorize?"):
        return None
    query = parse_qs(urlsplit(next_path).query)
    client_id, uri = query.get("client_id", [""])[0], query.get("redirect_uri", [""])[0]
    with kb.ctx.store.read() as db:
        client = db.get(OidcClient, client_id) if client_id else None
    if client is None or not redirect_allowed(client.redirect_uris, uri, native=client.secret_hash is None):
        return None
    return uri


@router.get("/authorize", response_class=HTMLResponse)
def authorize_page(request: Request, kb: Kb, meta: RequestMeta, session: MaybeSession) -> Response:
    return _decide(request, kb, meta, session, dict(request.query_params), None)


@router.post("/authorize", dependencies=[CsrfChecked])
async def authorize_submit(request: Request, kb: Kb, meta: RequestMeta, session: MaybeSession,
                           decision: Annotated[str, Form(max_length=8)] = "") -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if k not in ("decision", "csrf_token")}
    return await kb.ctx.store.run(_decide, request, kb, meta, session, form, decision or "deny")
