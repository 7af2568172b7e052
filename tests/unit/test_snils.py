"""SNILS (DOMAIN.md, Identifiers): the checksum rule with its special cases, written forms, the
unchecked low range, and a property over every checked number."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kabinet.domain.errors import SnilsChecksum, SnilsInvalid
from kabinet.domain.snils import Snils, parse_snils, snils_check

# DOMAIN.md's test vectors: first nine → weighted sum → check
VECTORS = [
    ("112233445", 95, "95"),
    ("087654303", 202, "00"),
    ("001019989", 100, "00"),
    ("001019998", 101, "00"),
    ("002999989", 201, "00"),
    ("999999999", 405, "01"),
]


def _weighted(nine: str) -> int:
    return sum(int(d) * w for d, w in zip(nine, range(9, 0, -1), strict=True))


def _written(nine: str, check: str) -> str:
    return f"{nine[:3]}-{nine[3:6]}-{nine[6:]} {check}"


@pytest.mark.parametrize(("nine", "total", "check"), VECTORS)
def test_vector_sums_are_what_domain_md_says(nine, total, check):
    assert _weighted(nine) == total


@pytest.mark.parametrize(("nine", "total", "check"), VECTORS)
def test_check_function_vectors(nine, total, check):
    assert snils_check(nine) == check


@pytest.mark.parametrize(("nine", "total", "check"), VECTORS)
def test_parse_each_vector_with_its_check(nine, total, check):
    snils = parse_snils(_written(nine, check))
    assert snils.digits == nine + check
    assert snils.display == _written(nine, check)


@pytest.mark.parametrize(("nine", "total", "check"), VECTORS)
def test_each_vector_with_a_wrong_check_fails(nine, total, check):
    wrong = f"{(int(check) + 1) % 100:02d}"
    with pytest.raises(SnilsChecksum) as caught:
        parse_snils(_written(nine, wrong))
    assert caught.value.code == "snils.checksum" and caught.value.field == "snils"


def test_check_is_zero_padded():
    assert snils_check("000000001") == "01"  # 1 × 1
    assert snils_check("100000000") == "09"  # 1 × 9
    assert snils_check("000001234") == "20"  # 1×4 + 2×3 + 3×2 + 4×1


def test_check_after_mod_101():
    assert _weighted("999999998") == 404
    assert snils_check("999999998") == "00"  # 404 mod 101 = 0
    assert _weighted("199999999") == 333
    assert snils_check("199999999") == "30"  # 333 mod 101 = 30


@pytest.mark.parametrize("bad", ["11223344", "1122334459", "112233445a", "١١٢٢٣٣٤٤٥", "", "1122334459 "])
def test_check_function_refuses_anything_but_nine_ascii_digits(bad):
    with pytest.raises(ValueError):
        snils_check(bad)


@pytest.mark.parametrize("text", ["112-233-445 95", "11223344595", "112 233 445 95", "112-233-445-95",
                                  "  112-233-445 95\t", "112233445 95"])
def test_written_forms(text):
    snils = parse_snils(text)
    assert snils.digits == "11223344595"
    assert snils.display == "112-233-445 95"


@pytest.mark.parametrize("text", [
    "", "   ", "112-233-445", "112-233-445 9", "112-233-445 955", "1122334459", "112233445955",
    "abc-def-ghi jk", "112-233-445_95", "112--233-445 95", "112.233.445 95", "112-233-445\n95",
    "١١٢-٢٣٣-٤٤٥ ٩٥",  # Arabic-Indic digits: int() reads them, the format must not
    "１１２-２３３-４４５ ９５",  # fullwidth
    "000-000-000 00", "000-000-000 42",
])
def test_bad_format_is_invalid_not_checksum(text):
    with pytest.raises(SnilsInvalid) as caught:
        parse_snils(text)
    assert type(caught.value) is SnilsInvalid
    assert caught.value.code == "snils.invalid" and caught.value.field == "snils"


def test_low_numbers_are_accepted_by_format_alone():
    assert parse_snils("001-001-998 42").digits == "00100199842"
    assert parse_snils("000-000-001 77").display == "000-000-001 77"


def test_the_first_checked_number():
    nine = "001001999"
    right = snils_check(nine)
    assert parse_snils(nine + right).digits == nine + right
    with pytest.raises(SnilsChecksum):
        parse_snils(nine + f"{(int(right) + 1) % 100:02d}")


def test_snils_object_holds_eleven_ascii_digits_only():
    assert Snils("11223344595").display == "112-233-445 95"
    for bad in ("112-233-445 95", "1122334459", "١١٢٢٣٣٤٤٥٩٥"):
        with pytest.raises(SnilsInvalid):
            Snils(bad)


@given(st.integers(min_value=1_001_999, max_value=999_999_999), st.integers(min_value=0, max_value=99))
def test_only_the_computed_check_passes(number, other):
    nine = f"{number:09d}"
    right = snils_check(nine)
    assert len(right) == 2 and right.isdigit()
    assert parse_snils(nine + right).digits == nine + right
    assert parse_snils(_written(nine, right)).digits == nine + right
    candidate = f"{other:02d}"
    if candidate != right:
        with pytest.raises(SnilsChecksum):
            parse_snils(nine + candidate)


@given(st.integers(min_value=1, max_value=1_001_998), st.integers(min_value=0, max_value=99))
def test_any_check_passes_below_the_checked_range(number, other):
    text = f"{number:09d}{other:02d}"
    assert parse_snils(text).digits == text
