"""Page texts in Russian and English with Babel/gettext: English message ids in the templates, the Russian
catalogue in ``kabinet/locale/ru/LC_MESSAGES/messages.po``, read once at start-up (no build step: the .po in
the package is the catalogue). Dates are shown in Moscow time, formatted for the language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path

from babel.dates import format_datetime
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("ru", "en")
_DIR = Path(__file__).resolve().parent.parent / "locale"


@cache
def translations(locale: str) -> NullTranslations:
    if locale == "en":
        return NullTranslations()
    with open(_DIR / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=locale)
    out = Translations()
    out._catalog = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    return out


def gettext(locale: str) -> Callable[[str], str]:
    return translations(locale).gettext


def when(value: datetime | str | None, locale: str) -> str:
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment, "d MMM y, HH:mm", tzinfo="Europe/Moscow", locale=locale)
