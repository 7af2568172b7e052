"""A passkey as the second proof of a recovery: after the first code, the account's own passkey — one
past its cooling-off, as for contacts: a passkey an intruder added yesterday proves nothing — in place of a code to
another contact, the app or a backup code. The WebAuthn challenge is kept for this recovery, one answer; a failed
answer spends one of the recovery's attempts, and a passkey that proved it survives the new password (every newer one
goes then: ``password_reset.set_password``)."""

from __future__ import annotations

from typing import Any

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.errors import ContactTooNew, PasskeyNotFound, PasskeyRefused, RecoveryNotFound
from kabinet.domain.ids import Id
from kabinet.domain.states import RecoveryState
from kabinet.flows.recovery._recoveries import RecoveryView, gate, locked, old_passkeys, owner_of, wrong_proof
from kabinet.flows.shared import passkeys
from kabinet.flows.shared.accounts import write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.security.passkeys import challenge_of, request_options
from kabinet.store.challenges import by_link


def options(ctx: FlowContext, meta: Meta, *, recovery_id: Id) -> dict[str, Any]:
    """WebAuthn request options for the second proof by a passkey: the account's own past their cooling-off; the
    WebAuthn challenge is kept for this recovery, one answer, five minutes."""
    rp = passkeys.party(ctx)
    with write_step(ctx, owner_of(recovery_id)) as (db, account, now):
        rec = locked(db, recovery_id, now, RecoveryState.SECOND_PROOF)
        if account is None or rec.account_id != account.id:
            raise RecoveryNotFound()
        usable = old_passkeys(ctx, db, account, now)
        if not usable:
            raise PasskeyNotFound()
        made, challenge = request_options(rp, allow=[(p.credential_id, p.transports) for p in usable])
        passkeys.remember(ctx, db, challenge, purpose=passkeys.RECOVERY, now=now, account=account,
                          payload={"recovery_id": str(rec.id)})
        return made


def prove(ctx: FlowContext, meta: Meta, *, recovery_id: Id, credential: dict[str, Any]) -> RecoveryView:
    """The second proof by a passkey (user verified). A failed answer spends an attempt of the recovery, as a wrong
    code does; one added within the cooling-off proves nothing (``contact.too_new``), as a new contact."""
    webauthn = challenge_of(credential)
    failure: Exception = PasskeyRefused()
    with write_step(ctx, owner_of(recovery_id)) as (db, account, now):
        rec = locked(db, recovery_id, now, RecoveryState.SECOND_PROOF)
        if account is None or rec.account_id != account.id:
            raise RecoveryNotFound()
        ctx.limiter.check("code.check.account", str(account.id))  # as the app's and a backup code's proofs
        ch = by_link(db, passkeys.digest(ctx, webauthn), passkeys.RECOVERY, lock=True) if webauthn else None
        if ch is not None and ch.consumed_at is None and now < ch.expires_at and webauthn \
                and ch.payload.get("recovery_id") == str(rec.id):
            ch.consumed_at = now  # once, whatever the answer
            try:
                used = passkeys.prove(ctx, db, account, credential, webauthn, meta=meta, now=now)
            except PasskeyRefused as exc:
                failure = exc  # a copy's refusal is recorded and told: committed before it is raised
            else:
                if passkeys.is_new(ctx, used, now):
                    raise ContactTooNew(hours=round(ctx.cooling.contact.total_seconds() / 3600))
                rec.proofs = [*rec.proofs, f"passkey:{used.id}"]  # the one a completed recovery keeps
                record(db, account, EventType.RECOVERY_PROOF, at=now, meta=meta, proof="passkey")
                return gate(ctx, db, meta, now, rec, account)
        wrong_proof(ctx, db, meta, now, rec, account, "passkey")
    raise failure
