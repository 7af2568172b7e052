"""Rate limits (the table is ``kabinet.policy.RULES``), counted in memory or in Redis.

Why ``limits``: moving windows with the same code for in-process counters (one process, tests)
and Redis (many workers share one count). Redis is a network round trip through a blocking client: from a step in
the event loop (PostgreSQL) it is made in the thread pool (``off_loop``); the in-memory counter is called directly.

Why a fallback and not a refusal while Redis is away: the limits guard sign-ins, codes and sends, and a portal whose
Redis restarts must neither answer 500 to every sign-in nor stop counting. So until Redis answers again (tried again
after ``RETRY_S``) the fleet counts in its database (PostgreSQL: fixed windows, one upserted row each,
``store/rate_windows.py``) — one count shared by every instance, as with Redis; only where that fails too, or on
SQLite (one host, and a second writer there would wait on the step's own write lock), does a process count in its
own memory. Every code keeps its own attempt budget in the database besides, which no Redis outage touches
(docs/OPERATIONS.md).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from kabinet.domain.errors import RateLimited
from kabinet.offload import off_loop
from kabinet.policy import RULES
from kabinet.store import rate_windows

log = logging.getLogger("kabinet.limits")
T = TypeVar("T")
Limiter = MovingWindowRateLimiter | FixedWindowRateLimiter
TIMEOUT_S = 2.0  # a Redis that does not answer within this is away (refused connections are seen at once)
RETRY_S = 5.0  # while Redis is away, how often one request tries it again


class DatabaseStorage(Storage):
    """The ``limits`` storage interface over ``store.rate_windows``, for fixed windows only (what the fallback
    uses): a hit is one upsert, a test one indexed read."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(wrap_exceptions=True)
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return rate_windows.incr(self.engine, key, expiry, amount)

    def get(self, key: str) -> int:
        return rate_windows.current(self.engine, key)[0]

    def get_expiry(self, key: str) -> float:
        return rate_windows.current(self.engine, key)[1]

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        return rate_windows.clear(self.engine)

    def clear(self, key: str) -> None:
        rate_windows.clear(self.engine, key)


class RateLimiter:
    def __init__(self, storage_uri: str | None = None, rules: dict[str, str] | None = None, *,
                 enabled: bool = True, fallback: Engine | None = None) -> None:
        self.enabled = enabled
        self._items: dict[str, RateLimitItem] = {name: parse(rule) for name, rule in (rules or RULES).items()}
        self._local_storage = MemoryStorage()
        self._local = MovingWindowRateLimiter(self._local_storage)
        self._shared_storage: Storage | None = None
        self._shared: MovingWindowRateLimiter | None = None
        if storage_uri and not storage_uri.startswith("memory://"):
            self._shared_storage = cast(Storage, storage_from_string(  # a redis:// URI gives the synchronous one
                storage_uri, wrap_exceptions=True, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S))
            self._shared = MovingWindowRateLimiter(self._shared_storage)
        # While Redis is away: the database's count (PostgreSQL), shared by the fleet as Redis's was.
        self._fallback = (FixedWindowRateLimiter(DatabaseStorage(fallback))
                          if self._shared is not None and fallback is not None and fallback.dialect.name != "sqlite"
                          else None)
        self._away_until = 0.0  # monotonic time before which Redis is not tried again
        self._lock = threading.Lock()

    def hit(self, rule: str, key: str) -> None:
        """Count one event; raise ``RateLimited`` when the window is already full."""
        if self.enabled:
            self._call(self._hit, rule, key)

    def hit_all(self, pairs: list[tuple[str, str]]) -> None:
        """Count one event in each (rule, key) only when every one has room: a refusal spends nothing."""
        if self.enabled:
            self._call(self._hit_all, pairs)

    def try_hit(self, rule: str, key: str) -> bool:
        """Count one event if there is room; ``False`` (nothing raised) when there is none."""
        return not self.enabled or self._call(lambda limiter, r, k: limiter.hit(self._items[r], r, k), rule, key)

    def check(self, rule: str, key: str) -> None:
        """Raise ``RateLimited`` when the next event would be refused, without counting one."""
        if self.enabled:
            self._call(self._check, rule, key)

    @property
    def shared(self) -> bool:
        """Whether counts are shared through Redis (configured), whatever its state now."""
        return self._shared is not None

    def shared_answers(self) -> bool:
        """A PING of Redis (blocking: call it off the event loop); also ends the fallback early when it answers."""
        if self._shared_storage is None:
            return False
        ok = bool(self._shared_storage.check())
        if ok:
            with self._lock:
                self._away_until = 0.0
        return ok

    @property
    def counting_locally(self) -> bool:
        """Redis is configured but away: the limits are counted without it (in the database, else in memory)."""
        return self._shared is not None and time.monotonic() < self._away_until

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        if self._shared is not None and not self.counting_locally:
            try:
                return off_loop(fn, self._shared, *args)
            except StorageError as exc:
                with self._lock:
                    first = time.monotonic() >= self._away_until
                    self._away_until = time.monotonic() + RETRY_S
                if first:
                    log.warning("rate limits: Redis is away (%s); counting in %s until it answers",
                                type(exc.storage_error).__name__,
                                "the database" if self._fallback is not None else "this process")
        if self._fallback is not None and self.counting_locally:
            try:
                return off_loop(fn, self._fallback, *args)
            except StorageError as exc:
                log.warning("rate limits: the database's count failed too (%s); counting in this process",
                            type(exc.storage_error).__name__)
        return fn(self._local, *args)

    def _hit(self, limiter: Limiter, rule: str, key: str) -> None:
        item = self._items[rule]
        if not limiter.hit(item, rule, key):
            raise RateLimited(retry_after=self._retry_after(limiter, item, rule, key), limit=rule)

    def _hit_all(self, limiter: Limiter, pairs: list[tuple[str, str]]) -> None:
        for rule, key in pairs:
            self._check(limiter, rule, key)
        for rule, key in pairs:
            self._hit(limiter, rule, key)

    def _check(self, limiter: Limiter, rule: str, key: str) -> None:
        item = self._items[rule]
        if not limiter.test(item, rule, key):
            raise RateLimited(retry_after=self._retry_after(limiter, item, rule, key), limit=rule)

    @staticmethod
    def _retry_after(limiter: Limiter, item: RateLimitItem, rule: str, key: str) -> int:
        reset = limiter.get_window_stats(item, rule, key).reset_time
        return max(1, int(reset - time.time()) + 1)

    def reset(self) -> None:
        self._local_storage.reset()
        if self._shared_storage is not None:
            with contextlib.suppress(StorageError):  # away: nothing of it to forget now
                self._shared_storage.reset()
        if self._fallback is not None:
            self._fallback.storage.reset()
