"""Keep a worker's memory flat under large, short-lived blocks.

An Argon2 hash takes 19 MiB. glibc serves such blocks with mmap and, after the first free, raises its mmap
threshold to their size, so later ones come from per-thread heaps and stay there: a worker of 40 threads grew to
~400 MB in the benchmark. Pinning the threshold keeps every large block on mmap, returned to the system when freed.
Argon2 itself now hashes over one block its lane's thread keeps (``security.argon2_block``: a fresh mmap per hash
cost 7–9 ms of page faults); the pin still holds every other large block to the rule. And the request threads
share two malloc arenas instead of one each (glibc's default is up to eight per core): the Python heap does not
need per-thread arenas, and each one holds memory it has freed.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


def pin_mmap_threshold(size: int = 1 << 20) -> bool:
    """True when glibc accepted the setting (other C libraries are left alone)."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, size)) and bool(libc.mallopt(M_ARENA_MAX, 2))
    except (OSError, AttributeError):
        return False
