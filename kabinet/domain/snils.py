"""SNILS, the insurance number: 11 digits written XXX-XXX-XXX YY, the last two a checksum (DOMAIN.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kabinet.domain.errors import SnilsChecksum, SnilsInvalid

_FORMAT = re.compile(r"^(\d{3})[- ]?(\d{3})[- ]?(\d{3})[- ]?(\d{2})$")
CHECKED_ABOVE = 1_001_998  # the checksum is defined only for numbers above 001-001-998


@dataclass(frozen=True)
class Snils:
    digits: str

    @property
    def display(self) -> str:
        d = self.digits
        return f"{d[:3]}-{d[3:6]}-{d[6:9]} {d[9:]}"


def snils_check(first_nine: str) -> str:
    total = sum(int(d) * w for d, w in zip(first_nine, range(9, 0, -1), strict=True))
    if total < 100:
        return f"{total:02d}"
    if total in (100, 101):
        return "00"
    rest = total % 101
    return "00" if rest == 100 else f"{rest:02d}"


def parse_snils(text: str) -> Snils:
    match = _FORMAT.match((text or "").strip())
    if not match:
        raise SnilsInvalid(field="snils")
    digits = "".join(match.groups())
    if set(digits) == {"0"}:
        raise SnilsInvalid(field="snils")
    if int(digits[:9]) > CHECKED_ABOVE and snils_check(digits[:9]) != digits[9:]:
        raise SnilsChecksum(field="snils")
    return Snils(digits)
