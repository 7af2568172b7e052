"""Passkeys (API.md, Passkeys): the WebAuthn Level 3 JSON forms in and out (base64url, no padding).
Routes parse, call one flow, answer; a completed sign-in sets the session cookie as the code step's answer does."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import BaseModel, Field

from kabinet.flows.access import passkey_sign_in, passkeys
from kabinet.flows.shared import challenges
from kabinet.flows.shared.results import SignedIn
from kabinet.web.api.answers import api_router
from kabinet.web.api.problem_docs import problem_responses
from kabinet.web.api.shapes import Confirmed, answers
from kabinet.web.deps import CurrentSession, Kb, MaybeSession, RequestMeta, set_session_cookie

router = api_router(prefix="/api/v1", tags=["passkeys"], responses=problem_responses())


class OptionsOut(BaseModel):
    options: dict[str, Any]  # PublicKeyCredentialCreationOptionsJSON or …RequestOptionsJSON


class PasskeyOut(BaseModel):
    passkey: passkeys.PasskeyView


class PasskeysOut(BaseModel):
    passkeys: list[passkeys.PasskeyView]


class CredentialIn(BaseModel):
    credential: dict[str, Any]  # RegistrationResponseJSON or AuthenticationResponseJSON


class NewPasskeyIn(CredentialIn):
    name: str = Field(max_length=200)


class NameIn(BaseModel):
    name: str = Field(max_length=200)


@router.post("/passkeys/options", **answers(OptionsOut))
def creation_options(kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    """Creation options for a new passkey: a fresh second factor first; single use, five minutes."""
    return {"options": passkeys.options(kb.ctx, meta, session=session).options}


@router.post("/passkeys", status_code=201, **answers(PasskeyOut, 201))
def add(body: NewPasskeyIn, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"passkey": passkeys.add(kb.ctx, meta, session=session, name=body.name, credential=body.credential)}


@router.get("/passkeys", **answers(PasskeysOut))
def list_passkeys(kb: Kb, session: CurrentSession) -> Any:
    return {"passkeys": passkeys.list_passkeys(kb.ctx, account_id=session.account_id)}


@router.patch("/passkeys/{passkey_id}", **answers(PasskeyOut))
def rename(passkey_id: str, body: NameIn, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"passkey": passkeys.rename(kb.ctx, meta, session=session, passkey_id=passkey_id, name=body.name)}


@router.delete("/passkeys/{passkey_id}", status_code=204)
def remove(passkey_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> None:
    """A fresh second factor first; the last way to sign in is refused (409 ``passkey.last``)."""
    passkeys.remove(kb.ctx, meta, session=session, passkey_id=passkey_id)


@router.post("/sign-in/passkey/options", **answers(OptionsOut))
def sign_in_options(kb: Kb, meta: RequestMeta) -> Any:
    """Request options for a sign-in with no login typed (discoverable credentials)."""
    return {"options": passkey_sign_in.options(kb.ctx, meta)}


@router.post("/sign-in/passkey", **answers(SignedIn))
def sign_in(body: CredentialIn, kb: Kb, meta: RequestMeta, response: Response) -> Any:
    signed = passkey_sign_in.sign_in(kb.ctx, meta, credential=body.credential)
    set_session_cookie(response, kb, signed.session_token, meta)
    return signed


@router.post("/challenges/{challenge_id}/passkey/options", **answers(OptionsOut))
def answer_options(challenge_id: str, kb: Kb, meta: RequestMeta, session: MaybeSession) -> Any:
    """Options for answering a challenge (a sign-in's second factor, a step-up, a confirmation) with a passkey."""
    return {"options": challenges.passkey_options(kb.ctx, meta, challenge_id, session)}


@router.post("/challenges/{challenge_id}/passkey", **answers(Confirmed))
def answer(challenge_id: str, body: CredentialIn, kb: Kb, meta: RequestMeta, session: MaybeSession,
           response: Response) -> Any:
    done = challenges.confirm_with_passkey(kb.ctx, meta, challenge_id, body.credential, session)
    if token := getattr(done.result, "session_token", None):
        set_session_cookie(response, kb, token, meta)
    return done.result
