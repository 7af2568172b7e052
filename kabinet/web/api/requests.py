"""Support requests (API.md "Support requests"): the citizen files and reads them; operators answer them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from kabinet.flows.account import support_request
from kabinet.flows.account._api import RequestView
from kabinet.flows.centre import requests as centre_requests
from kabinet.web.api.answers import api_router
from kabinet.web.api.problem_docs import problem_responses
from kabinet.web.api.shapes import answers
from kabinet.web.deps import CurrentOperator, CurrentSession, Kb, RequestMeta

router = api_router(prefix="/api/v1", tags=["requests"], responses=problem_responses())


class RequestIn(BaseModel):
    topic: Literal["error", "contacts", "access", "other"]
    text: str = Field(max_length=4000)
    reference: str | None = Field(None, max_length=32)


class AnswerIn(BaseModel):
    text: str = Field("", max_length=4000)
    state: Literal["in_work", "answered", "closed"]


class RequestOut(BaseModel):
    request: RequestView


class RequestsOut(BaseModel):
    requests: list[RequestView]


@router.post("/requests", status_code=201, **answers(RequestOut, 201))
def file(body: RequestIn, kb: Kb, meta: RequestMeta, session: CurrentSession) -> Any:
    return {"request": support_request.file(kb.ctx, meta, session=session, topic=body.topic, text=body.text,
                                            reference=body.reference)}


@router.get("/requests", **answers(RequestsOut))
def mine(kb: Kb, session: CurrentSession) -> Any:
    return {"requests": support_request.mine(kb.ctx, session=session)}


@router.get("/operator/requests", **answers(RequestsOut))
def waiting(kb: Kb, operator: CurrentOperator) -> Any:
    return {"requests": centre_requests.waiting(kb.ctx, operator=operator)}


@router.post("/operator/requests/{request_id}/answer", **answers(RequestOut))
def answer(request_id: str, body: AnswerIn, kb: Kb, meta: RequestMeta, operator: CurrentOperator) -> Any:
    return {"request": centre_requests.answer(kb.ctx, meta, operator=operator, request_id=request_id,
                                              text=body.text, state=body.state)}
