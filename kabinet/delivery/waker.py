"""How a commit that queued a message wakes the outbox worker at once, from any thread.

The worker runs its own event loop in another thread (or process); committing threads call ``set()``, which
hands the wake-up to that loop. With no worker attached it does nothing but remember.
"""

from __future__ import annotations

import asyncio
import threading


class Waker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def attach(self) -> asyncio.Event:
        """Called by the worker inside its loop: the event it waits on."""
        with self._lock:
            self._loop, self._event = asyncio.get_running_loop(), asyncio.Event()
            return self._event

    def set(self) -> None:
        with self._lock:
            loop, event = self._loop, self._event
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)
