"""History (S19), services (S17), my data (S3) and support requests (S11)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Form, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kabinet.domain.errors import KabinetError
from kabinet.flows.account import export, history, services, support_request
from kabinet.web import history_labels
from kabinet.web.deps import Kb, MaybeSession, RequestMeta
from kabinet.web.i18n import gettext
from kabinet.web.pages.common import Citizen, CsrfChecked, problem_of
from kabinet.web.problems import locale_of, status_of
from kabinet.web.steps import reads_only, step_router
from kabinet.web.templating import render

router = step_router(include_in_schema=False)


@router.get("/history", response_class=HTMLResponse)
@reads_only
def history_page(request: Request, kb: Kb, session: Citizen, type: str = "", before: int | None = None
                 ) -> HTMLResponse:
    page = history.page(kb.ctx, session=session, before=before, limit=50, type_prefix=type[:48] or None)
    return render(request, "history.html", page=page, type=type, signed_in=True, labels=history_labels)


@router.get("/services", response_class=HTMLResponse)
@reads_only
def services_page(request: Request, kb: Kb, meta: RequestMeta, session: Citizen) -> HTMLResponse:
    catalogue = services.catalogue(kb.ctx, account_id=session.account_id, locale=meta.locale)
    return render(request, "services.html", services=catalogue, signed_in=True)


@router.get("/export", response_class=HTMLResponse)
def export_page(request: Request, kb: Kb, meta: RequestMeta, session: Citizen) -> HTMLResponse:
    return render(request, "export.html", data=export.run(kb.ctx, meta, session=session), signed_in=True)


@router.get("/export.json")
def export_json(kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    body = json.dumps(jsonable_encoder(export.run(kb.ctx, meta, session=session)), ensure_ascii=False, indent=1)
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="kabinet-my-data.json"'})


@router.post("/support", dependencies=[CsrfChecked])
def support(request: Request, kb: Kb, meta: RequestMeta, session: MaybeSession,
            topic: Annotated[str, Form(max_length=32)] = "other", text: Annotated[str, Form(max_length=4000)] = "",
            reference: Annotated[str, Form(max_length=32)] = "") -> Response:
    try:
        filed = support_request.file(kb.ctx, meta, session=session, topic=topic, text=text, reference=reference)
    except KabinetError as exc:
        return render(request, "error.html", status=status_of(exc), title=problem_of(request, exc)["message"],
                      reference=reference or "-", signed_in=session is not None)
    if session is not None and not reference:  # filed from the Requests page: back to the thread list
        return RedirectResponse("/requests?done=filed", status_code=303)
    return render(request, "support_done.html", reference=filed.reference, signed_in=session is not None)


@router.get("/requests", response_class=HTMLResponse)
@reads_only
def requests_page(request: Request, kb: Kb, session: Citizen, done: str = "") -> HTMLResponse:
    """The citizen's requests with their threads, and a form to file a new one (S11)."""
    return render(request, "requests.html", requests=support_request.mine(kb.ctx, session=session), signed_in=True,
                  done=gettext(locale_of(request))("Your request is filed. The answer will come here and by letter.")
                  if done == "filed" else None)
