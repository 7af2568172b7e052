"""What every flow may need of relying services: the subject a service knows a citizen by, and the
security events pushed to the services a citizen has connected — queued in the change's own transaction, signed
now, POSTed by the outbox worker with its retries.

Why here: a contact change anywhere (the cabinet, the centre, recovery) must reach the services at once (S18), and
no flow imports another."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from kabinet.delivery.outbox import enqueue
from kabinet.domain.oauth import OAuthError, level_meets, sector
from kabinet.flows.shared.context import FlowContext
from kabinet.policy import OIDC_LOGOUT_TOKEN_TTL
from kabinet.security import keys
from kabinet.store.models import OidcClient, OidcGrant, OidcToken
from kabinet.store.relying import clients_of_sessions, revoke_session_tokens, subscribed_clients, token_by_hash
from kabinet.store.sessions import end_all

RISC = "https://schemas.openid.net/secevent/risc/event-type/"
BACKCHANNEL_LOGOUT = "http://schemas.openid.net/event/backchannel-logout"
EVENTS = ("identifier-changed", "recovery-information-changed", "sessions-revoked", "recovery-activated")
CAEP = "https://schemas.openid.net/secevent/caep/event-type/"
SSF = "https://schemas.openid.net/secevent/ssf/event-type/"
# CAEP 1.0: a credential added, changed or removed; a session at the cabinet ended (the service's session begun in
# it should end too); the account's level changed (a centre confirmed identity, identity data checked).
CAEP_EVENTS = ("credential-change", "session-revoked", "assurance-level-change")


def id_token_hint(ctx: FlowContext, hint: str, published: dict[str, Any]) -> dict[str, Any]:
    """The claims of an ID token we issued — expired or not (Core §3.1.2.1, RP-Initiated Logout §2: a hint, not a
    credential). Anything else signed with our keys (a security event, a logout token) is not an ID token."""
    try:
        token = jwt.decode(hint[:8000], KeySet.import_key_set(published))  # type: ignore[arg-type]  # a JWKS dict
    except (JoseError, ValueError):
        raise OAuthError("invalid_request", "id_token_hint is not an ID token of ours") from None
    claims = token.claims
    if (token.header.get("typ", "JWT") != "JWT" or "events" in claims or claims.get("iss") != ctx.base_url
            or not isinstance(claims.get("sub"), str) or not audiences(claims)):
        raise OAuthError("invalid_request", "id_token_hint is not an ID token of ours")
    return claims


def audiences(claims: dict[str, Any]) -> list[str]:
    audience = claims.get("aud")
    return [a for a in (audience if isinstance(audience, list) else [audience]) if isinstance(a, str)]


def subject(ctx: FlowContext, client: OidcClient, account_id: uuid.UUID) -> str:
    """The account's id, or for a pairwise client a keyed hash of its sector and the account: two services cannot
    join what they know of one citizen by ``sub``."""
    if client.subject_type != "pairwise":
        return str(account_id)
    return ctx.hasher.digest("pairwise", f"{sector(client.redirect_uris[0])}:{account_id}")


def push(ctx: FlowContext, db: Session, account_id: uuid.UUID, event: str, now: datetime) -> int:
    """A Security Event Token (RFC 8417, RISC profile) for each connected service that takes events."""
    assert event in EVENTS
    return _push(ctx, db, account_id, RISC + event, now, {})


def push_caep(ctx: FlowContext, db: Session, account_id: uuid.UUID, event: str, now: datetime,
              **fields: Any) -> int:
    """A CAEP 1.0 event to the same services: ``credential-change`` (``credential_type``, ``change_type``),
    ``assurance-level-change`` (``level_changed``); ``session-revoked`` goes per session (``sessions_ended``)."""
    assert event in CAEP_EVENTS
    return _push(ctx, db, account_id, CAEP + event, now, {"event_timestamp": int(now.timestamp()), **fields})


def password_changed(ctx: FlowContext, db: Session, account_id: uuid.UUID, now: datetime) -> int:
    """A new password (changed, reset, or set by a trusted person's approval): CAEP ``credential-change``, so a
    service that keeps its own idea of the citizen's credentials (a step-up it remembers) forgets it."""
    return push_caep(ctx, db, account_id, "credential-change", now, credential_type="password",
                     change_type="update")


def level_changed(ctx: FlowContext, db: Session, account_id: uuid.UUID, now: datetime, *, before: str,
                  after: str, by: str = "user") -> int:
    """The account's level moved (``simplified`` < ``standard`` < ``confirmed``, the ``acr`` values): CAEP
    ``assurance-level-change`` in a namespace of our own, as the levels are this service's, not NIST's."""
    if before == after:
        return 0
    direction = "increase" if level_meets(after, before) else "decrease"
    return push_caep(ctx, db, account_id, "assurance-level-change", now, namespace="custom", current_level=after,
                     previous_level=before, change_direction=direction, initiating_entity=by)


def _push(ctx: FlowContext, db: Session, account_id: uuid.UUID, uri: str, now: datetime,
          fields: dict[str, Any]) -> int:
    sent = 0
    for client in subscribed_clients(db, account_id):
        sent += _event_to(ctx, db, client, account_id, uri, now, fields, session=None)
    return sent


def _event_to(ctx: FlowContext, db: Session, client: OidcClient, account_id: uuid.UUID, uri: str, now: datetime,
              fields: dict[str, Any], *, session: str | None) -> int:
    """One Security Event Token to one service's push endpoint; its subject the citizen as the service knows them
    (``iss_sub``), or for one session the citizen and that session's ``sid`` (SSF 1.0 complex subject)."""
    assert client.events_uri is not None
    user: dict[str, Any] = {"format": "iss_sub", "iss": ctx.base_url, "sub": subject(ctx, client, account_id)}
    about = user if session is None else {"format": "complex", "user": user,
                                          "session": {"format": "opaque", "id": session}}
    return _into_stream(ctx, db, client, {"events": {uri: {"subject": about, **fields}}}, now, account_id)


def verification(ctx: FlowContext, db: Session, client: OidcClient, state: str | None, now: datetime) -> int:
    """SSF 1.0 §8.1.4: the event a receiver asks for to see its stream works end to end, with its ``state``; the
    stream itself is the subject (``sub_id``)."""
    event = {"state": state} if state else {}
    return _into_stream(ctx, db, client, {"sub_id": {"format": "opaque", "id": client.id},
                                          "events": {SSF + "verification": event}}, now, None)


def _into_stream(ctx: FlowContext, db: Session, client: OidcClient, body: dict[str, Any], now: datetime,
                 account_id: uuid.UUID | None) -> int:
    """A signed SET into the client's push stream (SSF 1.0 §8.1.2): an enabled stream sends it, a paused one holds
    it in the outbox until it is enabled again, a disabled one drops it. How many were queued."""
    assert client.events_uri is not None
    # Read under a share lock: a receiver enabling or disabling the stream at this moment (which locks the row to
    # update it) comes wholly before or after this event, so it is never held past an "enabled" nor sent after a
    # "disabled" (PostgreSQL; SQLite's writers are serialised anyway).
    status = db.execute(select(OidcClient.stream_status).where(OidcClient.id == client.id)
                        .with_for_update(read=True)).scalar_one()
    if status == "disabled":
        return 0
    claims = {"iss": ctx.base_url, "iat": int(now.timestamp()), "jti": secrets.token_hex(16), "aud": client.id,
              **body}
    token = keys.sign(db, ctx.key_sealer, now, claims, typ="secevent+jwt")
    enqueue(db, now=now, channel="push", destination=client.events_uri, template="set", locale="en",
            data={"set": token, "stream": client.id}, account_id=account_id, held=status == "paused")
    return 1


def sid(ctx: FlowContext, session_id: uuid.UUID, client_id: str) -> str:
    """The ``sid`` a service knows a cabinet session by (ID tokens, logout tokens): one per session and service, a
    keyed hash, so two services cannot tell they met the same session."""
    return ctx.hasher.digest("sid", f"{session_id}:{client_id}")[:32]


def end_sessions(ctx: FlowContext, db: Session, account_id: uuid.UUID, now: datetime, *,
                 keep: uuid.UUID | None = None) -> int:
    """Every session of the account but ``keep`` ends, and so do the services' sessions begun in them; how many
    cabinet sessions ended."""
    ended = end_all(db, account_id, now, keep=keep)
    sessions_ended(ctx, db, account_id, ended, now)
    return len(ended)


def sessions_ended(ctx: FlowContext, db: Session, account_id: uuid.UUID, session_ids: list[uuid.UUID],
                   now: datetime) -> int:
    """These cabinet sessions have ended (signed out, revoked, or every one at a password reset): the tokens
    services were given in them die, and each service signed in through one of them hears of it — by a signed
    logout token naming the session (``sid``) if it listens for Back-Channel Logout 1.0, by a CAEP
    ``session-revoked`` event (the same ``sid``) if it takes security events. Queued here, POSTed by the outbox with
    its retries, never inside the request. How many logout tokens were queued."""
    revoke_session_tokens(db, now, session_ids)
    pairs = clients_of_sessions(db, session_ids)
    connected = {c.id for c in subscribed_clients(db, account_id)} if any(c.events_uri for _s, c in pairs) else set()
    sent = 0
    for session_id, client in pairs:
        known_as = sid(ctx, session_id, client.id)
        if client.backchannel_logout_uri:
            _logout_token(ctx, db, client, account_id, now, sid=known_as)
            sent += 1
        if client.id in connected:
            _event_to(ctx, db, client, account_id, CAEP + "session-revoked", now,
                      {"event_timestamp": int(now.timestamp())}, session=known_as)
    return sent


def service_disconnected(ctx: FlowContext, db: Session, client: OidcClient, account_id: uuid.UUID,
                         now: datetime) -> None:
    """The citizen disconnected the service: its every session of this citizen ends (a logout token by ``sub``)."""
    if client.backchannel_logout_uri:
        _logout_token(ctx, db, client, account_id, now, sid=None)


def _logout_token(ctx: FlowContext, db: Session, client: OidcClient, account_id: uuid.UUID, now: datetime, *,
                  sid: str | None) -> None:
    assert client.backchannel_logout_uri is not None
    claims = {"iss": ctx.base_url, "aud": client.id, "iat": int(now.timestamp()),
              "exp": int((now + OIDC_LOGOUT_TOKEN_TTL).timestamp()), "jti": secrets.token_hex(16),
              "sub": subject(ctx, client, account_id), "events": {BACKCHANNEL_LOGOUT: {}}}
    token = keys.sign(db, ctx.key_sealer, now, claims | ({"sid": sid} if sid else {}), typ="logout+jwt")
    enqueue(db, now=now, channel="logout", destination=client.backchannel_logout_uri, template="logout",
            locale="en", data={"logout_token": token}, account_id=account_id)


def live_token(db: Session, row: OidcToken, now: datetime) -> bool:
    """Not revoked, not rotated, not expired, and its service still connected."""
    return (row.revoked_at is None and row.rotated_at is None and now < row.expires_at
            and db.get_one(OidcGrant, row.grant_id).revoked_at is None)


def access_owner(ctx: FlowContext, token: str) -> tuple[OidcToken, OidcClient] | None:
    """The live access token behind a ``Bearer`` value, with its client (userinfo)."""
    now = ctx.clock.now()
    with ctx.store.read() as db:
        row = token_by_hash(db, ctx.hasher.digest("oidc-token", token or ""))
        if row is None or row.kind != "access" or not live_token(db, row, now):
            return None
        return row, db.get_one(OidcClient, row.client_id)
