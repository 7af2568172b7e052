"""Argon2id verification over a working block each thread keeps, instead of one malloc'd and freed per hash.

Why: Argon2 fills 19 MiB per hash. The web workers pin glibc's mmap threshold (``kabinet.memory``) so that blocks
freed by forty request threads go back to the system — which makes every hash a fresh mmap, 4,864 page faults and
an munmap: measured 7–9 ms of system time on top of the hash's 17–19 ms of user time, on every sign-in. Here the
thread that verifies (the password lane, ``kabinet.security.passwords``) keeps one block for its life and libargon2
is handed it through its own allocator hooks (``allocate_cbk``/``free_cbk`` of ``argon2_ctx``): no fault after the
first hash. libargon2 still wipes the block after every hash (it clears internal memory before calling ``free_cbk``),
so no password-derived state stays in it. The price is the block itself, resident in each worker that has verified a
password — what django-allauth's workers hold as well (glibc keeps their one thread's block after the first hash).

Only the encoded form ``PasswordHasher`` writes is taken here (argon2id, version 19, a cost that fits the block);
anything else returns ``None`` and the caller verifies with ``PasswordHasher`` as before. argon2-cffi documents
``low_level.core`` as raw and version-bound: the version is pinned in pyproject.toml, and the tests check this path
against ``PasswordHasher`` both ways (right and wrong password, other costs, malformed hashes).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
from typing import Any

from argon2 import Type, extract_parameters
from argon2.exceptions import InvalidHashError
from argon2.low_level import ARGON2_VERSION, core, ffi

_OK = 0
_MEMORY_ALLOCATION_ERROR = -22


class _Kept(threading.local):
    block: Any = None
    size = 0


_KEPT = _Kept()


@ffi.callback("int(uint8_t **, size_t)")
def _allocate(memory: Any, size: int) -> int:
    if _KEPT.size < size:
        return _MEMORY_ALLOCATION_ERROR  # never: verify() sized the block before calling core()
    memory[0] = _KEPT.block
    return _OK


@ffi.callback("void(uint8_t *, size_t)")
def _free(memory: Any, size: int) -> None:
    return  # the block stays with the thread; libargon2 has wiped it already


def verify(encoded: str, password: bytes, memory_kib: int) -> bool | None:
    """True or False for an argon2id hash whose memory cost is at most ``memory_kib``; None when this path does not
    take the hash (the caller then asks ``PasswordHasher``)."""
    try:
        params = extract_parameters(encoded)
        salt, expected = (_unb64(part) for part in encoded.rsplit("$", 2)[1:])
    except (InvalidHashError, ValueError, binascii.Error):
        return None
    if params.type is not Type.ID or params.version != ARGON2_VERSION or params.memory_cost > memory_kib \
            or not 8 <= len(salt) <= 64 or not 16 <= len(expected) <= 64 or not 1 <= params.parallelism <= 4:
        return None
    if _KEPT.size < memory_kib * 1024:
        _KEPT.block, _KEPT.size = ffi.new("uint8_t[]", memory_kib * 1024), memory_kib * 1024
    out = ffi.new("uint8_t[]", len(expected))
    pwd, salt_c = ffi.new("uint8_t[]", password), ffi.new("uint8_t[]", salt)
    context = ffi.new("argon2_context *", {
        "out": out, "outlen": len(expected), "pwd": pwd, "pwdlen": len(password), "salt": salt_c,
        "saltlen": len(salt), "secret": ffi.NULL, "secretlen": 0, "ad": ffi.NULL, "adlen": 0,
        "t_cost": params.time_cost, "m_cost": params.memory_cost, "lanes": params.parallelism,
        "threads": 1, "version": params.version, "allocate_cbk": _allocate, "free_cbk": _free, "flags": 0})
    if core(context, Type.ID.value) != _OK:
        return None
    return hmac.compare_digest(bytes(ffi.buffer(out, len(expected))), expected)


def _unb64(text: str) -> bytes:
    """The unpadded standard base64 of the PHC string format."""
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
