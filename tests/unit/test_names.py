"""Names at registration (issue 8): accents typed as combining marks are letters; a word mixing alphabets is a
look-alike and refused; nothing but letters, accents and the usual separators."""

from __future__ import annotations

import pytest

from kabinet.domain.errors import NameInvalid
from kabinet.domain.names import parse_name


@pytest.mark.parametrize(("typed", "kept"), [
    ("Иванов Иван Иванович", "Иванов Иван Иванович"),
    ("  Салтыков-Щедрин   Михаил ", "Салтыков-Щедрин Михаил"),
    ("Rene\u0301 Descartes", "René Descartes"),  # a combining accent becomes one letter (NFC)
    ("Семе\u0308нов O'Neil", "Семёнов O'Neil"),
    ("Ли Сунь-Ху", "Ли Сунь-Ху"),
    ("Zoë d’Artagnan", "Zoë d’Artagnan"),
    ("Ngu\u0303gi\u0303 wa Thiong\u0303o", "Ngũgĩ wa Thiong\u0303o"),  # no precomposed g̃: the mark stays
])
def test_names_that_are_names(typed: str, kept: str) -> None:
    assert parse_name(typed) == kept


@pytest.mark.parametrize("typed", [
    "Ивaнов Иван",  # a Latin "a" inside a Cyrillic surname
    "Petrоv Petr",  # a Cyrillic "о" inside a Latin one
    "Иванов 2",
    "Иванов <script>",
    "\u0301Иванов",  # an accent on nothing
    "Иванов\u200bИван",  # a zero-width space
    "И",
    "",
    "я" * 201,
])
def test_look_alikes_and_junk_are_refused(typed: str) -> None:
    with pytest.raises(NameInvalid):
        parse_name(typed)
