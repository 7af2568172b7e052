"""SNILS, the insurance number: 11 digits written XXX-XXX-XXX YY, the last two a checksum (DOMAIN.md).

The checksum catches the typos that would otherwise send a recovery or an identity check to somebody
else's record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kabinet.domain.errors import SnilsChecksum, SnilsInvalid

# [0-9], not \d: \d also matches Arabic-Indic and other digits, which int() happily reads.
_FORMAT = re.compile(r"([0-9]{3})[- ]?([0-9]{3})[- ]?([0-9]{3})[- ]?([0-9]{2})\Z")
_DIGITS = re.compile(r"[0-9]{11}\Z")
CHECKED_ABOVE = 1_001_998  # the checksum is defined only for numbers above 001-001-998
_WEIGHTS = range(9, 0, -1)


@dataclass(frozen=True)
class Snils:
    """Eleven ASCII digits, no separators: the stored and compared form."""

    digits: str

    def __post_init__(self) -> None:
        if not isinstance(self.digits, str) or not _DIGITS.match(self.digits):
            raise SnilsInvalid(field="snils")

    @property
    def display(self) -> str:
        """``112-233-445 95``, the way it is printed on the insurance card."""
        d = self.digits
        return f"{d[:3]}-{d[3:6]}-{d[6:9]} {d[9:]}"


def snils_check(first_nine: str) -> str:
    """The two check digits for the first nine (weights 9…1; < 100 as is; 100 and 101 → 00; above,
    mod 101 with 100 → 00). Raises ``ValueError`` unless given exactly nine ASCII digits."""
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError("nine ASCII digits expected")
    total = sum(int(d) * w for d, w in zip(first_nine, _WEIGHTS, strict=True))
    if total < 100:
        return f"{total:02d}"
    if total in (100, 101):
        return "00"
    rest = total % 101
    return "00" if rest == 100 else f"{rest:02d}"


def parse_snils(text: str) -> Snils:
    """``112-233-445 95``, ``11223344595``, ``112 233 445 95`` or ``112-233-445-95`` → :class:`Snils`.

    Wrong shape or number 000-000-000 → :class:`SnilsInvalid`; a check that does not match →
    :class:`SnilsChecksum`, so the form can say "typo" rather than "wrong format". Numbers up to
    001-001-998 predate the checksum and are accepted by format alone.
    """
    match = _FORMAT.match((text or "").strip())
    if not match:
        raise SnilsInvalid(field="snils")
    digits = "".join(match.groups())
    number = int(digits[:9])
    if number == 0:
        raise SnilsInvalid(field="snils")
    if number > CHECKED_ABOVE and snils_check(digits[:9]) != digits[9:]:
        raise SnilsChecksum(field="snils")
    return Snils(digits)
