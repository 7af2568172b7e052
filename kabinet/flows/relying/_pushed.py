"""Pushed authorization requests as stored (RFC 9126): what a client sent to ``/oidc/par``, kept under the keyed hash
of the ``request_uri`` it was given — never the value itself — for one use, within a minute, by that client only.

Why a keyed mark afterwards: the authorization goes on through pages (sign-in, consent) that carry its parameters
back to ``/oidc/authorize`` in the URL or a form, long after the one-minute ``request_uri`` is spent. The parameters
taken from a pushed request travel with a mark (a keyed hash of them and the time they were taken), so a client
that must push its requests (``--require-par``) is still answered on the way back, and a request typed into the URL
with a forged or stale mark is refused as unpushed."""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select, update

from kabinet.flows.shared.context import FlowContext
from kabinet.policy import OIDC_PAR_CARRY, OIDC_PAR_TTL
from kabinet.store.db import changed
from kabinet.store.models import OidcPushedRequest

PREFIX = "urn:ietf:params:oauth:request_uri:"
MARK = "kabinet_par"  # carried with the parameters of a pushed request through the pages


def store(ctx: FlowContext, client_id: str, params: dict[str, str]) -> str:
    """Keep the checked parameters; the ``request_uri`` to hand the client (shown once, kept only hashed)."""
    value = secrets.token_urlsafe(32)
    now = ctx.clock.now()
    with ctx.store.write() as db:
        db.add(OidcPushedRequest(id=uuid.uuid4(), uri_hash=ctx.hasher.digest("oidc-par", value), client_id=client_id,
                                 params=params, created_at=now, expires_at=now + OIDC_PAR_TTL))
    return PREFIX + value


def take(ctx: FlowContext, client_id: str, request_uri: str) -> dict[str, str] | None:
    """The parameters behind ``request_uri`` for this client, spent at once (one UPDATE: two browsers racing with
    the same one get it once); None when unknown, spent, expired or another client's."""
    if not request_uri.startswith(PREFIX) or not client_id:
        return None
    digest, now = ctx.hasher.digest("oidc-par", request_uri[len(PREFIX):]), ctx.clock.now()
    with ctx.store.write() as db:
        spent = changed(db.execute(update(OidcPushedRequest).where(
            OidcPushedRequest.uri_hash == digest, OidcPushedRequest.client_id == client_id,
            OidcPushedRequest.used_at.is_(None), OidcPushedRequest.expires_at > now).values(used_at=now)))
        if spent != 1:
            return None
        found = select(OidcPushedRequest.params).where(OidcPushedRequest.uri_hash == digest)
        params: dict[str, Any] = db.scalars(found).one()
    return {str(k): str(v) for k, v in params.items()}


def mark(ctx: FlowContext, params: Mapping[str, str], now: datetime) -> str:
    moment = str(int(now.timestamp() * 1000))
    return f"{moment}.{_mac(ctx, moment, params)}"


def marked(ctx: FlowContext, params: Mapping[str, str], value: str, now: datetime) -> bool:
    """``value`` is our mark for exactly these parameters, made within the time an authorization may take."""
    moment, _, mac = value.partition(".")
    if not moment.isdigit() or not hmac.compare_digest(mac, _mac(ctx, moment, params)):
        return False
    return now.timestamp() * 1000 - int(moment) <= OIDC_PAR_CARRY.total_seconds() * 1000


def _mac(ctx: FlowContext, moment: str, params: Mapping[str, str]) -> str:
    return ctx.hasher.digest("oidc-par-mark", f"{moment}:{urlencode(sorted(params.items()))}")[:32]
