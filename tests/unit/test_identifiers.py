"""Identifiers (DOMAIN.md): SNILS checksum rule with its special cases, phones in many written forms,
emails with IDN, case, CRLF and homoglyphs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kabinet.domain.email import is_mail_ru, parse_email, provider_of
from kabinet.domain.errors import EmailInvalid, PhoneInvalid, PhoneNotMobile, SnilsChecksum, SnilsInvalid
from kabinet.domain.phone import parse_phone
from kabinet.domain.snils import parse_snils, snils_check

VECTORS = [("112233445", "95"), ("087654303", "00"), ("001019989", "00"), ("001019998", "00"),
           ("002999989", "00"), ("999999999", "01")]


@pytest.mark.parametrize(("nine", "check"), VECTORS)
def test_snils_check_vectors(nine, check):
    assert snils_check(nine) == check
    assert parse_snils(f"{nine[:3]}-{nine[3:6]}-{nine[6:]} {check}").digits == nine + check


def test_snils_written_forms_and_display():
    for text in ("112-233-445 95", "11223344595", "112 233 445 95", " 112-233-445-95 "):
        assert parse_snils(text).display == "112-233-445 95"


def test_snils_wrong_check_and_bad_format():
    with pytest.raises(SnilsChecksum):
        parse_snils("112-233-445 96")
    for bad in ("112-233-445", "abc-def-ghi jk", "000-000-000 00", "112-233-445 9512", ""):
        with pytest.raises(SnilsInvalid):
            parse_snils(bad)


def test_snils_below_the_checked_range_is_accepted_by_format():
    assert parse_snils("001-001-998 42").digits == "00100199842"


@given(st.integers(min_value=1_001_999, max_value=999_999_999), st.integers(min_value=0, max_value=99))
def test_snils_only_the_right_check_passes(number, other):
    nine = f"{number:09d}"
    right = snils_check(nine)
    assert parse_snils(nine + right).digits == nine + right
    if f"{other:02d}" != right:
        with pytest.raises(SnilsChecksum):
            parse_snils(nine + f"{other:02d}")


@pytest.mark.parametrize("text", ["8 (900) 123-45-67", "+7 900 1234567", "89001234567", "+7-900-123-45-67",
                                  "9001234567", "+7 (900) 123 45 67", "7 900 123 45 67"])
def test_phone_written_forms(text):
    phone = parse_phone(text)
    assert phone.e164 == "+79001234567"
    assert phone.display == "+7 900 123-45-67" and phone.masked == "+7 900 ***-**-67"


def test_landline_is_not_mobile_but_parses_for_login():
    with pytest.raises(PhoneNotMobile):
        parse_phone("+7 495 123-45-67")
    assert parse_phone("+7 495 123-45-67", mobile_only=False).e164 == "+74951234567"


@pytest.mark.parametrize("text", ["", "12", "+7 900 123-45-67\r\n", "phone", "+7 900 123-45-67 ext 5", "1" * 40])
def test_phone_garbage(text):
    with pytest.raises(PhoneInvalid):
        parse_phone(text)


@given(st.integers(min_value=900_000_0000, max_value=999_999_9999))
def test_phone_display_round_trips(number):
    e164 = f"+7{number}"
    try:
        phone = parse_phone(e164)
    except (PhoneInvalid, PhoneNotMobile):
        return  # not every 9XX block is allocated
    assert parse_phone(phone.display).e164 == e164


def test_email_case_idn_and_mask():
    email = parse_email(" Ivan.Ivanov@MAIL.RU ")
    assert email.display == "Ivan.Ivanov@mail.ru" and email.normalized == "ivan.ivanov@mail.ru"
    assert email.masked == "I***@mail.ru" and is_mail_ru(email)
    idn = parse_email("ivan@почта.рф")
    assert idn.display == "ivan@почта.рф" and idn.ascii == "ivan@xn--80a1acny.xn--p1ai"


@pytest.mark.parametrize("text", ["a@b.ru\r\nBcc: x@y.ru", "Ivan <ivan@mail.ru>", "ivan@mаil.ru",
                                  '"ivan"@mail.ru', "иван@mail.ru", "a" * 250 + "@mail.ru", "ivan@", "@mail.ru"])
def test_email_refused(text):
    with pytest.raises(EmailInvalid):
        parse_email(text)


@pytest.mark.parametrize(("domain", "provider"), [
    ("mail.ru", "mail.ru"), ("inbox.ru", "mail.ru"), ("list.ru", "mail.ru"), ("bk.ru", "mail.ru"),
    ("internet.ru", "mail.ru"), ("ya.ru", "yandex"), ("narod.ru", "yandex"), ("lenta.ru", "rambler"),
    ("googlemail.com", "gmail"), ("example.org", "example.org"),
])
def test_providers(domain, provider):
    assert provider_of(domain) == provider
