"""Sign in with a passkey: no login typed — the browser offers the passkeys it holds for this site
(discoverable credentials), and one with user verification (a PIN or a biometric) is both factors at once: no
SMS code. A wrong signature, a challenge used or expired, another site's origin, an unknown key or a counter that
went backwards all get one answer (401); a counter that went backwards is also told on the account's contacts."""

from __future__ import annotations

from typing import Any

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import AccountLocked, PasskeyRefused
from kabinet.flows.access._devices import note_sign_in
from kabinet.flows.shared import passkeys as shared
from kabinet.flows.shared.accounts import follow_language, write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.results import SignedIn, account_view
from kabinet.security.passkeys import challenge_of, request_options, user_handle_of
from kabinet.security.sessions import open_session
from kabinet.store.challenges import by_link

METHOD = "passkey"


def options(ctx: FlowContext, meta: Meta) -> dict[str, Any]:
    """Request options with no credentials listed (discoverable): single use, five minutes."""
    ctx.limiter.check("sign_in.ip", meta.ip or "-")
    made, challenge = request_options(shared.party(ctx))
    with write_step(ctx, None) as (db, _nobody, now):
        shared.remember(ctx, db, challenge, purpose=shared.SIGN_IN, now=now)
    return made


def sign_in(ctx: FlowContext, meta: Meta, *, credential: dict[str, Any]) -> SignedIn:
    ctx.limiter.check("sign_in.ip", meta.ip or "-")
    challenge = challenge_of(credential)
    account_id = shared.account_of(user_handle_of(credential))
    failure: PasskeyRefused = PasskeyRefused()
    with write_step(ctx, account_id) as (db, account, now):
        ch = by_link(db, shared.digest(ctx, challenge), shared.SIGN_IN, lock=True) if challenge else None
        if ch is not None and ch.consumed_at is None and now < ch.expires_at:
            ch.consumed_at = now  # once, whatever the answer
            if account is not None and challenge is not None:
                try:
                    used = shared.prove(ctx, db, account, credential, challenge, meta=meta, now=now)
                except PasskeyRefused as exc:
                    failure = exc  # a copy's refusal is recorded and told: committed before it is raised
                else:
                    if account.status != "active":
                        raise AccountLocked()
                    follow_language(db, account, meta, now)
                    token, row = open_session(db, ctx.hasher, account_id=account.id, meta=meta, method=METHOD,
                                              now=now)
                    db.flush()
                    shared.bind_factor(db, ch, used, row.id)  # the cooling-off rules ask which passkey it was
                    record(db, account, EventType.SIGN_IN_COMPLETED, at=now, meta=meta, method=METHOD)
                    note_sign_in(ctx, db, account, meta, now, METHOD)
                    return SignedIn(account=account_view(account), session_token=token)
    ctx.limiter.hit("sign_in.ip", meta.ip or "-")
    raise failure
