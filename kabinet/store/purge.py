"""Purging what has served its purpose (152-FZ: personal data are destroyed once their purpose ends):
challenges a day after they expired (an unconfirmed registration's challenge holds a password hash and a
name), trusted-person requests once decided or expired (a waiting password change holds a hash), finished or
expired recoveries, and identity requests past their date (kept, marked expired: the number stays in the
citizen's history). Run by ``kabinet purge`` and hourly by every outbox worker."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from kabinet.policy import OIDC_KEY_KEEP
from kabinet.store import fleet
from kabinet.store.db import Store, changed
from kabinet.store.models import (
    Approval,
    Challenge,
    IdentityRequest,
    OidcCode,
    OidcPushedRequest,
    OidcToken,
    Outbox,
    RateWindow,
    Recovery,
)

log = logging.getLogger("kabinet.purge")
GRACE = timedelta(days=1)  # a day to read "this code has expired" rather than "not found"


@dataclass(frozen=True)
class Purged:
    challenges: int
    recoveries: int
    requests_expired: int
    approvals: int = 0
    oidc: int = 0


def purge(store: Store, now: datetime) -> Purged:
    cutoff = now - GRACE
    with store.write() as db:
        challenges = changed(db.execute(delete(Challenge).where(
            or_(Challenge.expires_at < cutoff, Challenge.consumed_at < cutoff))))
        # a recovery goes only after every request about it has.
        approvals = changed(db.execute(delete(Approval).where(
            or_(Approval.expires_at < cutoff, Approval.decided_at < cutoff))))
        asked = select(Approval.recovery_id).where(Approval.recovery_id.is_not(None))
        recoveries = changed(db.execute(delete(Recovery).where(Recovery.expires_at < cutoff,
                                                       Recovery.id.not_in(asked))))
        oidc = changed(db.execute(delete(OidcToken).where(OidcToken.expires_at < cutoff)))
        referred = select(OidcToken.code_id).where(OidcToken.code_id.is_not(None))
        oidc += changed(db.execute(delete(OidcCode).where(OidcCode.expires_at < cutoff, OidcCode.id.not_in(referred))))
        # a pushed request holds hints (a login, an ID token): gone once it has expired, no grace — "expired" and
        # "unknown" read the same at the authorization endpoint
        oidc += changed(db.execute(delete(OidcPushedRequest).where(OidcPushedRequest.expires_at < now)))
        # a security event a paused stream held longer than a retired key stays published could not be verified
        db.execute(delete(Outbox).where(Outbox.state == "held", Outbox.created_at < now - OIDC_KEY_KEEP))
        fleet.forget_silent(db, now - GRACE)  # beats of workers killed long ago
        db.execute(delete(RateWindow).where(RateWindow.expires_at < now.timestamp()))  # windows of a Redis outage
        expired = changed(db.execute(update(IdentityRequest).where(
            IdentityRequest.state == "awaiting_visit", IdentityRequest.expires_at < now,
        ).values(state="expired")))
    done = Purged(challenges, recoveries, expired, approvals, oidc)
    log.info("purged %s challenges, %s recoveries; %s identity requests expired; %s approvals, %s codes and "
             "tokens of relying services purged", *vars(done).values())
    return done
