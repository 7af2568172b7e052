"""The trusted person: routes parse, call one flow, answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from kabinet.flows.trusted import approvals, invitations, overview, removal
from kabinet.web.api.answers import api_router
from kabinet.web.api.problem_docs import problem_responses
from kabinet.web.api.shapes import ApprovalOut, ChallengeOut, LinkOut, answers
from kabinet.web.deps import CurrentSession, Kb, RequestMeta

router = api_router(prefix="/api/v1/trusted", tags=["trusted person"], responses=problem_responses())


class InviteIn(BaseModel):
    phone: str = Field(max_length=64)


@router.get("", **answers(overview.TrustedOverview))
def show(kb: Kb, session: CurrentSession) -> Any:
    return overview.show(kb.ctx, session=session)


@router.post("/invitations", status_code=201, **answers(LinkOut, 201))
def invite(body: InviteIn, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"link": invitations.invite(kb.ctx, meta, session=session, phone=body.phone)}


@router.delete("/invitations/{link_id}", status_code=204)
def cancel_invitation(link_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> None:
    invitations.cancel(kb.ctx, meta, session=session, link_id=link_id)


@router.post("/invitations/{link_id}/accept", **answers(LinkOut))
def accept(link_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"link": invitations.accept(kb.ctx, meta, session=session, link_id=link_id)}


@router.post("/invitations/{link_id}/decline", status_code=204)
def decline(link_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> None:
    invitations.decline(kb.ctx, meta, session=session, link_id=link_id)


@router.delete("/links/{link_id}", **answers(LinkOut))
def remove(link_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    """In force: ends after the cooling-off. A replacement not yet in force: cancelled at once."""
    return {"link": removal.remove(kb.ctx, meta, session=session, link_id=link_id)}


@router.post("/links/{link_id}/keep", **answers(LinkOut))
def keep(link_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"link": removal.keep(kb.ctx, meta, session=session, link_id=link_id)}


@router.post("/requests/{approval_id}/approve", status_code=202, **answers(ChallengeOut, 202))
def approve(approval_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    """A code to the trusted person's own app or phone; confirming it approves the request."""
    return {"challenge": approvals.start_approve(kb.ctx, meta, session=session, approval_id=approval_id)}


@router.post("/requests/{approval_id}/refuse", **answers(ApprovalOut))
def refuse(approval_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"approval": approvals.refuse(kb.ctx, meta, session=session, approval_id=approval_id)}


@router.post("/asked/{approval_id}/cancel", **answers(ApprovalOut))
def cancel_asked(approval_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    """The citizen withdraws a request of theirs that waits for the trusted person."""
    return {"approval": approvals.cancel(kb.ctx, meta, session=session, approval_id=approval_id)}
