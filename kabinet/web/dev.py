"""Dev mode only (``KABINET_DEV=1``): the mailbox and SMS inbox a person or a test reads."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from kabinet.store.models import DevMessage
from kabinet.web.deps import Kb
from kabinet.web.steps import step_router
from kabinet.web.templating import render

router = step_router(prefix="/dev", include_in_schema=False)
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


# A letter's own HTML, framed by /dev/mail: its inline styles allowed here, and nothing else (no script, no
# request anywhere, a sandbox), so the preview looks as a mail client shows it.
LETTER_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                             "frame-ancestors 'self'; sandbox",
                  "X-Frame-Options": "SAMEORIGIN"}


@router.get("/mail/{message_id}.html", response_class=HTMLResponse)
def letter_html(message_id: int, kb: Kb) -> HTMLResponse:
    with kb.ctx.store.read() as db:
        row = db.get(DevMessage, message_id)
    if row is None or row.channel != "email" or not row.html:
        return HTMLResponse("", status_code=404)
    return HTMLResponse(row.html, headers=LETTER_HEADERS)


@router.get("/sms", response_class=HTMLResponse)
def sms_page(request: Request, kb: Kb) -> HTMLResponse:
    return render(request, "dev_sms.html", messages=_messages(kb, "sms"))
