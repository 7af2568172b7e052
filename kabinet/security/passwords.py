"""Password hashing with argon2id (DOMAIN.md: m = 19 MiB, t = 2, p = 1, the OWASP minimum).

Why a dummy hash: when the login is unknown we still spend one full verification, so a stranger
cannot tell a missing account from a wrong password by the time it takes.
"""

from __future__ import annotations

import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from kabinet.offload import off_loop

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
_DUMMY = _HASHER.hash("kabinet-dummy-password")
# Each hash takes 19 MiB for ~20 ms of one core. Routes run in a pool of 40 threads; letting them all hash at once
# would only queue on the 2 cores while holding 40 × 19 MiB. Two at a time per process keeps memory flat. A step in
# the event loop (PostgreSQL) hashes in the thread pool too (``off_loop``): 20 ms of CPU would stall the loop.
_SLOTS = threading.BoundedSemaphore(2)


def hash_password(password: str) -> str:
    return off_loop(_hash, password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; with no stored hash, burns the same time and says no."""
    return off_loop(_verify, stored, password)


def _hash(password: str) -> str:
    with _SLOTS:
        return _HASHER.hash(password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        with _SLOTS:
            return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)
