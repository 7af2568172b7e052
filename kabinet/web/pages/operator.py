"""The service-centre console's pages (Russian first, English; no JavaScript needed but for a security key): sign-in
with password and app code (or a security key through passkeys.js; the keys' own page is operator_keys), open a visit
by the document, act with a reason, read out codes, close with a printable receipt (HTML and PDF by WeasyPrint), and
the queue of support requests. Each route parses a form, calls one centre flow and redirects or shows the refusal
next to its field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from kabinet.domain.errors import KabinetError, OperatorAuthRequired, VisitNotFound
from kabinet.flows.access import passkeys
from kabinet.flows.centre import (
    add_email,
    complete_recovery,
    confirm_identity,
    operators,
    release_recovery,
    replace_phone,
    supervision,
    unlink_contact,
    visits,
)
from kabinet.flows.centre import requests as centre_requests
from kabinet.flows.shared import challenges
from kabinet.flows.shared.results import ChallengeView
from kabinet.store.models import OperatorSession
from kabinet.web.deps import OPERATOR_COOKIE, CurrentOperator, Kb, MaybeOperator, RequestMeta, set_operator_cookie
from kabinet.web.pages.common import CsrfChecked, done_text, go, problem_of, safe_next
from kabinet.web.problems import locale_of, status_of
from kabinet.web.steps import step_router
from kabinet.web.templating import render

router = step_router(prefix="/operator", include_in_schema=False)


class ConsoleSignInFirst(Exception):
    """A console page without a live operator session: answered with a redirect to the console's sign-in."""


class ConsolePasswordFirst(Exception):
    """Signed in with the one-time password ``kabinet operator add`` printed: every page but the password's sends
    there, until the operator has a password of their own."""


async def console_operator(request: Request, kb: Kb, operator: MaybeOperator) -> OperatorSession:
    if operator is None:
        raise ConsoleSignInFirst()
    me = await kb.ctx.store.run_read(operators.who, kb.ctx, operator)
    request.state.console = me  # the navigation shows "Centre" to supervisors only
    if me.must_change_password and request.url.path != "/operator/password":
        raise ConsolePasswordFirst()
    return operator


Console = Annotated[OperatorSession, Depends(console_operator)]
Field = Annotated[str, Form(max_length=500)]
DONE = {"removed": "The contact is unlinked.", "email": "The address is added; a confirmation letter is on its way.",
        "phone": "The new phone is confirmed.", "identity": "The identity is confirmed.",
        "released": "The recovery may finish now.",
        "recovered": "Access is restored: the citizen can now set a password with the new phone.",
        "answered": "The answer is sent.", "password": "The password is changed."}


def page(request: Request, name: str, *, status: int = 200, **context: object) -> HTMLResponse:
    me = getattr(request.state, "console", None)
    return render(request, name, status=status, operator_nav=True, supervisor=me is not None and me.role ==
                  "supervisor", first_password=me is not None and me.must_change_password, **context)


@router.get("", response_class=HTMLResponse)
def start(request: Request, operator: MaybeOperator) -> Response:
    if operator is not None:
        return go("/operator/visits/new")
    return render(request, "operator_sign_in.html", login="", problem=None)


