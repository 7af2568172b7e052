"""Password policy (DOMAIN.md; NIST SP 800-63B): long enough, not a common one, not one's own phone
or address. No composition rules: they make passwords worse, not better."""

from __future__ import annotations

from kabinet.domain.errors import PasswordWeak

MIN_LENGTH = 8
MAX_LENGTH = 256

COMMON = frozenset(
    [
        "password",
        "password1",
        "password123",
        "12345678",
        "123456789",
        "1234567890",
        "123123123",
        "11111111",
        "00000000",
        "qwerty123",
        "qwertyuiop",
        "1q2w3e4r",
        "1q2w3e4r5t",
        "qwerty12",
        "iloveyou",
        "admin123",
        "welcome1",
        "abc12345",
        "abcd1234",
        "passw0rd",
        "p@ssw0rd",
        "87654321",
        "88888888",
        "asdfghjk",
        "zxcvbnm1",
        "qazwsxedc",
        "1qaz2wsx",
        "letmein1",
        "sunshine1",
        "princess1",
        "football1",
        "baseball1",
        "dragon12",
        "monkey12",
        "ntcnbhjdfybt",
        "gfhjkm123",
        "vfhufhbnf",
        "123qweasd",
        "qweasdzxc",
        "147258369",
        "159753456",
        "789456123",
        "66666666",
        "77777777",
        "12341234",
        "11223344",
        "123321123",
        "q1w2e3r4",
        "a1b2c3d4",
        "zaq12wsx",
        "superman1",
        "michael1",
        "jennifer",
        "shadow12",
        "master12",
        "kabinet1",
        "gosuslugi",
        "gosuslugi1",
        "gosuslugi123",
        "пароль123",
        "йцукенгш",
        "qwertyui",
        "1234qwer",
        "qwer1234",
        "password12",
    ]
)


def check_password(password: str, *, personal: list[str]) -> None:
    """Raise ``PasswordWeak`` unless the password passes; ``personal`` are the phone digits, email, names."""
    lowered = password.lower()
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH or lowered in COMMON or len(set(password)) < 3:
        raise PasswordWeak(field="password")
    for item in personal:
        if len(item) >= 4 and item.lower() in lowered:
            raise PasswordWeak(field="password")
