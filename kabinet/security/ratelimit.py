"""Every rate limit in one declarative table (DOMAIN.md), counted in memory or in Redis.

Why ``limits``: moving windows with the same code for in-process counters (one process, tests)
and Redis (many workers share one count).
"""

from __future__ import annotations

import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from kabinet.domain.errors import RateLimited

RULES: dict[str, str] = {
    "sign_in.login": "5/15 minutes",  # wrong passwords per account (or per login, normalised, when none)
    "sign_in.ip": "50/15 minutes",  # wrong passwords per IP
    "register.ip": "20/hour",
    "code.send.destination": "5/hour",  # letters with a link or a test notice to one address
    "code.check.ip": "60/15 minutes",  # wrong codes per IP, on top of 3 per challenge
    "code.check.account": "10/15 minutes",  # wrong codes per account: TOTP challenges can be asked for anew
    # Codes sent, in buckets by who can make us send them (issue 8): a stranger reaches registration and
    # recovery, so those spend their own budgets and can never empty the one an owner needs after a right
    # password or inside a session.
    "send.owner.destination": "10/hour",  # sign-in, step-up, removal and change codes
    "send.owner.account": "30/hour",
    "send.register.destination": "3/hour",
    "send.register.prefix": "30/hour",  # +7 916 123…: a thousand numbers (SMS pumping walks ranges)
    "send.recovery.destination": "5/hour",
    "send.recovery.account": "10/day",
    "send.anonymous.ip": "20/hour",  # registration and recovery codes from one address
    "send.new_contact.destination": "5/hour",  # a phone being added
    "send.new_contact.account": "10/day",  # numbers added by one account: no pumping from a signed-in account
    "notice.silent.destination": "1/day",
    "recovery.ip": "20/hour",  # recoveries started from one address
    "recovery.login": "5/hour",  # recoveries of one account (or one normalised login)
    "recovery.identity.snils": "3/day",  # lost-everything requests per SNILS (DOMAIN.md)
    "recovery.identity.ip": "10/day",  # "someone tried to register your number": one a day at most
    "mail.unverified.account": "10/day",  # letters to addresses not yet verified (DESIGN.md §4, 5b)
    "link.check.ip": "30/15 minutes",  # unknown link tokens per IP
}


class RateLimiter:
    def __init__(self, storage_uri: str | None = None, rules: dict[str, str] | None = None, *,
                 enabled: bool = True) -> None:
        self.enabled = enabled
        self._storage = storage_from_string(storage_uri or "memory://")
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._items: dict[str, RateLimitItem] = {name: parse(rule) for name, rule in (rules or RULES).items()}

    def hit(self, rule: str, key: str) -> None:
        """Count one event; raise ``RateLimited`` when the window is already full."""
        item = self._items[rule]
        if self.enabled and not self._limiter.hit(item, rule, key):
            raise RateLimited(retry_after=self._retry_after(item, rule, key))

    def hit_all(self, pairs: list[tuple[str, str]]) -> None:
        """Count one event in each (rule, key) only when every one has room: a refusal spends nothing."""
        for rule, key in pairs:
            self.check(rule, key)
        for rule, key in pairs:
            self.hit(rule, key)

    def try_hit(self, rule: str, key: str) -> bool:
        """Count one event if there is room; ``False`` (nothing raised) when there is none."""
        return not self.enabled or self._limiter.hit(self._items[rule], rule, key)

    def check(self, rule: str, key: str) -> None:
        """Raise ``RateLimited`` when the next event would be refused, without counting one."""
        item = self._items[rule]
        if self.enabled and not self._limiter.test(item, rule, key):
            raise RateLimited(retry_after=self._retry_after(item, rule, key))

    def _retry_after(self, item: RateLimitItem, rule: str, key: str) -> int:
        reset = self._limiter.get_window_stats(item, rule, key).reset_time
        return max(1, int(reset - time.time()) + 1)

    def reset(self) -> None:
        self._storage.reset()
