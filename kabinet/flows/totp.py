"""Authenticator app (TOTP) enrolment (S1, S6): a new secret is shown once, as a QR code and text, and
takes effect only when a code from the app proves it was scanned. From then on sign-in and
confirmations ask the app instead of sending SMS."""

from __future__ import annotations

from typing import Any

import pyotp

from kabinet.audit.events import EventType, Meta, record
from kabinet.bootstrap import Kabinet
from kabinet.flows import challenges
from kabinet.flows.accounts import account_step
from kabinet.flows.notices import contact_changed
from kabinet.flows.step_up import mark_fresh
from kabinet.store.models import Account, Challenge
from kabinet.store.models import Session as UserSession

ISSUER = "Kabinet"


def start_enrol(kb: Kabinet, meta: Meta, *, session: UserSession) -> dict[str, Any]:
    secret = pyotp.random_base32()
    with account_step(kb, session, fresh_factor=True) as (db, account, now):
        ch = challenges.issue(kb, db, now=now, meta=meta, purpose="totp_enrol", channel="totp",
                              account=account, session=session, payload={"secret": kb.totp_sealer.seal(secret)})
        ch.expires_at = now + challenges.CODE_TTL * 2  # time to install an app and scan
        uri = pyotp.TOTP(secret).provisioning_uri(name=account.full_name, issuer_name=ISSUER)
        return {"secret": secret, "otpauth_uri": uri, "challenge": challenges.view(ch, now)}


def code_matches(kb: Kabinet, ch: Challenge, code: str, now: Any) -> bool:
    """The code of the secret being enrolled (not of the account's current one)."""
    totp = pyotp.TOTP(kb.totp_sealer.open(ch.payload["secret"]))
    return any(pyotp.utils.strings_equal(totp.generate_otp(totp.timecode(now) + d), code) for d in (-1, 0, 1))


@challenges.on_confirm("totp_enrol")
def _confirm(step: challenges.Step, ch: Challenge, account: Account | None) -> dict[str, Any]:
    assert account is not None
    account.totp_secret = ch.payload["secret"]  # already sealed
    account.totp_last_step = pyotp.TOTP(step.kb.totp_sealer.open(ch.payload["secret"])).timecode(step.now)
    ch.payload = {}
    mark_fresh(step, account, "totp")
    record(step.db, account, EventType.TOTP_ENABLED, at=step.now, meta=step.meta)
    contact_changed(step.kb, step.db, account, now=step.now,
                    what=("подключено приложение-аутентификатор", "an authenticator app was added"))
    return {"totp": True}
