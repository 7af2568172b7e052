"""Email addresses: syntax and normalisation by email-validator; providers for display and hints.

The local part is kept as typed (people recognise their own spelling) but compared case-insensitively;
the domain is lower-cased and IDNA-encoded for sending, shown in Unicode (DOMAIN.md, Identifiers).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from kabinet.domain.errors import EmailInvalid, EmailLocalNotAscii, EmailTooLong
from kabinet.domain.scripts import mixes_scripts

MAX_LENGTH = 254  # RFC 5321 path limit, less the angle brackets
MAX_LOCAL = 64  # RFC 5321 §4.5.3.1.1

_PROVIDERS: dict[str, tuple[str, ...]] = {
    "mail.ru": ("mail.ru", "inbox.ru", "list.ru", "bk.ru", "internet.ru"),
    "yandex": ("yandex.ru", "ya.ru", "yandex.com", "narod.ru"),
    "rambler": ("rambler.ru", "lenta.ru", "ro.ru"),
    "gmail": ("gmail.com", "googlemail.com"),
}
_BY_DOMAIN: dict[str, str] = {domain: key for key, domains in _PROVIDERS.items() for domain in domains}
PROVIDER_TITLES: dict[str, str] = {"mail.ru": "Mail.ru", "yandex": "Яндекс", "rambler": "Рамблер", "gmail": "Gmail"}

# Control and format characters, line and paragraph separators: refused anywhere, ends included, because
# str.strip() would quietly drop a trailing "\n" or U+2028 that a header writer might not.
_BREAKING = frozenset({"Cc", "Cf", "Zl", "Zp"})


def provider_of(domain_ascii: str) -> str:
    """The provider key ("mail.ru", "yandex", "rambler", "gmail") for hints like "the Mail.ru address",
    else the lower-case domain itself."""
    domain = domain_ascii.lower()
    return _BY_DOMAIN.get(domain, domain)


@dataclass(frozen=True)
class Email:
    """A checked address: ASCII local part as typed, the domain in both Unicode and IDNA ASCII."""

    local: str
    domain_unicode: str
    domain_ascii: str

    @property
    def display(self) -> str:
        """What the citizen sees: ``Ivan@почта.рф``."""
        return f"{self.local}@{self.domain_unicode}"

    @property
    def ascii(self) -> str:
        """What the relay gets: ``Ivan@xn--80a1acny.xn--p1ai`` (it does not speak SMTPUTF8)."""
        return f"{self.local}@{self.domain_ascii}"

    @property
    def normalized(self) -> str:
        """The comparison and uniqueness key: ``Ivan@MAIL.RU`` and ``ivan@mail.ru`` are one contact."""
        return f"{self.local.lower()}@{self.domain_ascii.lower()}"

    @property
    def masked(self) -> str:
        """``i***@mail.ru``: recognisable to the owner, little to anyone else (152-FZ, logs)."""
        return f"{self.local[:1]}***@{self.domain_unicode}"

    @property
    def provider(self) -> str:
        return provider_of(self.domain_ascii)


def is_mail_ru(email: Email) -> bool:
    """Mail.ru family addresses get their own hints (DOMAIN.md's demo walk-through moves off one)."""
    return email.provider == "mail.ru"


def _mixed_script(domain: str) -> bool:
    """True if some label mixes scripts: "mаil.ru" with a Cyrillic "а" looks like mail.ru but is not."""
    return any(mixes_scripts(label) for label in domain.split("."))


def _validate(raw: str) -> tuple[str, str, str]:
    """email-validator with every option spelled out: its defaults are module globals that any import
    may change (``email_validator.TEST_ENVIRONMENT = True``), and our rules must not move with them."""
    try:
        result = validate_email(
            raw, check_deliverability=False, allow_smtputf8=False, allow_quoted_local=False,
            allow_display_name=False, allow_domain_literal=False, allow_empty_local=False, strict=True,
            test_environment=False, globally_deliverable=True,
        )
    except EmailNotValidError as exc:
        local = raw.rpartition("@")[0]
        if local and not local.isascii():  # say why, not just "not valid"
            raise EmailLocalNotAscii(field="email") from exc
        raise EmailInvalid(field="email") from exc
    return result.local_part, result.domain, result.ascii_domain


def parse_email(text: str) -> Email:
    """Typed text → :class:`Email`, or :class:`EmailInvalid`.

    Refused before email-validator sees it: control characters and line breaks anywhere (CR/LF would
    inject mail headers)
    and angle brackets or quotes (a display name or a quoted local part is never what a citizen means).
    ``strict`` adds RFC 5321's 64-character limit on the local part, which email-validator 2.x skips.
    """
    text = text or ""
    if any(unicodedata.category(ch) in _BREAKING or ch in '<>"' for ch in text):
        raise EmailInvalid(field="email")
    raw = text.strip()
    if not raw:
        raise EmailInvalid(field="email")
    if len(raw) > MAX_LENGTH or len(raw.rpartition("@")[0]) > MAX_LOCAL:
        raise EmailTooLong(field="email")
    local, domain, domain_ascii = _validate(raw)
    if _mixed_script(domain):
        raise EmailInvalid(field="email")
    return Email(local=local, domain_unicode=domain, domain_ascii=domain_ascii.lower())
