"""Registration, sign-in, challenges, step-up, sign-out, me (API.md)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kabinet.flows.access import change_password, registration, sign_in, step_up, totp
from kabinet.flows.access import sessions as session_flows
from kabinet.flows.account import language
from kabinet.flows.recovery import not_me
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import load_account
from kabinet.flows.shared.results import AccountView, account_view
from kabinet.web.api.answers import api_router
from kabinet.web.api.inputs import CodeIn, SignInIn, TokenIn
from kabinet.web.api.problem_docs import problem_responses
from kabinet.web.api.shapes import ApprovalOut, ChallengeOut, Confirmed, answers
from kabinet.web.deps import (
    AnyCaller,
    CurrentSession,
    Kb,
    MaybeSession,
    RequestMeta,
    clear_session_cookie,
    set_session_cookie,
)

router = api_router(prefix="/api/v1", responses=problem_responses())


class RegistrationIn(BaseModel):
    phone: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    full_name: str = Field(max_length=300)


@router.post("/registrations", status_code=202, **answers(ChallengeOut, 202))
def register(body: RegistrationIn, kb: Kb, meta: RequestMeta) -> Any:
    return {"challenge": registration.start(kb.ctx, meta, phone=body.phone, password=body.password,
                                            full_name=body.full_name)}


@router.post("/sign-in", status_code=202, **answers(ChallengeOut, 202))
def start_sign_in(body: SignInIn, kb: Kb, meta: RequestMeta) -> Any:
    return {"challenge": sign_in.start(kb.ctx, meta, login=body.login, password=body.password)}


@router.post("/challenges/{challenge_id}/confirm", **answers(Confirmed, 200, (201, Confirmed)))
def confirm(challenge_id: str, body: CodeIn, kb: Kb, meta: RequestMeta, caller: AnyCaller,
            response: Response) -> Any:
    """Any code: a citizen's, or one an operator's console sent (answered with the operator's token)."""
    done = challenges.confirm(kb.ctx, meta, challenge_id, body.code, caller)
    response.status_code = 201 if done.purpose == "register" else 200  # a new account
    if token := getattr(done.result, "session_token", None):
        set_session_cookie(response, kb, token, meta)
    return done.result


@router.post("/challenges/{challenge_id}/resend", status_code=202, **answers(ChallengeOut, 202))
def resend(challenge_id: str, kb: Kb, meta: RequestMeta, session: MaybeSession) -> Any:
    return {"challenge": challenges.resend(kb.ctx, meta, challenge_id, session)}


@router.post("/challenges/{challenge_id}/send-code", status_code=202, **answers(ChallengeOut, 202))
def send_code_instead(challenge_id: str, kb: Kb, meta: RequestMeta, session: MaybeSession) -> Any:
    """The app is not at hand: a sign-in or step-up asked of the app becomes a code by SMS (or to the primary
    email), with the attempts it had left. Other challenges are answered unchanged."""
    return {"challenge": challenges.by_message(kb.ctx, meta, challenge_id, session)}


class BackupCodeIn(BaseModel):
    code: str = Field(max_length=32)


@router.post("/challenges/{challenge_id}/backup-code", **answers(Confirmed))
def confirm_with_backup_code(challenge_id: str, body: BackupCodeIn, kb: Kb, meta: RequestMeta,
                             session: MaybeSession, response: Response) -> Any:
    """A sign-in or step-up answered with a backup code (used up; every channel is told)."""
    done = challenges.confirm_with_backup_code(kb.ctx, meta, challenge_id, body.code, session)
    if token := getattr(done.result, "session_token", None):
        set_session_cookie(response, kb, token, meta)
    return done.result


@router.post("/step-up", status_code=202, **answers(ChallengeOut, 202))
def start_step_up(kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"challenge": step_up.start(kb.ctx, meta, session=session)}


@router.post("/sign-out", status_code=204)
def sign_out(kb: Kb, meta: RequestMeta, session: CurrentSession, response: Response) -> None:
    session_flows.sign_out(kb.ctx, meta, session=session)
    clear_session_cookie(response, kb)


@router.get("/me", **answers(AccountView))
def me(kb: Kb, session: CurrentSession) -> Any:
    return account_view(load_account(kb.ctx, session.account_id))


class MeIn(BaseModel):
    locale: Literal["ru", "en"]


@router.patch("/me", **answers(AccountView))
def change_me(body: MeIn, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    """The account's language: every code, letter and notice is sent in it."""
    return language.choose(kb.ctx, meta, session=session, locale=body.locale)


class PasswordChangeIn(BaseModel):
    current: str = Field(max_length=1024)
    new: str = Field(max_length=1024)


@router.post("/totp", status_code=202, **answers(totp.Enrolment, 202))
def enrol_totp(kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return totp.start_enrol(kb.ctx, meta, session=session)


@router.get("/totp", **answers(totp.TotpState))
def totp_state(kb: Kb, session: CurrentSession) -> Any:
    return totp.state(kb.ctx, account_id=session.account_id)


@router.delete("/totp", **answers(totp.TotpState))
def disable_totp(kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    """Codes go by SMS again (a fresh second factor first; every channel is told)."""
    return totp.disable(kb.ctx, meta, session=session)


@router.post("/password", status_code=204, **answers(None, 204, (202, ApprovalOut)))
def password(body: PasswordChangeIn, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    """``204``: changed. ``202 {"approval"}``: a trusted person is set, and the change waits for their approval."""
    waiting = change_password.run(kb.ctx, meta, session=session, current=body.current, new=body.new)
    if waiting is None:
        return Response(status_code=204)
    return JSONResponse(jsonable_encoder({"approval": waiting}), status_code=202)


@router.post("/not-me", **answers(not_me.NotMe))
def this_was_not_me(body: TokenIn, kb: Kb, meta: RequestMeta) -> Any:
    return not_me.run(kb.ctx, meta, token=body.token)
