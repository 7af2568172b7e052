"""Rate limits (the table is ``kabinet.policy.RULES``), counted in memory or in Redis.

Why ``limits``: moving windows with the same code for in-process counters (one process, tests)
and Redis (many workers share one count). Redis is a network round trip through a blocking client: from a step in
the event loop (PostgreSQL) it is made in the thread pool (``off_loop``); the in-memory counter is called directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from kabinet.domain.errors import RateLimited
from kabinet.offload import off_loop
from kabinet.policy import RULES

T = TypeVar("T")


class RateLimiter:
    def __init__(self, storage_uri: str | None = None, rules: dict[str, str] | None = None, *,
                 enabled: bool = True) -> None:
        self.enabled = enabled
        self._remote = not (storage_uri or "memory://").startswith("memory://")
        self._storage = storage_from_string(storage_uri or "memory://")
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._items: dict[str, RateLimitItem] = {name: parse(rule) for name, rule in (rules or RULES).items()}

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
        return not self.enabled or self._call(self._limiter.hit, self._items[rule], rule, key)

    def check(self, rule: str, key: str) -> None:
        """Raise ``RateLimited`` when the next event would be refused, without counting one."""
        if self.enabled:
            self._call(self._check, rule, key)

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return off_loop(fn, *args) if self._remote else fn(*args)

    def _hit(self, rule: str, key: str) -> None:
        item = self._items[rule]
        if not self._limiter.hit(item, rule, key):
            raise RateLimited(retry_after=self._retry_after(item, rule, key), limit=rule)

    def _hit_all(self, pairs: list[tuple[str, str]]) -> None:
        for rule, key in pairs:
            self._check(rule, key)
        for rule, key in pairs:
            self._hit(rule, key)

    def _check(self, rule: str, key: str) -> None:
        item = self._items[rule]
        if not self._limiter.test(item, rule, key):
            raise RateLimited(retry_after=self._retry_after(item, rule, key), limit=rule)

    def _retry_after(self, item: RateLimitItem, rule: str, key: str) -> int:
        reset = self._limiter.get_window_stats(item, rule, key).reset_time
        return max(1, int(reset - time.time()) + 1)

    def reset(self) -> None:
        self._storage.reset()
