"""Logging set-up: no secret in a log. Links in letters carry tokens in their query string
(``/verify-email?token=…``, ``/not-me?token=…``); the access log would print them, so they are masked."""

from __future__ import annotations

import logging
import re

_SECRET_PARAM = re.compile(r"(?i)((?:token|code|password)=)[^&\s\"]+")


def redact(text: str) -> str:
    """Secrets masked, and control or invisible characters (ESC, NUL, U+2028 — from a URL a stranger typed)
    written as escapes: one log line stays one readable line."""
    text = _SECRET_PARAM.sub(r"\1***", text)
    return text if text.isprintable() else "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def configure() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for name in ("uvicorn.access", "uvicorn.error", "kabinet"):
        logging.getLogger(name).addFilter(RedactSecrets())
