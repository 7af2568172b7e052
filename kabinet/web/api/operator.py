"""The service-centre console's API (API.md "Service-centre console"): routes parse, call one centre flow, answer.
Every route but sign-in needs an operator's token; a citizen's is refused."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import BaseModel, Field

from kabinet.flows.centre import (
    add_email,
    complete_recovery,
    confirm_identity,
    operator_keys,
    operators,
    release_recovery,
    replace_phone,
    supervision,
    unlink_contact,
    visits,
)
from kabinet.flows.contacts._api import Removed
from kabinet.flows.shared import challenges
from kabinet.flows.shared.results import PendingContact
from kabinet.web.api.answers import api_router
from kabinet.web.api.inputs import CodeIn, KeyAnswerIn, NewKeyIn, SignInIn
from kabinet.web.api.problem_docs import problem_responses
from kabinet.web.api.shapes import AccountOut, ChallengeOut, ContactOut, answers
from kabinet.web.deps import CurrentOperator, Kb, RequestMeta, set_operator_cookie

router = api_router(prefix="/api/v1/operator", tags=["service centre"], responses=problem_responses())


class DocumentIn(BaseModel):
    snils: str = Field(max_length=32)
    passport: str = Field(max_length=32)


class ReasonIn(BaseModel):
    reason: str = Field(max_length=500)


class PhoneIn(ReasonIn):
    phone: str = Field(max_length=64)


class EmailIn(ReasonIn):
    email: str = Field(max_length=320)


class VisitOut(BaseModel):
    visit: visits.VisitView


class ClosedOut(BaseModel):
    receipt_url: str  # HTML; the same with ``.pdf`` is the PDF
    receipt: visits.Receipt


@router.post("/sign-in", status_code=202, **answers(ChallengeOut, 202))
def sign_in(body: SignInIn, kb: Kb, meta: RequestMeta) -> Any:
    return {"challenge": operators.start_sign_in(kb.ctx, meta, login=body.login, password=body.password)}


@router.post("/sign-in/{challenge_id}/confirm", **answers(operators.OperatorSignedIn))
def confirm_sign_in(challenge_id: str, body: CodeIn, kb: Kb, meta: RequestMeta) -> Any:
    return challenges.confirm(kb.ctx, meta, challenge_id, body.code, None).result


class KeyOptionsOut(BaseModel):
    options: dict[str, Any]  # PublicKeyCredentialCreationOptionsJSON or …RequestOptionsJSON


class KeyOut(BaseModel):
    key: operator_keys.OperatorKeyView


class KeysOut(BaseModel):
    keys: list[operator_keys.OperatorKeyView]


@router.post("/sign-in/{challenge_id}/key/options", **answers(KeyOptionsOut))
def sign_in_key_options(challenge_id: str, kb: Kb, meta: RequestMeta) -> Any:
    """After the password: request options for the operator's security keys, in place of the app's code."""
    return {"options": operators.key_options(kb.ctx, meta, challenge_id=challenge_id)}


@router.post("/sign-in/{challenge_id}/key", **answers(operators.OperatorSignedIn))
def sign_in_with_key(challenge_id: str, body: KeyAnswerIn, kb: Kb, meta: RequestMeta, response: Response) -> Any:
    """As the app code's confirm answers; it also sets the console's cookie, for the console page's script."""
    signed = operators.sign_in_with_key(kb.ctx, meta, challenge_id=challenge_id, credential=body.credential)
    set_operator_cookie(response, kb, signed.operator_token)
    return signed


@router.get("/keys", **answers(KeysOut))
def list_keys(kb: Kb, operator: CurrentOperator) -> Any:
    return {"keys": operator_keys.list_keys(kb.ctx, operator=operator)}


@router.post("/keys/options", **answers(KeyOptionsOut))
def key_creation_options(kb: Kb, meta: RequestMeta, operator: CurrentOperator) -> Any:
    """Creation options for a new security key: right after a sign-in (else 403 ``operator.sign_in_again``)."""
    return {"options": operator_keys.options(kb.ctx, meta, operator=operator)}


@router.post("/keys", status_code=201, **answers(KeyOut, 201))
def add_key(body: NewKeyIn, kb: Kb, meta: RequestMeta, operator: CurrentOperator) -> Any:
    return {"key": operator_keys.add(kb.ctx, meta, operator=operator, name=body.name, credential=body.credential)}


@router.delete("/keys/{key_id}", status_code=204)
def remove_key(key_id: str, kb: Kb, meta: RequestMeta, operator: CurrentOperator) -> None:
    operator_keys.remove(kb.ctx, meta, operator=operator, key_id=key_id)


