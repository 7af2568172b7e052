"""The console's security keys: the operator's keys listed, one added through passkeys.js (WebAuthn is a
browser API) and removed by a plain form. The JavaScript speaks to two JSON routes here, under ``/operator``, because
the console's session cookie is scoped to that path (the JSON API takes the operator's token as a bearer instead);
their refusals are problem+json, as the API's are."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from kabinet.domain.errors import KabinetError
from kabinet.flows.access import passkeys
from kabinet.flows.centre import operator_keys
from kabinet.web import problems
from kabinet.web.api.inputs import NewKeyIn
from kabinet.web.deps import Kb, RequestMeta
from kabinet.web.pages.common import CsrfChecked, done_text, go, problem_of
from kabinet.web.pages.operator import Console, page
from kabinet.web.steps import step_router

router = step_router(prefix="/operator", include_in_schema=False)
DONE = {"added": "The security key is added: use it at your next sign-in.", "removed": "The security key is removed."}


@router.get("/keys", response_class=HTMLResponse)
def keys_page(request: Request, kb: Kb, operator: Console, done: str = "") -> Response:
    return page(request, "operator_keys.html", keys=operator_keys.list_keys(kb.ctx, operator=operator),
                keys_available=passkeys.available(kb.ctx), done=done_text(request, done, DONE), problem=None)


# Plain ``def``: a step route runs it where a step belongs (a greenlet or a thread), never on the event loop itself —
# these write, verify a signature and import py_webauthn the first time.
@router.post("/keys/options")
def key_options(request: Request, kb: Kb, meta: RequestMeta, operator: Console) -> Response:
    try:
        return JSONResponse({"options": operator_keys.options(kb.ctx, meta, operator=operator)})
    except KabinetError as exc:
        return problems.problem(request, exc)


@router.post("/keys")
def add_key(request: Request, body: NewKeyIn, kb: Kb, meta: RequestMeta, operator: Console) -> Response:
    try:
        made = operator_keys.add(kb.ctx, meta, operator=operator, name=body.name, credential=body.credential)
    except KabinetError as exc:
        return problems.problem(request, exc)
    return JSONResponse({"key": {"id": str(made.id), "name": made.name}}, status_code=201)


@router.post("/keys/{key_id}/remove", dependencies=[CsrfChecked])
def remove_key(request: Request, key_id: str, kb: Kb, meta: RequestMeta, operator: Console) -> Response:
    try:
        operator_keys.remove(kb.ctx, meta, operator=operator, key_id=key_id)
    except KabinetError as exc:
        return page(request, "operator_keys.html", status=problems.status_of(exc),
                    keys=operator_keys.list_keys(kb.ctx, operator=operator),
                    keys_available=passkeys.available(kb.ctx), done=None, problem=problem_of(request, exc))
    return go("/operator/keys?done=removed")
