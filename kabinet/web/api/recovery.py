"""Identity data and recovery (API.md): routes parse, call one flow, answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from kabinet.flows.recovery import backup_codes, identity_data, lost_everything, passkey_proof, password_reset
from kabinet.web.api.answers import api_router
from kabinet.web.api.problem_docs import problem_responses
from kabinet.web.api.shapes import AccountOut, CodesOut, answers
from kabinet.web.deps import CurrentSession, Kb, RequestMeta

router = api_router(prefix="/api/v1", tags=["recovery"], responses=problem_responses())


class RecoveryIn(BaseModel):
    login: str = Field(max_length=320)


class ProofIn(BaseModel):
    kind: Literal["totp", "backup_code"]
    code: str = Field(max_length=32)


class PasswordIn(BaseModel):
    password: str = Field(max_length=1024)


class IdentityIn(BaseModel):
    snils: str = Field(max_length=32)
    passport: str = Field(max_length=32)
    birth_date: str = Field(max_length=16)


class LostEverythingIn(IdentityIn):
    phone: str = Field(max_length=64)


@router.post("/recovery", status_code=202, **answers(password_reset.Started, 202))
def start_recovery(body: RecoveryIn, kb: Kb, meta: RequestMeta) -> Any:
    return password_reset.start(kb.ctx, meta, login=body.login)


@router.get("/recovery/{recovery_id}", **answers(password_reset.RecoveryView))
def recovery_state(recovery_id: str, kb: Kb) -> Any:
    return password_reset.show(kb.ctx, recovery_id=recovery_id)


@router.post("/recovery/{recovery_id}/proof", **answers(password_reset.RecoveryView))
def prove(recovery_id: str, body: ProofIn, kb: Kb, meta: RequestMeta) -> Any:
    return password_reset.prove(kb.ctx, meta, recovery_id=recovery_id, kind=body.kind, code=body.code)


class PasskeyOptionsOut(BaseModel):
    options: dict[str, Any]  # PublicKeyCredentialRequestOptionsJSON


class PasskeyProofIn(BaseModel):
    credential: dict[str, Any]  # AuthenticationResponseJSON


@router.post("/recovery/{recovery_id}/passkey/options", **answers(PasskeyOptionsOut))
def passkey_options(recovery_id: str, kb: Kb, meta: RequestMeta) -> Any:
    """Request options for the second proof by a passkey: the account's own, past their cooling-off."""
    return {"options": passkey_proof.options(kb.ctx, meta, recovery_id=recovery_id)}


@router.post("/recovery/{recovery_id}/passkey", **answers(password_reset.RecoveryView))
def prove_with_passkey(recovery_id: str, body: PasskeyProofIn, kb: Kb, meta: RequestMeta) -> Any:
    """The second proof by a passkey: answers as ``/proof`` does; a refusal is ``401``, a new passkey ``409``."""
    return passkey_proof.prove(kb.ctx, meta, recovery_id=recovery_id, credential=body.credential)


@router.post("/recovery/{recovery_id}/password", status_code=204)
def new_password(recovery_id: str, body: PasswordIn, kb: Kb, meta: RequestMeta) -> None:
    password_reset.set_password(kb.ctx, meta, recovery_id=recovery_id, password=body.password)


class CancelIn(BaseModel):
    token: str = Field(max_length=128)


@router.post("/recovery/cancel", **answers(password_reset.Cancelled))
def cancel_by_link(body: CancelIn, kb: Kb, meta: RequestMeta) -> Any:
    """The link every channel got when a recovery was held: it stops the recovery (signed out)."""
    return password_reset.cancel(kb.ctx, meta, token=body.token)


@router.post("/recovery/{recovery_id}/cancel", **answers(password_reset.Cancelled))
def cancel_own(recovery_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    """The citizen, signed in, stops a held recovery of their account."""
    return password_reset.cancel_own(kb.ctx, meta, account_id=session.account_id, recovery_id=recovery_id)


@router.post("/recovery/identity", status_code=202, **answers(lost_everything.Filed, 202))
def lost_everything_request(body: LostEverythingIn, kb: Kb, meta: RequestMeta) -> Any:
    return lost_everything.request(kb.ctx, meta, snils=body.snils, passport=body.passport, birth_date=body.birth_date,
                                   phone=body.phone)


@router.put("/identity", **answers(AccountOut))
def save_identity(body: IdentityIn, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"account": identity_data.save(kb.ctx, meta, session=session, snils=body.snils, passport=body.passport,
                                          birth_date=body.birth_date)}


@router.get("/identity", **answers(identity_data.IdentityView))
def show_identity(kb: Kb, session: CurrentSession) -> Any:
    return identity_data.show(kb.ctx, session=session)


@router.post("/backup-codes", status_code=201, **answers(CodesOut, 201))
def make_backup_codes(kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"codes": backup_codes.make(kb.ctx, meta, session=session)}
