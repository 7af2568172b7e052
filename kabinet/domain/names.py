"""A citizen's full name as typed at registration: normalised (NFC, so "é" typed as "e" + a combining accent is one
letter), letters with their accents, spaces, hyphens, apostrophes and full stops, each word in one alphabet —
"Ивaнов" with a Latin "a" is a look-alike of someone else's name, not a name."""

from __future__ import annotations

import unicodedata

from kabinet.domain.errors import NameCharacters, NameInvalid
from kabinet.domain.scripts import mixes_scripts

_SEPARATORS = " -'’."


def parse_name(full_name: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", full_name or "").split())
    if not 2 <= len(name) <= 200:
        raise NameInvalid(field="full_name")
    for i, ch in enumerate(name):
        letter = ch.isalpha()
        accent = unicodedata.category(ch) == "Mn" and i > 0 and (name[i - 1].isalpha()
                                                                  or unicodedata.category(name[i - 1]) == "Mn")
        if not (letter or accent or ch in _SEPARATORS):
            raise NameCharacters(field="full_name")
    words = name.replace("-", " ").replace("'", " ").replace("’", " ").replace(".", " ").split()
    if not words or any(mixes_scripts(word) for word in words):
        raise NameCharacters(field="full_name")
    return name
