"""The authorization endpoint as the citizen meets it (issue 11): signed in the cabinet's own way (the sign-in page
comes back here), stopped on a page that says what to add when the service requires it, asked to agree once per
service and set of scopes, then sent back to the service with a one-time code. A plain HTML form: no JavaScript."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from kabinet.domain.oauth import SCOPE_TEXTS, BadClient
from kabinet.flows.relying import authorize
from kabinet.web.deps import Kb, MaybeSession, RequestMeta
from kabinet.web.pages.common import CsrfChecked, go
from kabinet.web.steps import step_router
from kabinet.web.templating import render

router = step_router(prefix="/oidc", include_in_schema=False)

# What each scope lets the service read, in words (the catalogue translates them).
NEEDS_TEXTS = {"verified_email": "a confirmed email address", "verified_phone": "a confirmed mobile phone",
               "level:standard": "a standard account (identity data checked)",
               "level:confirmed": "a confirmed account (identity confirmed in person)"}


def _away(request: Request, location: str) -> HTMLResponse:
    """To the relying service's registered redirect URI (checked before any redirect is made) — by a page that
    refreshes to it, not a 303: after a form (the consent, or the sign-in that led here) the site's own CSP
    ``form-action 'self'`` makes a browser refuse a redirect to another origin; a refresh is a new navigation, and
    the page keeps a link for a browser that does not follow it."""
    return render(request, "oidc_return.html", location=location, signed_in=True)


def _decide(request: Request, kb: Kb, meta: RequestMeta, session: MaybeSession, params: dict[str, str],
            decision: str | None) -> Response:
    try:
        req = authorize.check(kb.ctx, params)
    except BadClient:
        return render(request, "oidc_bad_client.html", status=400, signed_in=session is not None)
    except authorize.Refused as refused:
        return _away(request, refused.location)
    back = f"/oidc/authorize?{request.url.query}" if decision is None else "/oidc/authorize?" + _query(req)
    if session is None:
        return go(f"/sign-in?next={quote(back, safe='')}")
    lacking = authorize.missing(kb.ctx, session.account_id, req)
    if lacking:
        return render(request, "oidc_missing.html", status=403, signed_in=True, req=req, back=back,
                      lacking=[NEEDS_TEXTS[n] for n in lacking])
    try:
        if decision == "deny":
            return _away(request, authorize.deny(req))
        if decision == "allow" or authorize.agreed(kb.ctx, session.account_id, req):
            return _away(request, authorize.approve(kb.ctx, meta, session=session, req=req))
    except authorize.Refused as refused:
        return _away(request, refused.location)
    return render(request, "oidc_consent.html", signed_in=True, req=req, params=req.params(),
                  scopes=[SCOPE_TEXTS[s] for s in req.scopes])


def _query(req: authorize.AuthRequest) -> str:
    return urlencode(req.params())


@router.get("/authorize", response_class=HTMLResponse)
def authorize_page(request: Request, kb: Kb, meta: RequestMeta, session: MaybeSession) -> Response:
    return _decide(request, kb, meta, session, dict(request.query_params), None)


@router.post("/authorize", dependencies=[CsrfChecked])
async def authorize_submit(request: Request, kb: Kb, meta: RequestMeta, session: MaybeSession,
                           decision: Annotated[str, Form(max_length=8)] = "") -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if k not in ("decision", "csrf_token")}
    return await kb.ctx.store.run(_decide, request, kb, meta, session, form, decision or "deny")
