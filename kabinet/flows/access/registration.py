"""Registration: phone + password + name → SMS code → a simplified account, signed in (S1).

A number that already belongs to an account gets a different SMS ("someone tried to register with
this number") while the caller sees the very same challenge: nobody learns which numbers are taken.
"""

from __future__ import annotations

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import parse_all
from kabinet.domain.names import parse_name
from kabinet.domain.passwords import check_password
from kabinet.domain.phone import parse_phone
from kabinet.flows.access._devices import note_sign_in
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.results import ChallengeView, SignedIn, account_view, challenge_view
from kabinet.security.passwords import hash_password
from kabinet.security.sessions import open_session
from kabinet.store.contacts import claim_value, verified_owner
from kabinet.store.models import Account, Challenge, Contact


def start(ctx: FlowContext, meta: Meta, *, phone: str, password: str, full_name: str) -> ChallengeView:
    parsed = parse_all(phone=lambda: parse_phone(phone), full_name=lambda: parse_name(full_name),
                       password=lambda: check_password(password, personal=[]))  # every wrong field at once
    number, name = parsed["phone"], parsed["full_name"]
    check_password(password, personal=[number.e164[2:], number.e164[-7:], *name.split()])
    ctx.limiter.hit("register.ip", meta.ip or "-")
    password_hash = hash_password(password)  # slow on purpose; routes run this off the event loop
    with write_step(ctx, None) as (db, _nobody, now):
        taken = verified_owner(db, "phone", number.e164) is not None
        ch = challenges.issue(
            ctx, db, now=now, meta=meta, purpose="register", channel="sms", destination=number.e164,
            payload={"full_name": name, "password_hash": password_hash, "locale": meta.locale},
            silent="register_taken" if taken else None,
        )
        return challenge_view(ch)


@challenges.on_confirm("register")
def _confirm(step: challenges.Step, ch: Challenge, _account: Account | None) -> SignedIn:
    db, now = step.db, step.now
    claim_value(db, "phone", ch.destination or "", None)  # taken a moment ago? ContactTaken: the caller holds it
    account = Account(level="simplified", full_name=ch.payload["full_name"], locale=ch.payload["locale"],
                      password_hash=ch.payload["password_hash"], created_at=now)
    db.add(account)
    db.flush()
    db.add(Contact(account_id=account.id, kind="phone", value=ch.destination, display=_display(ch.destination),
                   verified_at=now, last_confirmed_at=now, is_primary=True, sign_in=True, recovery=True,
                   created_at=now))
    record(db, account, EventType.ACCOUNT_REGISTERED, at=now, meta=step.meta, channel="self-service")
    token, _ = open_session(db, step.ctx.hasher, account_id=account.id, meta=step.meta, method="password+sms",
                            now=now)
    ch.payload = {}  # the password hash has done its job here
    db.flush()  # a number verified meanwhile by someone else fails here, on the unique index
    note_sign_in(step.ctx, db, account, step.meta, now, "password+sms", quietly=True)  # the account's first device
    return SignedIn(account=account_view(account), session_token=token)


def _display(e164: str | None) -> str:
    return parse_phone(e164 or "").display
