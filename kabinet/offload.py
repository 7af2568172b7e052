"""Blocking work inside a step that may be running in the event loop.

On PostgreSQL the web tier runs each step in a greenlet of the event loop (``kabinet.store.db``). Anything in a step
that holds the CPU for long — an Argon2 hash is ~20 ms of one core, a PDF more — or waits on another server through
a blocking client would stall every other request of that worker meanwhile. ``off_loop`` hands such a call to a
thread and suspends only this step's greenlet until it returns. Everywhere else (SQLite steps, which already run in
a thread; the CLI; tests) it simply calls — or, when the caller names its own ``Lane``, runs it there.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, TypeVarTuple, Unpack

import anyio.to_thread
from sqlalchemy.util.concurrency import await_, in_greenlet

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class Lane:
    """A few threads of their own for one kind of heavy work, made in the process that uses them.

    Why not the shared pool: work that allocates a large block every time (an Argon2 hash takes 19 MiB) costs the
    kernel a page fault per 4 KiB page whenever it lands on a thread whose malloc arena does not hold such a block —
    measured, a hash on anyio's 40 rotating threads spent 8–12 ms of system time on top of its 19 ms, on one lane
    thread none. The lane's size also bounds how many run at once (memory stays flat under a burst)."""

    def __init__(self, threads: int, name: str) -> None:
        self.threads, self.name = threads, name
        self._pool: ThreadPoolExecutor | None = None
        os.register_at_fork(after_in_child=self._forget)  # a forked worker must not wait on its parent's threads

    def _forget(self) -> None:
        self._pool = None

    @property
    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix=self.name)
        return self._pool


def off_loop(fn: Callable[[Unpack[Ts]], T], *args: *Ts, lane: Lane | None = None) -> T:
    if in_greenlet():
        if lane is not None:
            return await_(asyncio.get_running_loop().run_in_executor(lane.pool, fn, *args))
        return await_(anyio.to_thread.run_sync(fn, *args))
    if lane is not None:
        return lane.pool.submit(fn, *args).result()
    return fn(*args)
