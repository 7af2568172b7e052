"""Page texts in Russian and English: the catalogue is ``kabinet.texts`` (English message ids in the templates,
the Russian ``messages.po``). Dates are shown in Moscow time, formatted for the language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from babel.dates import format_date, format_datetime

from kabinet.clock import MOSCOW
from kabinet.texts import LOCALES, translations

__all__ = ["LOCALES", "day", "gettext", "translations", "when"]


def gettext(locale: str) -> Callable[[str], str]:
    return translations(locale).gettext


def when(value: datetime | str | None, locale: str) -> str:
    """A moment in Moscow time, saying so: a citizen in Vladivostok must not read 14:00 as their own."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    shown = format_datetime(moment, "d MMM y, HH:mm", tzinfo=MOSCOW, locale=locale)
    return f"{shown} {translations(locale).gettext('MSK')}"


def day(value: date | str | None, locale: str) -> str:
    """A date as words ("12 апреля 1985 г."), not ISO."""
    if not value:
        return ""
    return format_date(date.fromisoformat(value) if isinstance(value, str) else value, "long", locale=locale)
