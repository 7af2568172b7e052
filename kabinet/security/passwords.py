"""Password hashing with argon2id (DOMAIN.md: m = 19 MiB, t = 2, p = 1, the OWASP minimum).

Why a dummy hash: when the login is unknown we still spend one full verification, so a stranger
cannot tell a missing account from a wrong password by the time it takes.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from kabinet.offload import Lane, off_loop
from kabinet.security import argon2_block

MEMORY_KIB = 19 * 1024
_HASHER = PasswordHasher(time_cost=2, memory_cost=MEMORY_KIB, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
_DUMMY = _HASHER.hash("kabinet-dummy-password")
# Each hash takes 19 MiB for ~20 ms of one core, always on the one thread of this lane, which keeps its working
# block from one verification to the next (``argon2_block``: no page faults, 7–9 ms of system time less a sign-in).
# One hash at a time per process also keeps memory flat under a burst; a fleet runs a web worker per core, so more
# threads would only queue on the same cores. A step in the event loop (PostgreSQL) waits without holding the loop.
_LANE = Lane(1, "argon2")


def hash_password(password: str) -> str:
    return off_loop(_hash, password, lane=_LANE)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; with no stored hash, burns the same time and says no."""
    return off_loop(_verify, stored, password, lane=_LANE)


def _hash(password: str) -> str:
    return _HASHER.hash(password)


def _verify(stored: str | None, password: str) -> bool:
    kept = argon2_block.verify(stored or _DUMMY, password.encode(), MEMORY_KIB)
    if kept is not None:
        return kept and stored is not None
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)