@router.post("/sign-out", status_code=204)
def sign_out(kb: Kb, meta: RequestMeta, operator: CurrentOperator) -> None:
    operators.sign_out(kb.ctx, meta, operator=operator)


@router.post("/challenges/{challenge_id}/confirm", **answers(PendingContact | complete_recovery.Recovered))
def confirm(challenge_id: str, body: CodeIn, kb: Kb, meta: RequestMeta, operator: CurrentOperator) -> Any:
    """A code read out by the citizen at the counter (a new phone, a lost-everything request)."""
    return challenges.confirm(kb.ctx, meta, challenge_id, body.code, operator).result


@router.post("/visits", status_code=201, **answers(VisitOut, 201))
def open_visit(body: DocumentIn, kb: Kb, meta: RequestMeta, operator: CurrentOperator) -> Any:
    return {"visit": visits.open_visit(kb.ctx, meta, operator=operator, snils=body.snils, passport=body.passport)}


@router.get("/visits/{visit_id}", **answers(VisitOut))
def show_visit(visit_id: str, kb: Kb, operator: CurrentOperator) -> Any:
    return {"visit": visits.show(kb.ctx, operator=operator, visit_id=visit_id)}


@router.post("/visits/{visit_id}/contacts/{contact_id}/remove", **answers(Removed))
def remove_contact(visit_id: str, contact_id: str, body: ReasonIn, kb: Kb, meta: RequestMeta,
                   operator: CurrentOperator) -> Any:
    return unlink_contact.run(kb.ctx, meta, operator=operator, visit_id=visit_id, contact_id=contact_id,
                              reason=body.reason)


@router.post("/visits/{visit_id}/phone", status_code=202, **answers(ChallengeOut, 202))
def new_phone(visit_id: str, body: PhoneIn, kb: Kb, meta: RequestMeta, operator: CurrentOperator) -> Any:
    return {"challenge": replace_phone.start(kb.ctx, meta, operator=operator, visit_id=visit_id, phone=body.phone,
                                             reason=body.reason)}


@router.post("/visits/{visit_id}/email", status_code=201, **answers(ContactOut, 201))
def new_email(visit_id: str, body: EmailIn, kb: Kb, meta: RequestMeta, operator: CurrentOperator) -> Any:
    return {"contact": add_email.run(kb.ctx, meta, operator=operator, visit_id=visit_id, email=body.email,
                                     reason=body.reason)}


@router.post("/visits/{visit_id}/confirm-identity", **answers(AccountOut))
def identity(visit_id: str, body: ReasonIn, kb: Kb, meta: RequestMeta, operator: CurrentOperator) -> Any:
    return {"account": confirm_identity.run(kb.ctx, meta, operator=operator, visit_id=visit_id, reason=body.reason)}


@router.post("/visits/{visit_id}/recovery/{request_id}/complete", status_code=202, **answers(ChallengeOut, 202))
def complete(visit_id: str, request_id: str, body: ReasonIn, kb: Kb, meta: RequestMeta,
             operator: CurrentOperator) -> Any:
    return {"challenge": complete_recovery.start(kb.ctx, meta, operator=operator, visit_id=visit_id,
                                                 request_id=request_id, reason=body.reason)}


@router.post("/visits/{visit_id}/held-recoveries/{recovery_id}/release", status_code=204)
def release(visit_id: str, recovery_id: str, body: ReasonIn, kb: Kb, meta: RequestMeta,
            operator: CurrentOperator) -> None:
    release_recovery.run(kb.ctx, meta, operator=operator, visit_id=visit_id, recovery_id=recovery_id,
                         reason=body.reason)


@router.post("/visits/{visit_id}/close", **answers(ClosedOut))
def close(visit_id: str, kb: Kb, meta: RequestMeta, operator: CurrentOperator) -> Any:
    receipt = visits.close(kb.ctx, meta, operator=operator, visit_id=visit_id)
    return {"receipt_url": f"/operator/visits/{receipt.visit_id}/receipt", "receipt": receipt}


@router.get("/centre", **answers(supervision.CentreView))
def centre(kb: Kb, meta: RequestMeta, operator: CurrentOperator) -> Any:
    """Supervisors only: the centre's operators and their recent visits, each with what was done."""
    return supervision.overview(kb.ctx, operator=operator, locale=meta.locale)


class PasswordIn(BaseModel):
    current: str = Field(max_length=1024)
    new: str = Field(max_length=1024)


@router.post("/password", status_code=204)
def password(body: PasswordIn, kb: Kb, meta: RequestMeta, operator: CurrentOperator) -> None:
    """Change the operator's own password; every other session of the operator ends."""
    operators.change_password(kb.ctx, meta, operator=operator, current=body.current, new=body.new)
