"""Relying services as ``kabinet client add`` registers them, and how the token endpoint knows one: a client id,
and for a confidential client a secret stored only as a keyed hash and compared in constant time."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from kabinet.domain.errors import InvalidInput
from kabinet.domain.oauth import OAuthError
from kabinet.flows.shared.context import FlowContext
from kabinet.store.models import OidcClient

REQUIREMENTS = ("verified_email", "verified_phone", "level:standard", "level:confirmed")


@dataclass(frozen=True)
class NewClient:
    client_id: str
    client_secret: str | None  # shown once; None for a public client


def add(ctx: FlowContext, *, name: str, redirect_uris: list[str], public: bool = False,
        requires: list[str] | None = None, pairwise: bool = False, events_uri: str | None = None) -> NewClient:
    requires = list(requires or [])
    if not name.strip() or not redirect_uris or any(not _uri_ok(u) for u in redirect_uris):
        raise InvalidInput(field="redirect_uri")
    if any(r not in REQUIREMENTS for r in requires):
        raise InvalidInput(field="require")
    if events_uri is not None and not _uri_ok(events_uri):
        raise InvalidInput(field="events_uri")
    client_id = secrets.token_urlsafe(18)
    secret = None if public else secrets.token_urlsafe(32)
    with ctx.store.write() as db:
        db.add(OidcClient(id=client_id, name=name.strip(), redirect_uris=redirect_uris, requires=requires,
                          secret_hash=ctx.hasher.digest("client-secret", secret) if secret else None,
                          subject_type="pairwise" if pairwise else "public", events_uri=events_uri,
                          created_at=ctx.clock.now()))
    return NewClient(client_id=client_id, client_secret=secret)


def _uri_ok(uri: str) -> bool:
    """https, or http on a loopback address (a service under test or a native app): never a fragment."""
    parts = urlsplit(uri)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    return bool(parts.hostname) and not parts.fragment and (parts.scheme == "https" or
                                                            (parts.scheme == "http" and loopback))


def authenticate(ctx: FlowContext, db: Session, client_id: str, secret: str | None) -> OidcClient:
    """The calling client: a confidential one must prove its secret; a public one has none to prove (PKCE binds
    its code instead). Any failure is one ``invalid_client`` (401)."""
    client = db.get(OidcClient, client_id) if client_id else None
    if client is None:
        raise OAuthError("invalid_client", "unknown client or wrong secret", status=401)
    if client.secret_hash is not None and not ctx.hasher.matches("client-secret", secret or "", client.secret_hash):
        raise OAuthError("invalid_client", "unknown client or wrong secret", status=401)
    return client


def name_of(ctx: FlowContext, client_id: str) -> str | None:
    """A relying service's name, for the sign-in page a citizen reaches from it ("to continue to …")."""
    with ctx.store.read() as db:
        client = db.get(OidcClient, client_id[:64]) if client_id else None
        return client.name if client is not None else None
