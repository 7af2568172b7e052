"""The JSON answers of the API (API.md), for OpenAPI: the envelopes around the flows' result types.

Why flows' dataclasses and not copies: the flows' typed results *are* the answers' contents, so documenting
them from the same types means the document and the answer cannot drift apart. FastAPI's encoder serialises
them (UUIDs as strings, datetimes as ISO 8601) without a second validation pass on the way out.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from kabinet.flows.access.sessions import SessionView
from kabinet.flows.access.step_up import SteppedUp
from kabinet.flows.access.totp import TotpEnabled
from kabinet.flows.account.services import ServiceView
from kabinet.flows.contacts._api import Removed
from kabinet.flows.recovery.password_reset import RecoveryView
from kabinet.flows.relying.connected import ConnectedService
from kabinet.flows.shared.results import AccountView, ChallengeView, ContactView, PendingContact, SignedIn
from kabinet.flows.trusted._api import ApprovalView, LinkView


class ChallengeOut(BaseModel):
    challenge: ChallengeView


class ContactOut(BaseModel):
    contact: ContactView


class ContactsOut(BaseModel):
    contacts: list[ContactView]


class AccountOut(BaseModel):
    account: AccountView


class SessionsOut(BaseModel):
    sessions: list[SessionView]


class ServicesOut(BaseModel):
    services: list[ServiceView]


class CodesOut(BaseModel):
    codes: list[str]  # shown once; ten single-use backup codes


class ConnectedOut(BaseModel):
    services: list[ConnectedService]


class ApprovalOut(BaseModel):
    approval: ApprovalView


class LinkOut(BaseModel):
    link: LinkView


# What confirming a code answers depends on what the code was for (its purpose).
Confirmed = SignedIn | SteppedUp | TotpEnabled | PendingContact | Removed | RecoveryView | ApprovalView


def answers(model: Any, status: int = 200, *more: tuple[int, Any]) -> dict[str, Any]:
    """A route's keyword arguments: its answer (or answers) documented from ``model``, no response model."""
    return {"response_model": None,
            "responses": {code: {"model": shape, "description": "OK"} if shape is not None else
                          {"description": "No content"} for code, shape in ((status, model), *more)}}
