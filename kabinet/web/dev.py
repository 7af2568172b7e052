"""Dev mode only (``KABINET_DEV=1``): the mailbox and SMS inbox a person or a test reads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from kabinet.store.models import DevMessage
from kabinet.web.deps import Kb
from kabinet.web.templating import render

router = APIRouter(prefix="/dev", include_in_schema=False)
LIMIT = 200


def _messages(kb: Any, channel: str) -> list[dict[str, Any]]:
    with kb.ctx.store.read() as db:
        rows = db.scalars(select(DevMessage).where(DevMessage.channel == channel)
                          .order_by(DevMessage.id.desc()).limit(LIMIT))
        return [_view(m) for m in rows]


def _view(m: DevMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"id": m.id, "to": m.to, "text": m.text, "at": m.at.isoformat()}
    if m.channel == "email":
        out |= {"subject": m.subject, "links": m.links, "html": m.html}
    return out


@router.get("/mail.json")
def mail_json(kb: Kb) -> list[dict[str, Any]]:
    return _messages(kb, "email")


@router.get("/sms.json")
def sms_json(kb: Kb) -> list[dict[str, Any]]:
    return _messages(kb, "sms")


@router.get("/mail", response_class=HTMLResponse)
def mail_page(request: Request, kb: Kb) -> HTMLResponse:
    return render(request, "dev_mail.html", messages=_messages(kb, "email"))


@router.get("/sms", response_class=HTMLResponse)
def sms_page(request: Request, kb: Kb) -> HTMLResponse:
    return render(request, "dev_sms.html", messages=_messages(kb, "sms"))
