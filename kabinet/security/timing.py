"""A floor under an answer's time, for steps whose work differs between a real and an unknown account.

Why a floor and not equal work: a recovery for a real account writes a history event and queues a message,
one for an unknown login cannot (nothing may be sent); the difference is a few milliseconds, measurable over
many tries. Ending both no earlier than ``seconds`` after they began hides it, as long as the real path stays
under the floor. Only for rare, rate-limited steps: the wait holds a request thread.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def time_floor(seconds: float) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        left = seconds - (time.monotonic() - started)
        if left > 0:
            time.sleep(left)
