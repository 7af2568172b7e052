"""What a service may require of an account (S17): a level, a verified email, a verified phone. One rule for the
cabinet's service list and for relying services signing a citizen in."""

from __future__ import annotations

from collections.abc import Iterable

LEVELS = ("simplified", "standard", "confirmed")


def unmet(requires: Iterable[str], *, level: str, verified_kinds: set[str]) -> list[str]:
    """The requirements this account does not meet, in the order given: ``level:<level>``, ``verified_email``,
    ``verified_phone``."""
    out = []
    for need in requires:
        if need.startswith("level:"):
            if LEVELS.index(level) < LEVELS.index(need.removeprefix("level:")):
                out.append(need)
        elif need.removeprefix("verified_") not in verified_kinds:
            out.append(need)
    return out
