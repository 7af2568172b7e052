"""Symmetric sealing of the few secrets that must be readable later (TOTP seeds, codes waiting in the
outbox), with a key derived from the service key so one secret file serves every purpose."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet


class Sealer:
    def __init__(self, key: bytes, purpose: str) -> None:
        derived = hashlib.sha256(key + b"\x00seal\x00" + purpose.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def open(self, sealed: str, ttl: int | None = None) -> str:
        """``ttl``: refuse (``InvalidToken``) what was sealed more than this many seconds ago."""
        return self._fernet.decrypt(sealed.encode(), ttl=ttl).decode()
