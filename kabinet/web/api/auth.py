"""Registration, sign-in, challenges, step-up, sign-out, me (API.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from kabinet.flows.access import change_password, registration, sign_in, step_up, totp
from kabinet.flows.access import sessions as session_flows
from kabinet.flows.recovery import not_me
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import load_account
from kabinet.flows.shared.views import account_view
from kabinet.web.api.problem_docs import problem_responses
from kabinet.web.deps import (
    CurrentSession,
    Kb,
    MaybeSession,
    RequestMeta,
    clear_session_cookie,
    set_session_cookie,
)

router = APIRouter(prefix="/api/v1", responses=problem_responses())


class RegistrationIn(BaseModel):
    phone: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    full_name: str = Field(max_length=300)


class SignInIn(BaseModel):
    login: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class CodeIn(BaseModel):
    code: str = Field(max_length=16)


@router.post("/registrations", status_code=202)
def register(body: RegistrationIn, kb: Kb, meta: RequestMeta) -> dict[str, Any]:
    return {"challenge": registration.start(kb.ctx, meta, phone=body.phone, password=body.password,
                                            full_name=body.full_name)}


@router.post("/sign-in", status_code=202)
def start_sign_in(body: SignInIn, kb: Kb, meta: RequestMeta) -> dict[str, Any]:
    return {"challenge": sign_in.start(kb.ctx, meta, login=body.login, password=body.password)}


@router.post("/challenges/{challenge_id}/confirm")
def confirm(challenge_id: str, body: CodeIn, kb: Kb, meta: RequestMeta, session: MaybeSession,
            response: Response) -> dict[str, Any]:
    result = challenges.confirm(kb.ctx, meta, challenge_id, body.code, session)
    response.status_code = result.pop("status", 200)
    if result.get("session_token"):
        set_session_cookie(response, kb, result["session_token"])
    return result


@router.post("/challenges/{challenge_id}/resend", status_code=202)
def resend(challenge_id: str, kb: Kb, meta: RequestMeta, session: MaybeSession) -> dict[str, Any]:
    return {"challenge": challenges.resend(kb.ctx, meta, challenge_id, session)}


@router.post("/step-up", status_code=202)
def start_step_up(kb: Kb, meta: RequestMeta, session: CurrentSession) -> dict[str, Any]:
    return {"challenge": step_up.start(kb.ctx, meta, session=session)}


@router.post("/sign-out", status_code=204)
def sign_out(kb: Kb, meta: RequestMeta, session: CurrentSession, response: Response) -> None:
    session_flows.sign_out(kb.ctx, meta, session=session)
    clear_session_cookie(response, kb)


@router.get("/me")
def me(kb: Kb, session: CurrentSession) -> dict[str, Any]:
    return account_view(load_account(kb.ctx, session.account_id))


class PasswordChangeIn(BaseModel):
    current: str = Field(max_length=1024)
    new: str = Field(max_length=1024)


class LinkIn(BaseModel):
    token: str = Field(max_length=200)


@router.post("/totp", status_code=202)
def enrol_totp(kb: Kb, meta: RequestMeta, session: CurrentSession) -> dict[str, Any]:
    return totp.start_enrol(kb.ctx, meta, session=session)


@router.post("/password", status_code=204)
def password(body: PasswordChangeIn, kb: Kb, meta: RequestMeta, session: CurrentSession) -> None:
    change_password.run(kb.ctx, meta, session=session, current=body.current, new=body.new)


@router.post("/not-me")
def this_was_not_me(body: LinkIn, kb: Kb, meta: RequestMeta) -> dict[str, Any]:
    return not_me.run(kb.ctx, meta, token=body.token)
