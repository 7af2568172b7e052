"""Codes and link tokens: made with ``secrets``, stored only as keyed hashes, compared in constant time.

Why HMAC and not a plain hash: a leaked table of 6-digit code hashes could be reversed in a moment;
keyed with the service secret it cannot. Each hash names its purpose, so a hash made for one thing
never matches another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

CODE_DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def new_number() -> str:
    """Ten digits to read out at a counter or on the phone (requests): ``4815-162342``. Not a secret."""
    digits = f"{secrets.randbelow(10**10):010d}"
    return f"{digits[:4]}-{digits[4:]}"


def new_token() -> str:
    """256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


class Hasher:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def digest(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()

    def matches(self, purpose: str, value: str, stored: str | None) -> bool:
        expected = self.digest(purpose, value)
        return stored is not None and hmac.compare_digest(expected, stored)
