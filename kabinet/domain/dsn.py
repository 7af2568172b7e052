"""What a bounce or a complaint says, read with the stdlib's MIME parts: a delivery status notification
(RFC 3464, ``multipart/report; report-type=delivery-status``) or an abuse report (RFC 5965 ARF,
``report-type=feedback-report``). Which letter it is about: the original's ``Message-ID`` (Kabinet's are
``<outbox key@domain>``), else the VERP address it came back to (``bounce+<outbox id>@…``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage, Message

_VERP = re.compile(r"bounce\+(\d+)(?:-([0-9a-f]{12}))?@", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<([^@<>\s]+)@[^<>\s]+>")


@dataclass(frozen=True)
class Feedback:
    kind: str  # bounced | complained
    outbox_key: str | None  # the local part of the original's Message-ID
    outbox_id: int | None  # from the VERP address
    status: str  # "5.1.1", or "abuse" for a complaint
    diagnostic: str  # the receiving server's words
    verp_mark: str | None = None  # the VERP address's signature: an id without a good one is not believed


def read(raw: bytes, recipient: str | None = None) -> Feedback | None:
    """``None`` for anything that is not a hard bounce or a complaint (a "delayed" notice, a reply, spam)."""
    msg = message_from_bytes(raw, policy=policy.default)
    verp, mark = _verp(recipient, msg)
    if msg.get_content_type() != "multipart/report":
        return None
    found = msg.get_param("report-type")
    report = found.lower() if isinstance(found, str) else ""
    key = _original_key(msg)
    if report == "feedback-report":
        return Feedback("complained", key, verp, "abuse", _field(msg, "feedback-report", "feedback-type") or "abuse",
                        mark)
    if report != "delivery-status":
        return None
    action, status = _field(msg, "delivery-status", "action"), _field(msg, "delivery-status", "status")
    if (action or "").lower() != "failed" or not (status or "").startswith("5"):
        return None  # delayed, relayed, delivered, or a temporary failure: the worker's retries handle those
    diagnostic = _field(msg, "delivery-status", "diagnostic-code") or ""
    return Feedback("bounced", key, verp, status or "", diagnostic.partition(";")[2].strip() or diagnostic, mark)


def _verp(recipient: str | None, msg: Message) -> tuple[int | None, str | None]:
    for candidate in (recipient, msg.get("X-Original-To"), msg.get("Delivered-To"), msg.get("To")):
        if candidate and (m := _VERP.search(str(candidate))):
            return int(m.group(1)), (m.group(2) or "").lower() or None
    return None, None


def _parts(msg: Message, subtype: str) -> list[Message]:
    return [p for p in msg.walk() if p.get_content_type() == f"message/{subtype}"]


def _field(msg: Message, subtype: str, name: str) -> str | None:
    """A field of the report's machine-readable part (its blocks are parsed as header groups)."""
    for part in _parts(msg, subtype):
        blocks = part.get_payload()
        if isinstance(blocks, str):
            blocks = [message_from_string(block) for block in blocks.split("\n\n")]
        for block in blocks if isinstance(blocks, list) else []:
            if isinstance(block, Message) and (value := block.get(name)):
                return str(value).strip()
    return None


def _original_key(msg: Message) -> str | None:
    """The Message-ID of the original letter, from the returned message or its headers."""
    for part in msg.walk():
        kind = part.get_content_type()
        original: Message | None = None
        if kind == "message/rfc822":
            payload = part.get_payload()
            first = payload[0] if isinstance(payload, list) and payload else None
            original = first if isinstance(first, Message) else None
        elif kind == "text/rfc822-headers":
            content = part.get_content() if isinstance(part, EmailMessage) else str(part.get_payload())
            original = message_from_string(content)
        if original is not None and (found := _MESSAGE_ID.search(str(original.get("Message-ID", "")))):
            return found.group(1)
    return None
