"""Email addresses: syntax and normalisation by email-validator; providers for display and hints."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from kabinet.domain.errors import EmailInvalid

MAX_LENGTH = 254

_PROVIDERS = {
    "mail.ru": ("mail.ru", "inbox.ru", "list.ru", "bk.ru", "internet.ru"),
    "yandex": ("yandex.ru", "ya.ru", "yandex.com", "narod.ru"),
    "rambler": ("rambler.ru", "lenta.ru", "ro.ru"),
    "gmail": ("gmail.com", "googlemail.com"),
}
_BY_DOMAIN = {domain: key for key, domains in _PROVIDERS.items() for domain in domains}
PROVIDER_TITLES = {"mail.ru": "Mail.ru", "yandex": "Яндекс", "rambler": "Рамблер", "gmail": "Gmail"}


def provider_of(domain_ascii: str) -> str:
    domain = domain_ascii.lower()
    return _BY_DOMAIN.get(domain, domain)


@dataclass(frozen=True)
class Email:
    local: str
    domain_unicode: str
    domain_ascii: str

    @property
    def display(self) -> str:
        return f"{self.local}@{self.domain_unicode}"

    @property
    def ascii(self) -> str:
        return f"{self.local}@{self.domain_ascii}"

    @property
    def normalized(self) -> str:
        return f"{self.local.lower()}@{self.domain_ascii.lower()}"

    @property
    def masked(self) -> str:
        return f"{self.local[:1]}***@{self.domain_unicode}"

    @property
    def provider(self) -> str:
        return provider_of(self.domain_ascii)


def is_mail_ru(email: Email) -> bool:
    return email.provider == "mail.ru"


def _script(ch: str) -> str | None:
    if ch.isdigit() or ch in "-.":
        return None
    return unicodedata.name(ch, "?").split()[0]


def _mixed_script(domain: str) -> bool:
    for label in domain.split("."):
        scripts = {s for s in map(_script, label) if s is not None}
        if len(scripts) > 1:
            return True
    return False


def parse_email(text: str) -> Email:
    if any(ord(ch) < 32 or ch in "<>\"" for ch in text or ""):  # header injection, display names, quoting
        raise EmailInvalid(field="email")
    raw = (text or "").strip()
    if not raw or len(raw) > MAX_LENGTH:
        raise EmailInvalid(field="email")
    try:
        result = validate_email(raw, check_deliverability=False, allow_smtputf8=False, allow_quoted_local=False,
                                allow_display_name=False)
    except EmailNotValidError as exc:
        raise EmailInvalid(field="email") from exc
    if _mixed_script(result.domain):
        raise EmailInvalid(field="email")
    ascii_domain = result.ascii_domain or result.domain
    return Email(local=result.local_part, domain_unicode=result.domain, domain_ascii=ascii_domain.lower())
