"""The end-session endpoint (RP-Initiated Logout 1.0) as pages: straight out and back to the service when its ID
token hint names the very session signed in, else a confirmation first; the way back is an HTTP 303 to the
registered post-logout URI (the confirmation page's CSP names its origin, as the consent page names the redirect
URI's). Signing out ends the services' sessions begun in this one (``flows.shared.relying.sessions_ended``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from kabinet.domain.oauth import OAuthError
from kabinet.flows.access import sessions as session_flows
from kabinet.flows.relying import logout
from kabinet.web.deps import Kb, MaybeSession, RequestMeta, clear_session_cookie
from kabinet.web.oidc.authorization import with_return_source
from kabinet.web.pages.common import CsrfChecked, go
from kabinet.web.steps import step_router
from kabinet.web.templating import render

router = step_router(prefix="/oidc", include_in_schema=False)


def _out(request: Request, kb: Kb, meta: RequestMeta, session: MaybeSession, req: logout.LogoutRequest) -> Response:
    if session is not None:
        session_flows.sign_out(kb.ctx, meta, session=session)
    back = logout.back_to(req)
    response = go(back) if back else render(request, "oidc_logout.html", signed_out=True, problem=None, req=req)
    clear_session_cookie(response, kb)
    return response


def _end(request: Request, kb: Kb, meta: RequestMeta, session: MaybeSession, params: dict[str, str]) -> Response:
    try:
        req = logout.check(kb.ctx, params)
    except OAuthError:
        return render(request, "oidc_logout.html", status=400, problem=True, req=None, signed_in=session is not None)
    if session is None or logout.names(kb.ctx, req, session):
        return _out(request, kb, meta, session, req)  # already out, or the service named this very session
    page = render(request, "oidc_logout.html", problem=None, req=req, params=req.params(), signed_in=True)
    return with_return_source(page, req.after) if req.after else page


@router.get("/logout", response_class=HTMLResponse)
def end_session(request: Request, kb: Kb, meta: RequestMeta, session: MaybeSession) -> Response:
    return _end(request, kb, meta, session, dict(request.query_params))


@router.post("/logout", response_class=HTMLResponse)
async def end_session_posted(request: Request, kb: Kb, meta: RequestMeta, session: MaybeSession) -> Response:
    """The same request sent as a form (§2: GET and POST); a cross-site POST carries no cookie: asked, then."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    return await kb.ctx.store.run(_end, request, kb, meta, session, form)


@router.post("/logout/confirm", dependencies=[CsrfChecked])
def confirmed(request: Request, kb: Kb, meta: RequestMeta, session: MaybeSession,
              client_id: Annotated[str, Form(max_length=64)] = "",
              post_logout_redirect_uri: Annotated[str, Form(max_length=500)] = "",
              state: Annotated[str, Form(max_length=500)] = "") -> Response:
    params = {"client_id": client_id, "post_logout_redirect_uri": post_logout_redirect_uri, "state": state}
    try:
        req = logout.check(kb.ctx, {k: v for k, v in params.items() if v})
    except OAuthError:
        return render(request, "oidc_logout.html", status=400, problem=True, req=None, signed_in=session is not None)
    return _out(request, kb, meta, session, req)
