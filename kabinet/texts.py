"""Every user-visible sentence comes from one gettext catalogue: English message ids in the code and the
templates, the Russian translation in ``kabinet/locale/ru/LC_MESSAGES/messages.po`` (read once, no build step).

Why ``Text``: a flow that tells the citizen *what* changed ("+7 916 ***-**-67 removed") does not know the
reader's language when it writes the outbox row, or may write to several readers; it hands over the message id
and its values, and each reader gets it rendered in their own language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("ru", "en")
_DIR = Path(__file__).resolve().parent / "locale"


@cache
def translations(locale: str) -> NullTranslations:
    if locale == "en":
        return NullTranslations()
    with open(_DIR / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=locale)
    out = Translations()
    # (plural entries are never written in this catalogue: every id and string is one text)
    out._catalog = {m.id: m.string for m in catalog
                    if isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy}
    return out


def translate(locale: str, msgid: str, values: Mapping[str, Any] | None = None) -> str:
    """``msgid`` in ``locale``, with ``{name}`` fields filled from ``values``."""
    if not msgid:
        return ""  # gettext("") is the catalogue's header, never a message
    text = translations(locale).gettext(msgid)
    return text.format(**values) if values else text


@dataclass(frozen=True)
class Text:
    """A message id with its values, rendered when the reader's language is known."""

    msgid: str
    values: dict[str, Any] = field(default_factory=dict)

    def render(self, locale: str) -> str:
        return translate(locale, self.msgid, self.values)


def text(msgid: str, **values: Any) -> Text:
    return Text(msgid, values)
