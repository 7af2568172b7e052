"""Blocking work inside a step that may be running in the event loop.

On PostgreSQL the web tier runs each step in a greenlet of the event loop (``kabinet.store.db``). Anything in a step
that holds the CPU for long — an Argon2 hash is ~20 ms of one core, a PDF more — or waits on another server through
a blocking client would stall every other request of that worker meanwhile. ``off_loop`` hands such a call to the
thread pool and suspends only this step's greenlet until it returns. Everywhere else (SQLite steps, which already
run in a thread; the CLI; tests) it simply calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, TypeVarTuple, Unpack

import anyio.to_thread
from sqlalchemy.util.concurrency import await_, in_greenlet

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


def off_loop(fn: Callable[[Unpack[Ts]], T], *args: *Ts) -> T:
    if in_greenlet():
        return await_(anyio.to_thread.run_sync(fn, *args))
    return fn(*args)
