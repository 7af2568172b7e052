"""Settings → Contact data (S7, S8, S12, S14): the list, add, resend, make primary, change, and delete after the
unlink checklist — each a form calling one flow, then back to the list (POST-redirect-GET)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from kabinet.domain.errors import KabinetError, StepUpRequired
from kabinet.flows.contacts import (
    add_email,
    add_phone,
    change_contact,
    contact_list,
    make_primary,
    remove_contact,
    resend_verification,
    send_test_notice,
)
from kabinet.flows.shared.results import ChallengeView, ContactView
from kabinet.web.deps import Kb, RequestMeta
from kabinet.web.pages.common import (
    Citizen,
    CsrfChecked,
    done_text,
    go,
    problem_of,
    refused,
    run_action,
    safe_next,
    to_step_up,
)
from kabinet.web.steps import reads_only, step_router
from kabinet.web.templating import render

router = step_router(prefix="/settings/contacts", include_in_schema=False)
LIST = "/settings/contacts"


def _list(request: Request, kb: Kb, session: Citizen, *, problem: dict | None = None, status: int = 200,
          form_kind: str = "", form_value: str = "", done: str | None = None) -> HTMLResponse:
    contacts = contact_list.list_contacts(kb.ctx, account_id=session.account_id)
    if done in ("email_added", "email_again") and all(c.verified for c in contacts if c.kind == "email"):
        done = None  # "we sent a letter" once the address is confirmed (Back, a reload) would mislead
    mailbox = next((c for c in contacts if c.kind == "email" and c.primary and c.verified), None)  # notices go there
    return render(request, "contacts.html", status=status, contacts=contacts, mailbox=mailbox, problem=problem,
                  form_kind=form_kind, form_value=form_value, done=done_text(request, done), signed_in=True,
                  back_to_service=_service_return(request), now=kb.ctx.clock.now())


RETURN = "kabinet_return"  # a relying service's sign-in waiting for a contact to be added


def _service_return(request: Request) -> str | None:
    """Where the citizen goes back once the contact a service requires is added — only a sign-in to a service."""
    for found in (request.query_params.get("next"), request.cookies.get(RETURN)):
        back = safe_next(found, "")
        if back.startswith("/oidc/authorize?"):
            return back
    return None


@router.get("", response_class=HTMLResponse)
@reads_only
def contacts_page(request: Request, kb: Kb, session: Citizen, done: str | None = None) -> HTMLResponse:
    page = _list(request, kb, session, done=done)
    if (back := _service_return(request)) and request.query_params.get("next"):
        # Kept for an hour: adding an address goes through a letter and back, and the way on must not be lost.
        page.set_cookie(RETURN, back, max_age=3600, httponly=True, samesite="lax", path="/settings/contacts",
                        secure=kb.settings.base_url.startswith("https://"))
    return page


@router.post("/add", dependencies=[CsrfChecked])
def add(request: Request, kb: Kb, meta: RequestMeta, session: Citizen, kind: Annotated[str, Form()] = "email",
        email: Annotated[str, Form(max_length=320)] = "", phone: Annotated[str, Form(max_length=64)] = "") -> Response:
    try:
        if kind == "phone":
            started = add_phone.start(kb.ctx, meta, session=session, value=phone)
            return go(f"/confirm/{started.challenge.id}" if started.challenge else LIST)
        added = add_email.start(kb.ctx, meta, session=session, value=email)
    except StepUpRequired:
        return to_step_up(LIST)
    except KabinetError as exc:
        problem = problem_of(request, exc)
        if problem["field"] in (None, "value"):  # "already yours", "taken", a limit: said under the field typed in
            problem["field"] = "phone" if kind == "phone" else "email"
        return refused(request, LIST, exc, problem=problem, form_kind=kind,
                       form_value=phone if kind == "phone" else email)
    return go(f"{LIST}?done={'email_again' if added.again else 'email_added'}")



@router.post("/{contact_id}/primary", dependencies=[CsrfChecked])
def primary(request: Request, contact_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=LIST, done="primary",
                      action=lambda: make_primary.run(kb.ctx, meta, session=session, contact_id=contact_id))


@router.post("/{contact_id}/resend", dependencies=[CsrfChecked])
def resend(request: Request, contact_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=LIST, done="resent",
                      action=lambda: resend_verification.run(kb.ctx, meta, session=session, contact_id=contact_id))


@router.post("/test-notification", dependencies=[CsrfChecked])
def notify(request: Request, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=LIST, done="test_sent",
                      action=lambda: send_test_notice.run(kb.ctx, meta, session=session))


def _contact(kb: Kb, session: Citizen, contact_id: str) -> ContactView | None:
    contacts = contact_list.list_contacts(kb.ctx, account_id=session.account_id)
    return next((c for c in contacts if str(c.id) == contact_id), None)


@router.get("/{contact_id}/remove", response_class=HTMLResponse)
def remove_page(request: Request, contact_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    contact = _contact(kb, session, contact_id)
    if contact is None:
        return go(LIST)
    checklist = remove_contact.checklist(kb.ctx, meta, session=session, contact_id=contact_id)
    return render(request, "remove.html", contact=contact, checklist=checklist, problem=None, signed_in=True)


@router.post("/{contact_id}/remove", dependencies=[CsrfChecked])
def remove(request: Request, contact_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    try:
        started = remove_contact.start(kb.ctx, meta, session=session, contact_id=contact_id)
    except KabinetError as exc:
        return refused(request, LIST, exc)
    if isinstance(started, ChallengeView):
        return go(f"/confirm/{started.id}")
    return go(f"{LIST}?done=removed_unconfirmed")  # never confirmed: gone at once, no code needed


@router.get("/{contact_id}/change", response_class=HTMLResponse)
@reads_only
def change_page(request: Request, contact_id: str, kb: Kb, session: Citizen) -> Response:
    contact = _contact(kb, session, contact_id)
    if contact is None:
        return go(LIST)
    return render(request, "change.html", contact=contact, value="", problem=None, signed_in=True)


@router.post("/{contact_id}/change", dependencies=[CsrfChecked])
def change(request: Request, contact_id: str, kb: Kb, meta: RequestMeta, session: Citizen,
           value: Annotated[str, Form(max_length=320)] = "") -> Response:
    try:
        challenge = change_contact.start(kb.ctx, meta, session=session, contact_id=contact_id, value=value)
    except KabinetError as exc:
        problem = problem_of(request, exc)
        problem["field"] = "value" if problem["field"] in ("email", "phone", "value") else problem["field"]
        return refused(request, f"{LIST}/{contact_id}/change", exc, problem=problem, value=value)
    return go(f"/confirm/{challenge.id}")
