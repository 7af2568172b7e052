"""Logging set-up: no secret and no personal data in a log. Links in letters carry tokens in their query string
(``/verify-email?token=…``, ``/not-me?token=…``); the access log would print them, so they are masked. Addresses and
phone numbers are masked too, wherever they appear — a database error's detail ("Key (kind, value)=(email,
ivan@mail.ru) already exists") and a traceback included (152-FZ: never in logs in clear).

Every line written while a request is served carries that request's id (``X-Request-ID``, also the reference an
error page shows and the id the outbox keeps with each message it queued), so one citizen's complaint leads to every
line about it across a fleet; the account appears only as a keyed hash. ``KABINET_LOG_FORMAT=json`` writes one JSON
object a line for a log shipper; the default is one readable line.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

_SECRET_PARAM = re.compile(r"(?i)((?:token|code|password)=)[^&\s\"]+")
_EMAIL = re.compile(r"([\w.%+-])[\w.%+-]*@([\w-]+(?:\.[\w-]+)+)")
_PHONE = re.compile(r"\+?\b[78]9\d{7}(\d{2})\b|\+\d{8,12}(\d{2})\b")


@dataclass
class RequestScope:
    """What the lines of one request share. Mutable, so a dependency deep in the request (the session lookup) can
    name the account for the access line written at the end, whatever context copies ran in between."""

    id: str
    account: str | None = None  # a keyed hash of the account id, never the id itself


CURRENT: ContextVar[RequestScope | None] = ContextVar("kabinet_request", default=None)


def request_id() -> str | None:
    scope = CURRENT.get()
    return scope.id if scope is not None else None


def redact(text: str) -> str:
    """Secrets and personal data masked, and control or invisible characters (ESC, NUL, U+2028 — from a URL a
    stranger typed) written as escapes: one log line stays one readable line."""
    text = _SECRET_PARAM.sub(r"\1***", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    text = _PHONE.sub(lambda m: "+*** ***-**-" + (m.group(1) or m.group(2)), text)
    return text if text.isprintable() else "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


_make_record = logging.getLogRecordFactory()


def _stamped(*args: object, **kwargs: object) -> logging.LogRecord:
    """Each record takes the request it was written in when it is made (a handler may format it later, elsewhere)."""
    record = _make_record(*args, **kwargs)
    scope = CURRENT.get()
    record.kabinet_request = scope.id if scope is not None else None
    record.kabinet_account = scope.account if scope is not None else None
    return record


if not getattr(logging.getLogRecordFactory(), "kabinet", False):
    _stamped.kabinet = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(_stamped)


def _request_of(record: logging.LogRecord) -> str | None:
    """The request a line is about: the one a worker's line names (``extra``), or the one it was written in."""
    return getattr(record, "request_id", None) or getattr(record, "kabinet_request", None)


class RedactingFormatter(logging.Formatter):
    """The whole formatted record — the traceback too, where a driver's error quotes the row — goes through
    ``redact``; a traceback then stays on one line, as every log line should. The request's id ends the line."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = _request_of(record)
        return redact(f"{line} req={rid}" if rid else line)


# What an access line (``kabinet.web.middleware.RequestIds``) and a worker's line add, as JSON fields.
FIELDS = ("method", "route", "status", "duration_ms", "outbox_id", "channel", "state")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request id, the hashed account and the
    fields an access or delivery line carries; a traceback as one string. Redacted as every line is."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": redact(record.getMessage())}
        if rid := _request_of(record):
            out["request_id"] = rid
        if account := getattr(record, "kabinet_account", None):
            out["account"] = account
        for name in FIELDS:
            if hasattr(record, name):
                out[name] = getattr(record, name)
        if record.exc_info:
            out["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False)


FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure(log_format: str = "text") -> None:
    logging.basicConfig(level=logging.INFO, format=FORMAT)
    formatter = JsonFormatter() if log_format == "json" else RedactingFormatter(FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    for name in ("uvicorn.access", "uvicorn.error", "kabinet"):
        logging.getLogger(name).addFilter(RedactSecrets())
