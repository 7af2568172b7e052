"""Writing systems of characters, for homoglyph guards: "mаil.ru" or "Ивaнов" with one letter from another
alphabet looks like the real thing but is not (email domains, names)."""

from __future__ import annotations

import unicodedata

# Japanese is written in Han, Hiragana and Katakana at once (and Korean, Chinese mix in Hangul, Bopomofo),
# so these count as one script; the homoglyph risk we guard against is Latin against Cyrillic or Greek.
_EAST_ASIAN = frozenset({"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "IDEOGRAPHIC", "HANGUL", "BOPOMOFO"})


def script_of(ch: str) -> str | None:
    """The writing system of one character, or ``None`` for those that go with any (digits, hyphens,
    combining marks). The stdlib has no Script property; the first word of the Unicode name is close."""
    if ch == "-" or unicodedata.category(ch) in ("Nd", "Mn", "Me"):
        return None
    script = unicodedata.name(ch, "?").split()[0]
    return "CJK" if script in _EAST_ASIAN else script


def mixes_scripts(word: str) -> bool:
    return len({script_of(ch) for ch in word} - {None}) > 1
