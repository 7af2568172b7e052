"""Authenticator app (TOTP) enrolment (S1, S6): a new secret is shown once, as a QR code and text, and
takes effect only when a code from the app proves it was scanned. From then on sign-in and
confirmations ask the app instead of sending SMS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy.orm import Session

from kabinet.audit.events import EventType, Meta, record
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.confirmations import mark_fresh
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import contact_changed
from kabinet.flows.shared.results import ChallengeView, challenge_view
from kabinet.policy import CODE_TTL
from kabinet.security.totp import enrolment_matches
from kabinet.store.models import Account, Challenge
from kabinet.store.models import Session as UserSession
from kabinet.texts import text

ISSUER = "Kabinet"


@dataclass(frozen=True)
class Enrolment:
    """The new secret, shown once (as text and as an ``otpauth://`` URI for the QR code), and its challenge."""

    secret: str
    otpauth_uri: str
    challenge: ChallengeView


@dataclass(frozen=True)
class TotpEnabled:
    totp: bool = True


@dataclass(frozen=True)
class TotpState:
    """What Security shows: whether the app is on, and since when."""

    on: bool
    since: datetime | None


def state(ctx: FlowContext, *, account_id: object) -> TotpState:
    with ctx.store.read() as db:
        account = db.get_one(Account, account_id)
        return TotpState(on=account.totp_secret is not None, since=account.totp_enrolled_at)


def disable(ctx: FlowContext, meta: Meta, *, session: UserSession) -> TotpState:
    """Codes go by SMS again. A fresh second factor first (whoever holds only a stolen session must not weaken the
    account), and every channel hears of it, as of any change to how the account is protected."""
    with account_step(ctx, session, fresh_factor=True) as (db, account, now):
        if account.totp_secret is None:
            return TotpState(on=False, since=None)
        account.totp_secret, account.totp_enrolled_at, account.totp_last_step = None, None, None
        record(db, account, EventType.TOTP_DISABLED, at=now, meta=meta)
        contact_changed(ctx, db, account, now=now, what=text("the authenticator app was turned off"),
                        about="security")
        return TotpState(on=False, since=None)


def start_enrol(ctx: FlowContext, meta: Meta, *, session: UserSession) -> Enrolment:
    secret = pyotp.random_base32()
    with account_step(ctx, session, fresh_factor=True) as (db, account, now):
        ch = challenges.issue(ctx, db, now=now, meta=meta, purpose="totp_enrol", channel="totp",
                              account=account, session=session, payload={"secret": ctx.totp_sealer.seal(secret)})
        ch.expires_at = now + CODE_TTL * 2  # time to install an app and scan
        uri = pyotp.TOTP(secret).provisioning_uri(name=account.full_name, issuer_name=ISSUER)
        return Enrolment(secret=secret, otpauth_uri=uri, challenge=challenge_view(ch))


def _enrolment_code(ctx: FlowContext, _db: Session, ch: Challenge, code: str, now: datetime, _meta: Meta) -> bool:
    """The code of the secret being enrolled (not of the account's current one): proves the app scanned it."""
    return enrolment_matches(ctx.totp_sealer, ch.payload["secret"], code, now)


@challenges.on_confirm("totp_enrol", check=_enrolment_code)
def _confirm(step: challenges.Step, ch: Challenge, account: Account | None) -> TotpEnabled:
    assert account is not None
    account.totp_secret = ch.payload["secret"]  # already sealed
    account.totp_enrolled_at = step.now  # a new app waits out the cooling-off like a new contact
    account.totp_last_step = pyotp.TOTP(step.ctx.totp_sealer.open(ch.payload["secret"])).timecode(step.now)
    ch.payload = {}
    mark_fresh(step, account, "totp")
    record(step.db, account, EventType.TOTP_ENABLED, at=step.now, meta=step.meta)
    contact_changed(step.ctx, step.db, account, now=step.now, what=text("an authenticator app was added"),
                    about="security")
    return TotpEnabled()
