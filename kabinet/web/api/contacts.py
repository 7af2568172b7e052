"""Contact data (API.md): list, add, verify, resend, primary, settings, checklist, remove, change."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kabinet.flows.account import export as export_flow
from kabinet.flows.account import services
from kabinet.flows.contacts import (
    add_email,
    add_phone,
    change_contact,
    contact_list,
    contact_settings,
    make_primary,
    remove_contact,
    resend_verification,
    send_test_notice,
    verify_email,
)
from kabinet.flows.contacts._api import Removed
from kabinet.flows.shared.results import PendingContact
from kabinet.web.api.answers import api_router
from kabinet.web.api.inputs import TokenIn
from kabinet.web.api.problem_docs import problem_responses
from kabinet.web.api.shapes import ChallengeOut, ContactOut, ContactsOut, ServicesOut, answers
from kabinet.web.deps import CurrentSession, Kb, RequestMeta

router = api_router(prefix="/api/v1", responses=problem_responses())


class ContactIn(BaseModel):
    kind: Literal["email", "phone"]
    value: str = Field(max_length=320)


class ValueIn(BaseModel):
    value: str = Field(max_length=320)


class SettingsIn(BaseModel):
    sign_in: bool | None = None
    recovery: bool | None = None
    sign_in_notices: bool | None = None  # told of sign-ins from new devices


@router.get("/contacts", **answers(ContactsOut))
async def list_contacts(kb: Kb, session: CurrentSession) -> Any:
    return {"contacts": await kb.ctx.store.run_read(contact_list.list_contacts, kb.ctx, account_id=session.account_id)}


@router.post("/contacts", status_code=201, **answers(ContactOut, 201, (202, PendingContact)))
def add_contact(body: ContactIn, kb: Kb, meta: RequestMeta, session: CurrentSession,
                response: Response) -> Any:
    if body.kind == "email":
        return {"contact": add_email.start(kb.ctx, meta, session=session, value=body.value).contact}
    response.status_code = 202
    return add_phone.start(kb.ctx, meta, session=session, value=body.value)


@router.post("/contacts/verify", **answers(verify_email.EmailVerified))
def verify(body: TokenIn, kb: Kb, meta: RequestMeta) -> Any:
    return verify_email.confirm(kb.ctx, meta, token=body.token)


@router.post("/contacts/{contact_id}/resend", status_code=202, **answers(resend_verification.Resent, 202))
def resend(contact_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return resend_verification.run(kb.ctx, meta, session=session, contact_id=contact_id)


@router.post("/contacts/{contact_id}/primary", **answers(ContactOut))
def primary(contact_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"contact": make_primary.run(kb.ctx, meta, session=session, contact_id=contact_id)}


@router.patch("/contacts/{contact_id}", **answers(ContactOut))
def settings(contact_id: str, body: SettingsIn, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"contact": contact_settings.update(kb.ctx, meta, session=session, contact_id=contact_id,
                                               sign_in=body.sign_in, recovery=body.recovery,
                                               sign_in_notices=body.sign_in_notices)}


@router.get("/contacts/{contact_id}/checklist", **answers(remove_contact.Checklist))
def checklist(contact_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return remove_contact.checklist(kb.ctx, meta, session=session, contact_id=contact_id)


@router.delete("/contacts/{contact_id}", status_code=202, **answers(ChallengeOut, 202, (200, Removed)))
def remove(contact_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    """``202`` a code to another contact; ``200 {"removed"}`` at once for a contact never confirmed."""
    started = remove_contact.start(kb.ctx, meta, session=session, contact_id=contact_id)
    if isinstance(started, Removed):
        return JSONResponse(jsonable_encoder(started), status_code=200)
    return {"challenge": started}


@router.post("/contacts/{contact_id}/change", status_code=202, **answers(ChallengeOut, 202))
def change(contact_id: str, body: ValueIn, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"challenge": change_contact.start(kb.ctx, meta, session=session, contact_id=contact_id,
                                              value=body.value)}


@router.post("/notifications/test", status_code=202, **answers(send_test_notice.NoticeSent, 202))
def notify_test(kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return send_test_notice.run(kb.ctx, meta, session=session)


@router.get("/services", **answers(ServicesOut))
def list_services(kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"services": services.catalogue(kb.ctx, account_id=session.account_id, locale=meta.locale)}


@router.get("/export", **answers(export_flow.Export))
def export(kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return export_flow.run(kb.ctx, meta, session=session)
