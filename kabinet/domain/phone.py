"""Phone numbers: parsed with phonenumbers (region RU by default), stored in E.164, shown the Russian way.

E.164 is the one stored form, so "8 (900) 123-45-67" and "+7 900 1234567" are the same contact and a
verified phone can belong to one account only (DOMAIN.md, Identifiers).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from kabinet.domain.errors import PhoneForeign, PhoneInvalid, PhoneNotMobile

MAX_LENGTH = 32
# Only what people type between digits. Letters are refused because phonenumbers would silently read
# "ext. 5", ";ext=5" or "tel:" and drop them from the E.164 form: what we store must be what was typed.
_ALLOWED = frozenset("0123456789+-() .")
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2212")  # copied from formatted text: ‐ ‑ ‒ – — −
_BREAKING = frozenset({"Cc", "Cf", "Zl", "Zp"})  # controls, invisible format marks, line separators
_MOBILE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
# Codes go by SMS only to these country calling codes: the portal's citizens have Russian numbers, and SMS pumping
# (a stranger making us text premium foreign ranges) is cheapest to stop at the door.
SMS_COUNTRY_CODES = frozenset({7})
_E164 = re.compile(r"\+[1-9][0-9]{6,14}\Z")
_KEEP_HEAD, _KEEP_TAIL = 3, 2  # digits of the national number left visible in a mask (152-FZ)


@dataclass(frozen=True)
class Phone:
    """A phone number in E.164 (``+79001234567``).

    Only the shape is checked here, not validity: a number stored years ago must still load after the
    phonenumbers metadata changes. Validity is checked once, in :func:`parse_phone`.
    """

    e164: str

    def __post_init__(self) -> None:
        if not isinstance(self.e164, str) or not _E164.match(self.e164):
            raise PhoneInvalid(field="phone")

    @property
    def display(self) -> str:
        """``+7 900 123-45-67``: the grouping Russians write (also for +7 numbers in Kazakhstan, where
        phonenumbers would write ``+7 701 123 4567``); other countries in phonenumbers' international form."""
        if self.e164.startswith("+7") and len(self.e164) == 12:
            d = self.e164[2:]
            return f"+7 {d[:3]} {d[3:6]}-{d[6:8]}-{d[8:]}"
        try:
            return phonenumbers.format_number(phonenumbers.parse(self.e164), PhoneNumberFormat.INTERNATIONAL)
        except NumberParseException:
            return self.e164  # a country code phonenumbers does not know: show the digits as stored

    @property
    def masked(self) -> str:
        """``+7 900 ***-**-67``: enough for the owner to recognise the number, too little to learn a
        stranger's; safe for logs and for screens shown before sign-in."""
        head, sep, national = self.display.partition(" ")
        if not sep:  # unknown country code: no grouping to go by, so mask the digits as one run
            return "+" + _mask_digits(self.e164[1:])
        return f"{head} {_mask_digits(national)}"


def _mask_digits(national: str) -> str:
    """Star every digit but the first three and the last two, keeping the separators in place."""
    total = sum(ch.isdigit() for ch in national)
    seen, out = 0, []
    for ch in national:
        if ch.isdigit():
            seen += 1
            if _KEEP_HEAD < seen <= total - _KEEP_TAIL:
                ch = "*"
        out.append(ch)
    return "".join(out)


def _clean(text: str) -> str:
    """The typed text with copy-paste typography (no-break spaces, en dashes) made plain, or
    :class:`PhoneInvalid` if it has anything a phone never has (control characters, letters)."""
    if any(unicodedata.category(ch) in _BREAKING for ch in text):  # CR/LF: header or log injection
        raise PhoneInvalid(field="phone")
    plain = "".join(" " if unicodedata.category(ch) == "Zs" else "-" if ch in _DASHES else ch for ch in text)
    raw = plain.strip()
    if not raw or len(raw) > MAX_LENGTH or not set(raw) <= _ALLOWED:
        raise PhoneInvalid(field="phone")
    return raw


def parse_phone(text: str, *, region: str = "RU", mobile_only: bool = True) -> Phone:
    """Any common way of writing a number → :class:`Phone`.

    ``mobile_only`` because codes go by SMS, and SMS only reaches mobiles — and only those of
    ``SMS_COUNTRY_CODES`` (``phone.foreign`` otherwise); sign-in lookups pass
    ``False`` so a citizen typing a landline gets "wrong login", not a hint about phone types.
    """
    raw = _clean(text or "")
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as exc:
        raise PhoneInvalid(field="phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneInvalid(field="phone")
    if mobile_only and phonenumbers.number_type(number) not in _MOBILE:
        raise PhoneNotMobile(field="phone")
    if mobile_only and number.country_code not in SMS_COUNTRY_CODES:
        raise PhoneForeign(field="phone")
    return Phone(phonenumbers.format_number(number, PhoneNumberFormat.E164))
