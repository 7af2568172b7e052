"""Phones (DOMAIN.md, Identifiers): many written forms, one E.164; SMS only to mobiles; garbage, control
characters and overlong input refused; the Russian display and the 152-FZ mask."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from kabinet.domain.errors import PhoneInvalid, PhoneNotMobile
from kabinet.domain.phone import MAX_LENGTH, Phone, parse_phone

FORMS = [
    "8 (900) 123-45-67", "+7 900 1234567", "89001234567", "+7-900-123-45-67", "9001234567", "+79001234567",
    "+7 (900) 123 45 67", "7 900 123 45 67", "79001234567", "8-900-123-45-67", "8 900 123 45 67",
    "(900) 123-45-67", "+7.900.123.45.67", "  +7 900 123-45-67  ",
    "+7\u00a0900\u00a0123\u201145\u201167",  # no-break spaces and hyphens, as pasted from a web page
    "8 (900) 123\u201345\u201367",  # en dashes
]


@pytest.mark.parametrize("text", FORMS)
def test_written_forms_give_one_e164(text):
    phone = parse_phone(text)
    assert phone.e164 == "+79001234567"
    assert phone.display == "+7 900 123-45-67"
    assert phone.masked == "+7 900 ***-**-67"


def test_display_and_mask_of_another_mobile():
    phone = parse_phone("8 999 765-43-21")
    assert phone == Phone("+79997654321")
    assert (phone.display, phone.masked) == ("+7 999 765-43-21", "+7 999 ***-**-21")


@pytest.mark.parametrize(("text", "e164", "display"), [
    ("+7 495 123-45-67", "+74951234567", "+7 495 123-45-67"),  # Moscow
    ("8 (812) 123-45-67", "+78121234567", "+7 812 123-45-67"),  # St Petersburg
    ("8 800 555-35-35", "+78005553535", "+7 800 555-35-35"),  # toll-free
])
def test_landlines_and_toll_free_are_not_mobile(text, e164, display):
    with pytest.raises(PhoneNotMobile) as caught:
        parse_phone(text)
    assert caught.value.code == "phone.not_mobile" and caught.value.field == "phone"
    phone = parse_phone(text, mobile_only=False)  # sign-in by any number the account has
    assert (phone.e164, phone.display) == (e164, display)


def test_not_mobile_is_a_kind_of_invalid_input_but_not_phone_invalid():
    with pytest.raises(PhoneNotMobile) as caught:
        parse_phone("+7 495 123-45-67")
    assert not isinstance(caught.value, PhoneInvalid)


@pytest.mark.parametrize("text", [
    "", "   ", "12", "8", "+", "phone", "8 (900) 123-45-6", "8 900 123 45 678", "+7 000 123 45 67",
    "+7 900 123-45-67\r\n", "+7 900\n123-45-67", "\t+79001234567", "+7 900 123-45-67\x00", "+7 900 123-45-67\x7f",
    "+7 900 123-45-67\u2028", "\ufeff89001234567",
    "+7 900 123-45-67 ext 5", "+79001234567;ext=1", "tel:+79001234567", "+7 900 123-45-6７",
    "+7 900 123-45-67 # 1", "+7 900 123-45-67/", "8900+1234567", "1" * 40,
    "+7 900 123-45-67" + " " * 20 + "8",  # 37 characters: over the limit even though the digits are fine
    "+7 900 ١٢٣-٤٥-٦٧",  # Arabic-Indic digits: phonenumbers would read them
])
def test_garbage_is_invalid(text):
    with pytest.raises(PhoneInvalid) as caught:
        parse_phone(text)
    assert caught.value.code == "phone.invalid" and caught.value.field == "phone"


def test_length_limit_counts_the_stripped_text():
    at_limit = "8" + " " * 16 + "(900) 123-45-67"
    assert len(at_limit) == MAX_LENGTH == 32
    assert parse_phone(at_limit).e164 == "+79001234567"
    assert parse_phone(" " * 50 + "89001234567" + " " * 50).e164 == "+79001234567"
    with pytest.raises(PhoneInvalid):
        parse_phone("8" + " " * 17 + "(900) 123-45-67")


def test_foreign_numbers_with_a_plus():
    uk = parse_phone("+44 7911 123456", mobile_only=False)  # as a login: codes never go abroad (issue 8)
    assert uk.e164 == "+447911123456"
    assert (uk.display, uk.masked) == ("+44 7911 123456", "+44 791* ****56")
    assert parse_phone("810 44 7911 123456", mobile_only=False).e164 == "+447911123456"  # Russian intl prefix


def test_kazakh_plus_seven_is_shown_the_russian_way():
    phone = parse_phone("+7 701 123 45 67")
    assert phone.e164 == "+77011234567"
    assert phone.display == "+7 701 123-45-67"  # phonenumbers itself writes "+7 701 123 4567"


def test_region_is_used_for_numbers_without_a_plus():
    assert parse_phone("07911 123456", region="GB", mobile_only=False).e164 == "+447911123456"
    with pytest.raises(PhoneInvalid):
        parse_phone("07911 123456")  # not a Russian number


@pytest.mark.parametrize("bad", ["79001234567", "+7 900 123-45-67", "+0123456789", "+7", "", "+1234567890123456"])
def test_phone_object_holds_e164_only(bad):
    with pytest.raises(PhoneInvalid):
        Phone(bad)


def test_phone_with_an_unknown_country_code_still_displays_and_masks():
    phone = Phone("+99912345678")  # +999 is reserved: phonenumbers cannot parse it
    assert phone.display == "+99912345678"
    assert phone.masked == "+999******78"


russian_mobiles = st.integers(min_value=900_000_0000, max_value=999_999_9999).map(str)


def _valid_mobile(national: str) -> bool:
    number = phonenumbers.parse("+7" + national)
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) == PhoneNumberType.MOBILE


@given(russian_mobiles)
def test_display_round_trips(national):
    assume(_valid_mobile(national))
    phone = parse_phone("+7" + national)
    assert phone.e164 == "+7" + national
    assert parse_phone(phone.display).e164 == phone.e164
    assert phone.masked == f"+7 {national[:3]} ***-**-{national[8:]}"


@given(russian_mobiles, st.sampled_from(["+7", "8", "7", "", "+7 ", "8 ", "+7-"]), st.booleans(),
       st.lists(st.sampled_from(["", " ", "-", "."]), min_size=7, max_size=7))
def test_any_way_of_writing_gives_the_same_e164(national, prefix, brackets, separators):
    assume(_valid_mobile(national))
    code, rest = national[:3], national[3:]
    text = prefix + (f"({code})" if brackets else code) + separators[0]
    text += "".join(digit + sep for digit, sep in zip(rest[:-1], separators[1:], strict=True)) + rest[-1]
    assert parse_phone(text).e164 == "+7" + national


def test_codes_go_only_to_russian_mobiles():
    from kabinet.domain.errors import PhoneForeign

    for foreign in ("+1 202 555 0143", "+44 7911 123456", "+49 1512 3456789", "+380 50 123 4567"):
        with pytest.raises(PhoneForeign):
            parse_phone(foreign)
        assert parse_phone(foreign, mobile_only=False).e164.startswith("+")  # a login is still looked up
