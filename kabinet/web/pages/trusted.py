"""The trusted person as a page, for both sides: invite, remove, keep; answer an invitation; approve
(with a code, on the usual code page) or refuse a request; cancel what waits. Every form works without
JavaScript; each route parses a form and calls one flow, as the API does."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from kabinet.flows.recovery import password_reset
from kabinet.flows.trusted import approvals, invitations, overview, removal
from kabinet.flows.trusted._api import ACTIONS
from kabinet.web.deps import Kb, RequestMeta
from kabinet.web.pages.common import Citizen, CsrfChecked, done_text, run_action
from kabinet.web.steps import step_router
from kabinet.web.templating import render

router = step_router(prefix="/trusted", include_in_schema=False)
PAGE = "/trusted"
DONE = {
    "invited": "The invitation is sent. The person answers in their own personal account.",
    "approved": "Approved.", "refused": "Refused. The citizen has been told.",
    "accepted": "You are now a trusted person.",
    "declined": "Declined.", "cancelled": "Cancelled.", "removal": "Done. Every contact of yours has been told.",
    "kept": "The trusted person stays.",
    "password_asked": "The new password waits for your trusted person's approval. It takes effect once they approve.",
}


def page(request: Request, kb: Kb, session: Citizen, *, problem: dict | None = None, status: int = 200,
         done: str | None = None) -> HTMLResponse:
    return render(request, "trusted.html", status=status, signed_in=True, problem=problem,
                  done=done_text(request, done, DONE), view=overview.show(kb.ctx, session=session), actions=ACTIONS)


@router.get("", response_class=HTMLResponse)
def show(request: Request, kb: Kb, session: Citizen, done: str | None = None) -> HTMLResponse:
    return page(request, kb, session, done=done)



@router.post("/invitations", dependencies=[CsrfChecked])
def invite(request: Request, kb: Kb, meta: RequestMeta, session: Citizen,
           phone: Annotated[str, Form(max_length=64)] = "") -> Response:
    return run_action(request, back=PAGE, done="invited",
                      action=lambda: invitations.invite(kb.ctx, meta, session=session, phone=phone))


@router.post("/invitations/{link_id}/cancel", dependencies=[CsrfChecked])
def cancel_invitation(request: Request, link_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=PAGE, done="cancelled",
                      action=lambda: invitations.cancel(kb.ctx, meta, session=session, link_id=link_id))


@router.post("/invitations/{link_id}/accept", dependencies=[CsrfChecked])
def accept(request: Request, link_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=PAGE, done="accepted",
                      action=lambda: invitations.accept(kb.ctx, meta, session=session, link_id=link_id))


@router.post("/invitations/{link_id}/decline", dependencies=[CsrfChecked])
def decline(request: Request, link_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=PAGE, done="declined",
                      action=lambda: invitations.decline(kb.ctx, meta, session=session, link_id=link_id))


@router.post("/links/{link_id}/remove", dependencies=[CsrfChecked])
def remove(request: Request, link_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=PAGE, done="removal",
                      action=lambda: removal.remove(kb.ctx, meta, session=session, link_id=link_id))


@router.post("/links/{link_id}/keep", dependencies=[CsrfChecked])
def keep(request: Request, link_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=PAGE, done="kept",
                      action=lambda: removal.keep(kb.ctx, meta, session=session, link_id=link_id))


@router.post("/requests/{approval_id}/approve", dependencies=[CsrfChecked])
def approve(request: Request, approval_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    """On to the code page: the code goes to the trusted person's own app or phone."""
    return run_action(request, back=PAGE, done="approved",
                      action=lambda: approvals.start_approve( kb.ctx, meta, session=session, approval_id=approval_id))


@router.post("/requests/{approval_id}/refuse", dependencies=[CsrfChecked])
def refuse(request: Request, approval_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=PAGE, done="refused",
                      action=lambda: approvals.refuse(kb.ctx, meta, session=session, approval_id=approval_id))


@router.post("/asked/{approval_id}/cancel", dependencies=[CsrfChecked])
def cancel_asked(request: Request, approval_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=PAGE, done="cancelled",
                      action=lambda: approvals.cancel(kb.ctx, meta, session=session, approval_id=approval_id))


@router.post("/recoveries/{recovery_id}/cancel", dependencies=[CsrfChecked])
def cancel_recovery(request: Request, recovery_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=PAGE, done="cancelled", action=lambda: password_reset.cancel_own(
        kb.ctx, meta, account_id=session.account_id, recovery_id=recovery_id))
