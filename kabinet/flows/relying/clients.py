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
        requires: list[str] | None = None, pairwise: bool = False, events_uri: str | None = None,
        post_logout_redirect_uris: list[str] | None = None, backchannel_logout_uri: str | None = None,
        require_par: bool = False) -> NewClient:
    """``public``: a native or browser app with no secret (PKCE only); it may register its own private-use scheme
    (``ru.example.app:/cb``, RFC 8252 §7.1), and its loopback redirects match any port. ``require_par``: its
    authorization requests are answered only when pushed first (RFC 9126): their parameters travel in the pushed
    body, and the browser's URL carries only ``client_id`` and the single-use ``request_uri``."""
    requires, after_logout = list(requires or []), list(post_logout_redirect_uris or [])
    if not name.strip() or not redirect_uris or any(not _uri_ok(u, app=public) for u in redirect_uris):
        raise InvalidInput(field="redirect_uri")
    if any(r not in REQUIREMENTS for r in requires):
        raise InvalidInput(field="require")
    if events_uri is not None and not _uri_ok(events_uri):
        raise InvalidInput(field="events_uri")
    if any(not _uri_ok(u, app=public) for u in after_logout):
        raise InvalidInput(field="post_logout_redirect_uri")
    if backchannel_logout_uri is not None and not _uri_ok(backchannel_logout_uri):
        raise InvalidInput(field="backchannel_logout_uri")
    client_id = secrets.token_urlsafe(18)
    secret = None if public else secrets.token_urlsafe(32)
    with ctx.store.write() as db:
        db.add(OidcClient(id=client_id, name=name.strip(), redirect_uris=redirect_uris, requires=requires,
                          secret_hash=ctx.hasher.digest("client-secret", secret) if secret else None,
                          subject_type="pairwise" if pairwise else "public", events_uri=events_uri,
                          post_logout_redirect_uris=after_logout, backchannel_logout_uri=backchannel_logout_uri,
                          require_par=require_par, created_at=ctx.clock.now()))
    return NewClient(client_id=client_id, client_secret=secret)


def _uri_ok(uri: str, *, app: bool = False) -> bool:
    """https, or http on a loopback address (a service under test or a native app), or for an app its own
    private-use scheme named after a domain it holds (``ru.example.app:/cb``): never a fragment."""
    parts = urlsplit(uri)
    if parts.fragment:
        return False
    if app and "." in parts.scheme and parts.scheme not in ("http", "https") and parts.path.startswith("/"):
        return all(c.isalnum() or c in "+.-" for c in parts.scheme)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    return bool(parts.hostname) and (parts.scheme == "https" or (parts.scheme == "http" and loopback))


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
