"""Checking a code from the citizen's authenticator app (RFC 6238 via pyotp).

Why it remembers the step: a TOTP code stays valid for up to 90 s (one step either side for clock drift);
storing the last step used makes each code single-use, like every other code here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import pyotp

from kabinet.security.crypto import Sealer


class TotpHolder(Protocol):
    """An account or an operator: a sealed secret and the last step used."""

    @property
    def totp_secret(self) -> str | None: ...  # read only here: an operator's is never empty, a citizen's may be

    totp_last_step: int | None


def totp_matches(sealer: Sealer, account: TotpHolder | None, code: str, now: datetime) -> bool:
    """True once per code; records the step on the holder (the caller holds its row lock)."""
    if account is None or not account.totp_secret:
        return False
    totp = pyotp.TOTP(sealer.open(account.totp_secret))
    step = totp.timecode(now)
    for candidate in (step, step - 1, step + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(candidate), code):
            if account.totp_last_step is not None and candidate <= account.totp_last_step:
                return False  # a TOTP code already used can't be used again
            account.totp_last_step = candidate
            return True
    return False


def enrolment_matches(sealer: Sealer, sealed_secret: str, code: str, now: datetime) -> bool:
    """A code of a secret being enrolled (not yet the account's): proves the app scanned it."""
    totp = pyotp.TOTP(sealer.open(sealed_secret))
    return any(pyotp.utils.strings_equal(totp.generate_otp(totp.timecode(now) + d), code) for d in (-1, 0, 1))
