"""Identity data a citizen types (DOMAIN.md): the internal passport and the birth date, next to the SNILS.

Why all fields are checked together: the form shows every mistake at once, each under its own field,
instead of one per submit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kabinet.domain.errors import BirthDateInvalid, PassportInvalid, parse_all
from kabinet.domain.snils import Snils, parse_snils

_PASSPORT = re.compile(r"([0-9]{2}) ?([0-9]{2})[ №-]*([0-9]{6})\Z")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z|([0-9]{2})\.([0-9]{2})\.([0-9]{4})\Z")
MIN_AGE = 14  # a Russian passport is issued at 14
MAX_AGE = 130


@dataclass(frozen=True)
class Passport:
    series: str
    number: str

    @property
    def digits(self) -> str:
        return self.series + self.number

    @property
    def display(self) -> str:
        return f"{self.series[:2]} {self.series[2:]} {self.number}"

    @property
    def masked(self) -> str:
        return f"•• •• ••••{self.number[-2:]}"


@dataclass(frozen=True)
class IdentityData:
    snils: Snils
    passport: Passport
    birth_date: date


def parse_passport(text: str) -> Passport:
    """``45 08 123456``, ``4508 123456`` or ``4508123456``; the series' first two digits are a region code."""
    match = _PASSPORT.match(" ".join((text or "").split()))
    if not match or match.group(1) == "00":
        raise PassportInvalid(field="passport")
    return Passport(series=match.group(1) + match.group(2), number=match.group(3))


def parse_birth_date(text: str, today: date) -> date:
    """ISO ``1985-04-12`` (what a date input sends) or ``12.04.1985`` (how it is written in Russia)."""
    match = _DATE.match((text or "").strip())
    if not match:
        raise BirthDateInvalid(field="birth_date")
    y, m, d = (match.group(1), match.group(2), match.group(3)) if match.group(1) else \
        (match.group(6), match.group(5), match.group(4))
    try:
        born = date(int(y), int(m), int(d))
    except ValueError:
        raise BirthDateInvalid(field="birth_date") from None
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if not MIN_AGE <= age <= MAX_AGE:
        raise BirthDateInvalid(field="birth_date")
    return born


def parse_identity(*, snils: str, passport: str, birth_date: str, today: date) -> IdentityData:
    """All three, or ``InvalidInputs`` naming every field that is wrong."""
    return IdentityData(**parse_all(snils=lambda: parse_snils(snils), passport=lambda: parse_passport(passport),
                                    birth_date=lambda: parse_birth_date(birth_date, today)))
