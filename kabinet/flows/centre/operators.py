"""Operators: added from the command line (a one-time password and an app secret, printed once), signed in with
password + a code from their app, or a security key of theirs in its place (phishing-resistant; keys are
added in flows/centre/operator_keys) — never by SMS: an operator's phone is not a second factor we trust for
changing other people's accounts."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy.orm import Session

from kabinet.audit.events import Meta
from kabinet.audit.operator_events import OperatorEventType, record_operator
from kabinet.domain.errors import AuthFailed, ChallengeNotFound, InvalidInput, PasskeyNotFound, PasskeyRefused
from kabinet.domain.ids import Id, parse_id
from kabinet.domain.passwords import check_password
from kabinet.flows.shared import challenges, passkeys
from kabinet.flows.shared.accounts import write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.results import ChallengeView, OperatorView, challenge_view
from kabinet.security.operator_sessions import end, end_others, open_operator_session
from kabinet.security.passkeys import Refused, challenge_of, credential_id_of, request_options, verify_assertion
from kabinet.security.passwords import hash_password, verify_password
from kabinet.security.totp import totp_matches
from kabinet.store.centre import lock_operator, operator_by_login
from kabinet.store.db import lock_challenge
from kabinet.store.models import Account, Challenge, Operator, OperatorKey, OperatorSession
from kabinet.store.operator_keys import key_by_credential, keys_of

ROLES = ("operator", "supervisor")


@dataclass(frozen=True)
class NewOperator:
    login: str
    password: str  # shown once
    otpauth_uri: str  # shown once, for the operator's authenticator app


@dataclass(frozen=True)
class OperatorSignedIn:
    operator_token: str
    operator: OperatorView


def add(ctx: FlowContext, *, login: str, centre: str, role: str = "operator") -> NewOperator:
    login, centre = login.strip().lower(), " ".join(centre.split())
    if not 3 <= len(login) <= 64 or not login.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise InvalidInput(field="login")
    if not 2 <= len(centre) <= 200 or role not in ROLES:
        raise InvalidInput(field="centre" if role in ROLES else "role")
    password, secret = secrets.token_urlsafe(12), pyotp.random_base32()
    with write_step(ctx, None) as (db, _nobody, now):
        if operator_by_login(db, login) is not None:
            raise InvalidInput(field="login")
        made = Operator(id=uuid.uuid4(), login=login, centre=centre, role=role, password_hash=hash_password(password),
                        totp_secret=ctx.totp_sealer.seal(secret), created_at=now)
        db.add(made)
        record_operator(db, made, OperatorEventType.ADDED, at=now, role=role)
    uri = pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=f"Kabinet — {centre}")
    return NewOperator(login=login, password=password, otpauth_uri=uri)


def start_sign_in(ctx: FlowContext, meta: Meta, *, login: str, password: str) -> ChallengeView:
    """The password first (same cost for an unknown login), then a challenge the operator's app answers."""
    login = login.strip().lower()[:64]
    ctx.limiter.check("operator.sign_in.ip", meta.ip or "-")
    ctx.limiter.check("operator.sign_in.login", login)
    with ctx.store.read() as db:
        found = operator_by_login(db, login)
    right = verify_password(found.password_hash if found else None, password[:1024])
    if not right or not found or not found.active:
        ctx.limiter.hit_all([("operator.sign_in.login", login), ("operator.sign_in.ip", meta.ip or "-")])
        if found is not None:  # a guess at a real operator's password, or a switched-off operator: the trail has it
            with write_step(ctx, None) as (db, _nobody, now):
                record_operator(db, found, OperatorEventType.SIGN_IN_REFUSED, at=now, meta=meta,
                                by="password" if not right else "inactive")
        raise AuthFailed()
    with write_step(ctx, None) as (db, _nobody, now):
        ch = challenges.issue(ctx, db, now=now, meta=meta, purpose="operator_sign_in", channel="totp",
                              payload={"operator_id": str(found.id), "login": login})
        return challenge_view(ch)


def _app_code(ctx: FlowContext, db: Session, ch: Challenge, code: str, now: datetime, meta: Meta) -> bool:
    operator = lock_operator(db, uuid.UUID(ch.payload["operator_id"]))
    if operator is not None and totp_matches(ctx.totp_sealer, operator, code, now):
        return True
    ctx.limiter.try_hit("operator.sign_in.login", ch.payload["login"])
    if operator is not None:  # written with the attempt the wrong code spends (the same transaction)
        record_operator(db, operator, OperatorEventType.SIGN_IN_REFUSED, at=now, meta=meta,
                        by="app")
    return False


@challenges.on_confirm("operator_sign_in", check=_app_code)
def _confirm(step: challenges.Step, ch: Challenge, _account: Account | None) -> OperatorSignedIn:
    operator = step.db.get_one(Operator, uuid.UUID(ch.payload["operator_id"]))
    return _signed_in(step.ctx, step.db, step.meta, step.now, operator, by="app")


def _signed_in(ctx: FlowContext, db: Session, meta: Meta, now: datetime, operator: Operator, *,
               by: str) -> OperatorSignedIn:
    """The second step passed, by the app's code or a security key: a console session, unless the operator has been
    switched off meanwhile — one place, so a rule added to the sign-in holds for both ways."""
    if not operator.active:
        raise AuthFailed()
    token = open_operator_session(db, ctx.hasher, operator_id=operator.id, meta=meta, now=now)
    record_operator(db, operator, OperatorEventType.SIGNED_IN, at=now, meta=meta, by=by)
    return OperatorSignedIn(operator_token=token, operator=_view(operator))