@router.post("/sign-in", dependencies=[CsrfChecked])
def sign_in(request: Request, kb: Kb, meta: RequestMeta, login: Annotated[str, Form(max_length=64)] = "",
            password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    try:
        challenge = operators.start_sign_in(kb.ctx, meta, login=login, password=password)
    except KabinetError as exc:
        return render(request, "operator_sign_in.html", status=status_of(exc), login=login,
                      problem=problem_of(request, exc))
    return go(f"/operator/code/{challenge.id}")


@router.get("/code/{challenge_id}", response_class=HTMLResponse)
def code_page(request: Request, challenge_id: str, kb: Kb, operator: MaybeOperator, next: str = "") -> Response:
    try:
        challenge = challenges.show(kb.ctx, challenge_id, operator)
    except KabinetError:
        return go("/operator")
    return render(request, "operator_code.html", challenge=challenge, next=safe_next(next, ""), problem=None,
                  operator_nav=operator is not None, key_sign_in=_by_key(kb, challenge))


def _by_key(kb: Kb, challenge: ChallengeView) -> bool:
    """A console sign-in's second step may be a security key where the browser can use one."""
    return challenge.purpose == "operator_sign_in" and passkeys.available(kb.ctx)


@router.post("/code/{challenge_id}", dependencies=[CsrfChecked])
def code_submit(request: Request, challenge_id: str, kb: Kb, meta: RequestMeta, operator: MaybeOperator,
                code: Annotated[str, Form(max_length=16)] = "", next: str = "") -> Response:
    try:
        done = challenges.confirm(kb.ctx, meta, challenge_id, code, operator)
    except KabinetError as exc:
        try:
            challenge = challenges.show(kb.ctx, challenge_id, operator)
        except KabinetError:
            return go("/operator")
        return render(request, "operator_code.html", status=status_of(exc), challenge=challenge,
                      next=safe_next(next, ""), problem=problem_of(request, exc), operator_nav=operator is not None,
                      key_sign_in=_by_key(kb, challenge))
    if isinstance(done.result, operators.OperatorSignedIn):
        first = done.result.operator.must_change_password
        response = go("/operator/password" if first else "/operator/visits/new")
        set_operator_cookie(response, kb, done.result.operator_token)
        return response
    key = "recovered" if done.purpose == "centre_recovery" else "phone"
    return go(f"{safe_next(next, '/operator/visits/new')}?done={key}")


@router.post("/sign-out", dependencies=[CsrfChecked])
def sign_out(kb: Kb, meta: RequestMeta, operator: MaybeOperator) -> Response:
    if operator is not None:
        operators.sign_out(kb.ctx, meta, operator=operator)
    response = go("/operator")
    response.delete_cookie(OPERATOR_COOKIE, path="/operator", httponly=True, samesite="strict",
                           secure=kb.settings.secure_cookies)
    return response


@router.get("/visits/new", response_class=HTMLResponse)
def open_page(request: Request, operator: Console) -> Response:
    return page(request, "operator_open.html", form={}, problem=None)


@router.post("/visits", dependencies=[CsrfChecked])
def open_submit(request: Request, kb: Kb, meta: RequestMeta, operator: Console,
                snils: Annotated[str, Form(max_length=32)] = "",
                passport: Annotated[str, Form(max_length=32)] = "") -> Response:
    try:
        visit = visits.open_visit(kb.ctx, meta, operator=operator, snils=snils, passport=passport)
    except KabinetError as exc:
        return page(request, "operator_open.html", status=status_of(exc), form={"snils": snils, "passport": passport},
                    problem=problem_of(request, exc))
    return go(f"/operator/visits/{visit.id}")


@router.get("/visits/{visit_id}", response_class=HTMLResponse)
def visit_page(request: Request, visit_id: str, kb: Kb, operator: Console, done: str = "") -> Response:
    return _visit(request, kb, operator, visit_id, done=done)


def _visit(request: Request, kb: Kb, operator: OperatorSession, visit_id: str, *, done: str = "",
           problem: dict | None = None, target: str | None = None, status: int = 200) -> Response:
    try:
        visit = visits.show(kb.ctx, operator=operator, visit_id=visit_id)
    except VisitNotFound:
        return go("/operator/visits/new")
    return page(request, "operator_visit.html", status=status, visit=visit, problem=problem, target=target,
                done=done_text(request, done, DONE))


def _visit_action(request: Request, kb: Kb, operator: OperatorSession, visit_id: str, target: str,
         action: Callable[[], object], done: str) -> Response:
    """Run one centre flow; a refusal is shown on the visit page beside the form that asked."""
    try:
        result = action()
    except (VisitNotFound, OperatorAuthRequired):
        return go("/operator/visits/new")
    except KabinetError as exc:
        return _visit(request, kb, operator, visit_id, problem=problem_of(request, exc), target=target,
                      status=status_of(exc))
    if isinstance(result, ChallengeView):
        return go(f"/operator/code/{result.id}?next={quote(f'/operator/visits/{visit_id}')}")
    return go(f"/operator/visits/{visit_id}?done={done}")


@router.post("/visits/{visit_id}/contacts/{contact_id}/remove", dependencies=[CsrfChecked])
def remove(request: Request, visit_id: str, contact_id: str, kb: Kb, meta: RequestMeta, operator: Console,
           reason: Field = "") -> Response:
    return _visit_action(request, kb, operator, visit_id, f"remove-{contact_id}", lambda: unlink_contact.run(
        kb.ctx, meta, operator=operator, visit_id=visit_id, contact_id=contact_id, reason=reason), "removed")


@router.post("/visits/{visit_id}/email", dependencies=[CsrfChecked])
def email(request: Request, visit_id: str, kb: Kb, meta: RequestMeta, operator: Console,
          email: Annotated[str, Form(max_length=320)] = "", reason: Field = "") -> Response:
    return _visit_action(request, kb, operator, visit_id, "email", lambda: add_email.run(
        kb.ctx, meta, operator=operator, visit_id=visit_id, email=email, reason=reason), "email")


@router.post("/visits/{visit_id}/phone", dependencies=[CsrfChecked])
def phone(request: Request, visit_id: str, kb: Kb, meta: RequestMeta, operator: Console,
          phone: Annotated[str, Form(max_length=64)] = "", reason: Field = "") -> Response:
    return _visit_action(request, kb, operator, visit_id, "phone", lambda: replace_phone.start(
        kb.ctx, meta, operator=operator, visit_id=visit_id, phone=phone, reason=reason), "phone")


@router.post("/visits/{visit_id}/confirm-identity", dependencies=[CsrfChecked])
def identity(request: Request, visit_id: str, kb: Kb, meta: RequestMeta, operator: Console,
             reason: Field = "") -> Response:
    return _visit_action(request, kb, operator, visit_id, "identity", lambda: confirm_identity.run(
        kb.ctx, meta, operator=operator, visit_id=visit_id, reason=reason), "identity")


@router.post("/visits/{visit_id}/held-recoveries/{recovery_id}/release", dependencies=[CsrfChecked])
def release(request: Request, visit_id: str, recovery_id: str, kb: Kb, meta: RequestMeta, operator: Console,
            reason: Field = "") -> Response:
    return _visit_action(request, kb, operator, visit_id, f"held-{recovery_id}", lambda: release_recovery.run(
        kb.ctx, meta, operator=operator, visit_id=visit_id, recovery_id=recovery_id, reason=reason), "released")


@router.post("/visits/{visit_id}/recovery/{request_id}/complete", dependencies=[CsrfChecked])
def complete(request: Request, visit_id: str, request_id: str, kb: Kb, meta: RequestMeta, operator: Console,
             reason: Field = "") -> Response:
    return _visit_action(request, kb, operator, visit_id, f"recovery-{request_id}", lambda: complete_recovery.start(
        kb.ctx, meta, operator=operator, visit_id=visit_id, request_id=request_id, reason=reason), "recovered")


@router.post("/visits/{visit_id}/close", dependencies=[CsrfChecked])
def close(request: Request, visit_id: str, kb: Kb, meta: RequestMeta, operator: Console) -> Response:
    try:
        visits.close(kb.ctx, meta, operator=operator, visit_id=visit_id)
    except KabinetError:
        return go("/operator/visits/new")
    return go(f"/operator/visits/{visit_id}/receipt")


@router.get("/visits/{visit_id}/receipt", response_class=HTMLResponse)
def receipt_page(request: Request, visit_id: str, kb: Kb, operator: CurrentOperator, links: bool = True) -> Response:
    receipt = visits.receipt(kb.ctx, operator=operator, visit_id=visit_id, locale=locale_of(request))
    return render(request, "operator_receipt.html", receipt=receipt, links=links)


@router.get("/visits/{visit_id}/receipt.pdf")
async def receipt_pdf(request: Request, visit_id: str, kb: Kb, operator: CurrentOperator) -> Response:
    """The same page, rendered to PDF off the event loop (it takes tens of milliseconds)."""
    html = await kb.ctx.store.run(receipt_page, request, visit_id, kb, operator, False)
    pdf = await run_in_threadpool(_pdf, bytes(html.body).decode())
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="receipt-{visit_id[:8]}.pdf"'})


STATIC = Path(__file__).resolve().parents[1] / "static"
_PDF_BASE = "https://kabinet.invalid/"  # no such host: what the page links resolves here, and only to local files


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported on first use: it is heavy, and only the console needs it

    return HTML(string=html, base_url=_PDF_BASE, url_fetcher=_local_only).write_pdf()


def _local_only(url: str, **_options: object) -> dict[str, object]:
    """The receipt's own stylesheet from the package, never anything from the network (a PDF renderer that fetches
    what a page names would reach whatever an operator's input could name)."""
    name = url.removeprefix(f"{_PDF_BASE}static/")
    path = (STATIC / name).resolve()
    if name == url or path.parent != STATIC or not path.is_file():
        raise ValueError(f"not fetched for a PDF: {url[:100]}")
    return {"string": path.read_bytes(), "mime_type": "text/css" if name.endswith(".css") else None}


@router.get("/requests", response_class=HTMLResponse)
def requests_page(request: Request, kb: Kb, operator: Console, done: str = "") -> Response:
    return page(request, "operator_requests.html", requests=centre_requests.waiting(kb.ctx, operator=operator),
                problem=None, done=done_text(request, done, DONE))


@router.post("/requests/{request_id}/answer", dependencies=[CsrfChecked])
def answer(request: Request, request_id: str, kb: Kb, meta: RequestMeta, operator: Console,
           text: Annotated[str, Form(max_length=4000)] = "",
           state: Annotated[str, Form(max_length=16)] = "") -> Response:
    try:
        centre_requests.answer(kb.ctx, meta, operator=operator, request_id=request_id, text=text, state=state)
    except KabinetError as exc:
        return page(request, "operator_requests.html", status=status_of(exc), problem=problem_of(request, exc),
                    requests=centre_requests.waiting(kb.ctx, operator=operator), done=None)
    return go("/operator/requests?done=answered")


@router.get("/centre", response_class=HTMLResponse)
def centre_page(request: Request, kb: Kb, operator: Console) -> Response:
    try:
        view = supervision.overview(kb.ctx, operator=operator, locale=locale_of(request))
    except KabinetError as exc:
        return page(request, "operator_centre.html", status=status_of(exc), centre=None,
                    problem=problem_of(request, exc))
    return page(request, "operator_centre.html", centre=view, problem=None)


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request, operator: Console, done: str = "") -> Response:
    return page(request, "operator_password.html", problem=None, done=done_text(request, done, DONE))


@router.post("/password", dependencies=[CsrfChecked])
def password_submit(request: Request, kb: Kb, meta: RequestMeta, operator: Console,
                    current: Annotated[str, Form(max_length=1024)] = "",
                    new: Annotated[str, Form(max_length=1024)] = "") -> Response:
    try:
        operators.change_password(kb.ctx, meta, operator=operator, current=current, new=new)
    except KabinetError as exc:
        return page(request, "operator_password.html", status=status_of(exc), problem=problem_of(request, exc))
    return go("/operator/password?done=password")
