"""Page texts in Russian and English: the catalogue is ``kabinet.texts`` (English message ids in the templates,
the Russian ``messages.po``). Dates are shown in Moscow time, formatted for the language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from babel.dates import format_datetime

from kabinet.texts import LOCALES, translations

__all__ = ["LOCALES", "gettext", "translations", "when"]


def gettext(locale: str) -> Callable[[str], str]:
    return translations(locale).gettext


def when(value: datetime | str | None, locale: str) -> str:
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment, "d MMM y, HH:mm", tzinfo="Europe/Moscow", locale=locale)
