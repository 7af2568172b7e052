"""What OpenAPI says about refusals: every API route can answer with an RFC 9457 problem (``web/problems.py``),
and a client generated from ``/api/openapi.json`` should know its shape and its statuses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class FieldProblem(BaseModel):
    field: str | None
    code: str
    message: str


class Problem(BaseModel):
    """``code`` is stable (match on it, never on ``title``); ``reference`` is also in the server log. Some problems
    carry more: ``attempts_left``, ``retry_after``, ``resend_after``, ``checks``."""

    model_config = ConfigDict(extra="allow")

    type: str
    code: str
    title: str
    status: int
    reference: str
    errors: list[FieldProblem] | None = None


_MEANING = {
    400: "Refused: a wrong code or proof, an invalid link", 401: "Not signed in, or a wrong login or password",
    403: "A fresh second factor is needed, signing in is suspended, or a cross-site request",
    404: "Not found, or not yours (nothing is revealed)", 409: "A guard or a concurrent change refused it",
    410: "The code expired, was used, or had too many wrong tries", 413: "The body is over 64 KiB",
    422: "Input that does not pass its checks, with every wrong field", 429: "Too many tries: wait `retry_after` s",
}


def problem_responses() -> dict[int | str, dict[str, Any]]:
    ref = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {status: {"model": Problem, "description": text, "content": {"application/problem+json": ref}}
            for status, text in _MEANING.items()}
