"""What every flow may need of relying services (issue 11): the subject a service knows a citizen by, and the
security events pushed to the services a citizen has connected — queued in the change's own transaction, signed
now, POSTed by the outbox worker with its retries.

Why here: a contact change anywhere (the cabinet, the centre, recovery) must reach the services at once (S18), and
no flow imports another."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from kabinet.delivery.outbox import enqueue
from kabinet.domain.oauth import sector
from kabinet.flows.shared.context import FlowContext
from kabinet.security import keys
from kabinet.store.models import OidcClient
from kabinet.store.relying import subscribed_clients

RISC = "https://schemas.openid.net/secevent/risc/event-type/"
EVENTS = ("identifier-changed", "recovery-information-changed", "sessions-revoked", "recovery-activated")


def subject(ctx: FlowContext, client: OidcClient, account_id: uuid.UUID) -> str:
    """The account's id, or for a pairwise client a keyed hash of its sector and the account: two services cannot
    join what they know of one citizen by ``sub``."""
    if client.subject_type != "pairwise":
        return str(account_id)
    return ctx.hasher.digest("pairwise", f"{sector(client.redirect_uris[0])}:{account_id}")


def push(ctx: FlowContext, db: Session, account_id: uuid.UUID, event: str, now: datetime) -> int:
    """A Security Event Token (RFC 8417, RISC profile) for each connected service that takes events."""
    assert event in EVENTS
    sent = 0
    for client in subscribed_clients(db, account_id):
        assert client.events_uri is not None
        claims = {"iss": ctx.base_url, "iat": int(now.timestamp()), "jti": secrets.token_hex(16), "aud": client.id,
                  "events": {RISC + event: {"subject": {"format": "iss_sub", "iss": ctx.base_url,
                                                        "sub": subject(ctx, client, account_id)}}}}
        token = keys.sign(db, ctx.key_sealer, now, claims, typ="secevent+jwt")
        enqueue(db, now=now, channel="push", destination=client.events_uri, template="set", locale="en",
                data={"set": token}, account_id=account_id)
        sent += 1
    return sent
