"""Lost access as pages: "Forgot your password?" → codes → a second proof → a new password; the
lost-everything request with its number. Each route
parses a form and calls one flow, as the API does; every page works without JavaScript (a passkey as the second
proof is the one thing that needs it: passkeys.js speaks to the API, and the other proofs stay forms)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from kabinet.domain.errors import KabinetError
from kabinet.flows.access import passkeys
from kabinet.flows.recovery import lost_everything, password_reset
from kabinet.flows.recovery.password_reset import RecoveryView
from kabinet.web.deps import Kb, RequestMeta
from kabinet.web.pages.common import CsrfChecked, go, problem_of, refused
from kabinet.web.problems import status_of
from kabinet.web.steps import step_router
from kabinet.web.templating import render

router = step_router(include_in_schema=False)
Text = Annotated[str, Form(max_length=320)]


def recovery_next(result: RecoveryView) -> str:
    """Where a recovery goes after a confirmed code: the next code, or the recovery's own page."""
    page = f"/recover/{result.recovery_id}"
    return f"/confirm/{result.challenge.id}?next={page}" if result.challenge else page


@router.get("/recover", response_class=HTMLResponse)
def start_page(request: Request, login: str = "") -> HTMLResponse:
    return render(request, "recover_start.html", login=login[:320], problem=None)


@router.post("/recover", dependencies=[CsrfChecked])
def start_submit(request: Request, kb: Kb, meta: RequestMeta, login: Text = "") -> Response:
    try:
        started = password_reset.start(kb.ctx, meta, login=login)
    except KabinetError as exc:
        return refused(request, "/recover", exc, login=login)
    return go(f"/confirm/{started.challenge.id}?next=/recover/{started.recovery_id}")


def _state_page(request: Request, kb: Kb, recovery_id: str, problem: dict | None = None,
                status: int = 200) -> HTMLResponse:
    try:
        state = password_reset.show(kb.ctx, recovery_id=recovery_id)
    except KabinetError as exc:
        return render(request, "recover_start.html", status=status_of(exc), login="", problem=problem_of(request, exc))
    return render(request, "recover.html", status=status, state=state, problem=problem,
                  passkeys_available=passkeys.available(kb.ctx))


@router.get("/recover/identity", response_class=HTMLResponse)
def identity_page(request: Request) -> HTMLResponse:
    return render(request, "recover_identity.html", form={}, problem=None, result=None)


@router.post("/recover/identity", dependencies=[CsrfChecked])
def identity_submit(request: Request, kb: Kb, meta: RequestMeta, snils: Text = "", passport: Text = "",
                    birth_date: Text = "", phone: Text = "") -> HTMLResponse:
    form = {"snils": snils, "passport": passport, "birth_date": birth_date, "phone": phone}
    try:
        result = lost_everything.request(kb.ctx, meta, **form)
    except KabinetError as exc:
        return render(request, "recover_identity.html", status=status_of(exc), form=form,
                      problem=problem_of(request, exc), result=None)
    return render(request, "recover_identity.html", form={}, problem=None, result=result.request)


@router.get("/recover/cancel", response_class=HTMLResponse)
def cancel_page(request: Request, token: str = "") -> HTMLResponse:
    """The link from a held recovery's notice: a button, so that a mail scanner opening links cancels nothing."""
    return render(request, "recover_cancel.html", token=token, cancelled=False)


@router.post("/recover/cancel", dependencies=[CsrfChecked])
def cancel_submit(request: Request, kb: Kb, meta: RequestMeta, token: Annotated[str, Form(max_length=128)] = ""
                  ) -> HTMLResponse:
    try:
        password_reset.cancel(kb.ctx, meta, token=token)
    except KabinetError as exc:
        return render(request, "recover_cancel.html", status=status_of(exc), token="", cancelled=False,
                      problem=problem_of(request, exc))
    return render(request, "recover_cancel.html", token="", cancelled=True)


@router.get("/recover/{recovery_id}", response_class=HTMLResponse)
def state_page(request: Request, recovery_id: str, kb: Kb) -> HTMLResponse:
    return _state_page(request, kb, recovery_id)


@router.post("/recover/{recovery_id}/proof", dependencies=[CsrfChecked])
def proof_submit(request: Request, recovery_id: str, kb: Kb, meta: RequestMeta,
                 kind: Annotated[str, Form(max_length=16)] = "", code: Annotated[str, Form(max_length=32)] = ""
                 ) -> Response:
    try:
        password_reset.prove(kb.ctx, meta, recovery_id=recovery_id, kind=kind, code=code)
    except KabinetError as exc:
        return refused(request, f"/recover/{recovery_id}", exc)
    return go(f"/recover/{recovery_id}")


@router.post("/recover/{recovery_id}/cancel", dependencies=[CsrfChecked])
def stop_submit(request: Request, recovery_id: str, kb: Kb, meta: RequestMeta) -> Response:
    try:
        password_reset.cancel_started(kb.ctx, meta, recovery_id=recovery_id)
    except KabinetError as exc:
        return refused(request, f"/recover/{recovery_id}", exc)
    return go("/sign-in?done=recovery_stopped")


@router.post("/recover/{recovery_id}/password", dependencies=[CsrfChecked])
def password_submit(request: Request, recovery_id: str, kb: Kb, meta: RequestMeta,
                    password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    try:
        password_reset.set_password(kb.ctx, meta, recovery_id=recovery_id, password=password)
    except KabinetError as exc:
        return refused(request, f"/recover/{recovery_id}", exc)
    return go("/sign-in?done=recovered")