def key_options(ctx: FlowContext, meta: Meta, *, challenge_id: Id) -> dict[str, Any]:
    """After the password, request options for the operator's security keys (in place of the app's code); the
    sign-in challenge keeps the WebAuthn one (a keyed hash) for one answer."""
    rp = passkeys.party(ctx)
    with write_step(ctx, None) as (db, _nobody, now):
        ch = _sign_in_challenge(db, challenge_id, now)
        keys = keys_of(db, uuid.UUID(ch.payload["operator_id"]))
        if not keys:
            raise PasskeyNotFound()
        made, webauthn = request_options(rp, allow=[(k.credential_id, k.transports) for k in keys])
        ch.payload = {**ch.payload, "webauthn": passkeys.digest(ctx, webauthn)}
        return made


def sign_in_with_key(ctx: FlowContext, meta: Meta, *, challenge_id: Id, credential: dict[str, Any]
                     ) -> OperatorSignedIn:
    """The second step answered by a security key (its PIN verified): a console session, as the app's code gives.
    A failed answer spends an attempt and counts against the login, as a wrong code does; a key whose counter went
    backwards (a copy) is refused like any other failure."""
    webauthn = challenge_of(credential)
    with write_step(ctx, None) as (db, _nobody, now):
        ch = _sign_in_challenge(db, challenge_id, now)
        expected = ch.payload.get("webauthn")
        ch.payload = {k: v for k, v in ch.payload.items() if k != "webauthn"}  # one answer per options
        operator = lock_operator(db, uuid.UUID(ch.payload["operator_id"]))
        answered = webauthn is not None and expected == passkeys.digest(ctx, webauthn) and operator is not None
        key = _key_that_answered(ctx, db, operator, credential, webauthn) if answered else None
        if key is not None and operator is not None:
            key.last_used_at, ch.consumed_at, ch.channel = now, now, "key"
            return _signed_in(ctx, db, meta, now, operator, by="key")
        ch.attempts_left -= 1
        ctx.limiter.try_hit("operator.sign_in.login", ch.payload["login"])
        if operator is not None:
            record_operator(db, operator, OperatorEventType.SIGN_IN_REFUSED, at=now, meta=meta,
                            by="key")
    raise PasskeyRefused()


def _key_that_answered(ctx: FlowContext, db: Session, operator: Operator | None, credential: dict[str, Any],
                       webauthn: str | None) -> OperatorKey | None:
    """The operator's own key, locked, whose signature over this challenge holds (its counter moved on); else
    None — another's key, a citizen's passkey, a bad signature or a copy whose counter went back alike."""
    key = key_by_credential(db, credential_id_of(credential) or "", lock=True)
    if key is None or operator is None or key.operator_id != operator.id or webauthn is None:
        return None
    try:
        key.sign_count, _backed_up = verify_assertion(passkeys.party(ctx), credential, webauthn,
                                                      public_key=key.public_key, sign_count=key.sign_count)
    except Refused:
        return None
    return key


def _sign_in_challenge(db: Session, challenge_id: Id, now: datetime) -> Challenge:
    ch = lock_challenge(db, parse_id(challenge_id, ChallengeNotFound))
    if ch is None or ch.purpose != "operator_sign_in" or ch.consumed_at is not None or ch.attempts_left <= 0 \
            or now >= ch.expires_at:
        raise ChallengeNotFound()
    return ch


def _view(operator: Operator) -> OperatorView:
    return OperatorView(id=operator.id, login=operator.login, centre=operator.centre, role=operator.role,
                        must_change_password=operator.password_changed_at is None)


def who(ctx: FlowContext, operator: OperatorSession) -> OperatorView:
    """The operator behind a console session: the console shows a supervisor's pages only to supervisors and asks
    for a password of one's own before anything else."""
    with ctx.store.read() as db:
        return _view(db.get_one(Operator, operator.operator_id))


def sign_out(ctx: FlowContext, meta: Meta, *, operator: OperatorSession) -> None:
    with write_step(ctx, None) as (db, _nobody, now):
        end(db, operator.id, now)
        record_operator(db, db.get_one(Operator, operator.operator_id), OperatorEventType.SIGNED_OUT, at=now, meta=meta)


def change_password(ctx: FlowContext, meta: Meta, *, operator: OperatorSession, current: str, new: str) -> None:
    """The one-time password from ``kabinet operator add`` is meant to be changed at once; every other session of
    the operator ends (whoever knew the old one may be signed in)."""
    with ctx.store.read() as db:
        row = db.get_one(Operator, operator.operator_id)
    ctx.limiter.check("operator.sign_in.login", row.login)  # before the guess, not after it
    if not verify_password(row.password_hash, current[:1024]):
        ctx.limiter.hit("operator.sign_in.login", row.login)
        with write_step(ctx, None) as (db, _nobody, now):  # someone at an open console guessing its password
            record_operator(db, row, OperatorEventType.PASSWORD_REFUSED, at=now, meta=meta)
        raise AuthFailed(field="current")
    check_password(new, personal=[row.login, *row.centre.split()])
    new_hash = hash_password(new)
    with write_step(ctx, None) as (db, _nobody, now):
        locked = lock_operator(db, row.id)
        assert locked is not None
        locked.password_hash, locked.password_changed_at = new_hash, now
        ended = end_others(db, locked.id, now, keep=operator.id)
        record_operator(db, locked, OperatorEventType.PASSWORD_CHANGED, at=now, meta=meta,
                        ended=ended)
