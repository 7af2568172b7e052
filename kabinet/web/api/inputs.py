"""The request bodies more than one router takes: declared once, so a sign-in's or a code's limits cannot drift
between the cabinet and the service centre, and OpenAPI names each schema once."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SignInIn(BaseModel):
    login: str = Field(max_length=320)  # the longest login is an email address (RFC 5321: 320)
    password: str = Field(max_length=1024)


class CodeIn(BaseModel):
    code: str = Field(max_length=16)


class TokenIn(BaseModel):
    """A link's token: an address's confirmation, a 'this wasn't me'."""

    token: str = Field(max_length=200)


class KeyAnswerIn(BaseModel):
    """An authenticator's answer: RegistrationResponseJSON or AuthenticationResponseJSON."""

    credential: dict[str, Any]


class NewKeyIn(KeyAnswerIn):
    """A new passkey or security key, with the name its owner gives it."""

    name: str = Field(max_length=200)
