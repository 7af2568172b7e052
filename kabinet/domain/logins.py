"""A login as typed — phone, email or SNILS — and its one canonical spelling.

Why one parser: every lookup and every per-login count goes through here, so "+7 916…", "8916…" and
"+7(916)…" are one login, and a SNILS written with or without its dashes is one too."""

from __future__ import annotations

from kabinet.domain.email import parse_email
from kabinet.domain.errors import InvalidInput
from kabinet.domain.phone import parse_phone
from kabinet.domain.snils import _FORMAT as SNILS_FORMAT
from kabinet.domain.snils import parse_snils


def parse_login(login: str) -> tuple[str, str] | None:
    """``("email" | "snils" | "phone", normalised value)``; ``None`` when it is none of them."""
    login = login.strip()
    try:
        if "@" in login:
            return "email", parse_email(login).normalized
        if _looks_like_snils(login):
            return "snils", parse_snils(login).digits
        return "phone", parse_phone(login, mobile_only=False).e164
    except InvalidInput:
        return None


def canonical_login(login: str) -> str:
    """One spelling per login, for counting tries on logins that match no account."""
    parsed = parse_login(login)
    return f"{parsed[0]}:{parsed[1]}" if parsed else "raw:" + " ".join(login.lower().split())[:320]


def _looks_like_snils(login: str) -> bool:
    """SNILS when written as one (``112-233-445 95``); eleven bare digits are a phone if they start
    like a Russian one (7…, 8…), else a SNILS."""
    if not SNILS_FORMAT.match(login):
        return False
    return not login.isdigit() or not login.startswith(("7", "8"))
