"""Phone numbers: parsed with phonenumbers (region RU by default), stored in E.164, shown the Russian way."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from kabinet.domain.errors import PhoneInvalid, PhoneNotMobile

MAX_LENGTH = 32
_ALLOWED = set("0123456789+-() .")
_MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


@dataclass(frozen=True)
class Phone:
    e164: str

    @property
    def display(self) -> str:
        """"+7 900 123-45-67" for Russian numbers; the international format for others."""
        if self.e164.startswith("+7") and len(self.e164) == 12:
            d = self.e164[2:]
            return f"+7 {d[:3]} {d[3:6]}-{d[6:8]}-{d[8:]}"
        number = phonenumbers.parse(self.e164)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    @property
    def masked(self) -> str:
        """"+7 900 ***-**-67": enough to recognise one's own number, not enough to learn a stranger's."""
        if self.e164.startswith("+7") and len(self.e164) == 12:
            d = self.e164[2:]
            return f"+7 {d[:3]} ***-**-{d[8:]}"
        return self.e164[:5] + "*" * (len(self.e164) - 7) + self.e164[-2:]


def parse_phone(text: str, *, region: str = "RU", mobile_only: bool = True) -> Phone:
    if any(ord(ch) < 32 for ch in text or ""):  # CR/LF and friends: header or log injection, never a phone
        raise PhoneInvalid(field="phone")
    raw = (text or "").strip()
    if not raw or len(raw) > MAX_LENGTH or not set(raw) <= _ALLOWED:
        raise PhoneInvalid(field="phone")
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as exc:
        raise PhoneInvalid(field="phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneInvalid(field="phone")
    if mobile_only and phonenumbers.number_type(number) not in _MOBILE:
        raise PhoneNotMobile(field="phone")
    return Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
