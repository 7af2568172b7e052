"""Logging set-up: no secret and no personal data in a log. Links in letters carry tokens in their query string
(``/verify-email?token=…``, ``/not-me?token=…``); the access log would print them, so they are masked. Addresses and
phone numbers are masked too, wherever they appear — a database error's detail ("Key (kind, value)=(email,
ivan@mail.ru) already exists") and a traceback included (152-FZ: never in logs in clear)."""

from __future__ import annotations

import logging
import re

_SECRET_PARAM = re.compile(r"(?i)((?:token|code|password)=)[^&\s\"]+")
_EMAIL = re.compile(r"([\w.%+-])[\w.%+-]*@([\w-]+(?:\.[\w-]+)+)")
_PHONE = re.compile(r"\+?\b[78]9\d{7}(\d{2})\b|\+\d{8,12}(\d{2})\b")


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


class RedactingFormatter(logging.Formatter):
    """The whole formatted record — the traceback too, where a driver's error quotes the row — goes through
    ``redact``; a traceback then stays on one line, as every log line should."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure() -> None:
    logging.basicConfig(level=logging.INFO, format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactingFormatter(FORMAT))
    for name in ("uvicorn.access", "uvicorn.error", "kabinet"):
        logging.getLogger(name).addFilter(RedactSecrets())
