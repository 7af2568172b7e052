"""Sign-in: phone, email or SNILS + password → a second factor (SMS code to the primary phone, or
the TOTP app) → a session (S1, S6, S9).

Why the order: the password is checked before anything is written or sent, with the same cost for
unknown logins, and one answer for every failure (rule 7). Wrong passwords count per login and per IP.
"""

from __future__ import annotations

import uuid

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import AccountLocked, AuthFailed
from kabinet.domain.logins import canonical_login
from kabinet.flows.access._devices import note_sign_in
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import follow_language, second_factor, write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.results import ChallengeView, SignedIn, account_view, challenge_view
from kabinet.security.passwords import hash_password, needs_rehash, verify_password
from kabinet.security.sessions import open_session
from kabinet.security.timing import time_floor
from kabinet.store.accounts import find_by_login
from kabinet.store.models import Account, Challenge

# After the password check (the same argon2 cost for both, a dummy hash for an unknown login), a failure's own work
# differs by ~4 ms: the known account's history write. Both end no earlier than this after the check.
FAILURE_FLOOR_S = 0.015


def start(ctx: FlowContext, meta: Meta, *, login: str, password: str) -> ChallengeView:
    ctx.limiter.check("sign_in.ip", meta.ip or "-")
    with ctx.store.rows() as conn:
        found = find_by_login(conn, login)
    # Counted per account, not per spelling: "+7 916…", "8916…" and the SNILS of one account share a budget.
    login_key = f"account:{found.account_id}" if found else canonical_login(login)
    ctx.limiter.check("sign_in.login", login_key)
    if not verify_password(found.password_hash if found else None, password[:1024]):
        with time_floor(FAILURE_FLOOR_S):  # a known login's failure writes history; an unknown one's cannot
            _failed(ctx, meta, found.account_id if found else None, login_key)
        raise AuthFailed()
    assert found is not None and found.password_hash is not None
    fresh_hash = hash_password(password) if needs_rehash(found.password_hash) else None
    with write_step(ctx, found.account_id) as (db, account, now):
        assert account is not None
        if account.status != "active":
            raise AccountLocked()
        if fresh_hash:
            account.password_hash = fresh_hash
            record(db, account, EventType.PASSWORD_REHASHED, at=now, meta=meta)
        follow_language(db, account, meta, now)  # the code below goes in the language the citizen reads
        channel, contact = second_factor(db, account)
        ch = challenges.issue(ctx, db, now=now, meta=meta, purpose="sign_in", channel=channel,
                              destination=contact.value if contact else None, account=account,
                              contact_id=contact.id if contact else None)
        record(db, account, EventType.SIGN_IN_CODE_SENT, at=now, meta=meta, channel=channel)
        return challenge_view(ch)


def _failed(ctx: FlowContext, meta: Meta, account_id: uuid.UUID | None, login_key: str) -> None:
    ctx.limiter.hit("sign_in.login", login_key)
    ctx.limiter.hit("sign_in.ip", meta.ip or "-")
    if account_id is None:
        return
    with write_step(ctx, account_id) as (db, locked, now):
        assert locked is not None
        record(db, locked, EventType.SIGN_IN_PASSWORD_FAILED, at=now, meta=meta)


@challenges.on_confirm("sign_in")
def _confirm(step: challenges.Step, ch: Challenge, account: Account | None) -> SignedIn:
    assert account is not None
    if account.status != "active":
        raise AccountLocked()
    method = f"password+{ch.channel}"
    token, row = open_session(step.db, step.ctx.hasher, account_id=account.id, meta=step.meta, method=method,
                              now=step.now)
    if ch.channel == "passkey":  # which passkey gave this session its factor: the cooling-off rules ask
        step.db.flush()
        ch.session_id = row.id
    record(step.db, account, EventType.SIGN_IN_COMPLETED, at=step.now, meta=step.meta, method=method)
    note_sign_in(step.ctx, step.db, account, step.meta, step.now, method)  # a new device: told
    return SignedIn(account=account_view(account), session_token=token)
