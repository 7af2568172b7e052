"""A relying service's event stream as the Shared Signals Framework 1.0 shows it to the service (the receiver): one
push stream per client registered with ``--events-uri`` (RFC 8935 delivery), its events the RISC and CAEP ones this
transmitter sends, its status, and a verification event on request.

Why streams are not created, changed or deleted over HTTP: where a citizen's security events may go is decided when
the service is registered (``kabinet client add``), by the people who vouch for it — a stolen client secret must not
be enough to send every citizen's events elsewhere. The receiver may read its stream, pause or disable it (a paused
stream's events wait in the outbox; a disabled one's are dropped) and ask for a verification event."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from kabinet.delivery.outbox import wake
from kabinet.domain.oauth import OAuthError
from kabinet.flows.shared import relying
from kabinet.flows.shared.context import FlowContext
from kabinet.store.models import OidcClient
from kabinet.store.outbox import drop_stream, hold_stream, release_stream

log = logging.getLogger("kabinet.relying")
PUSH = "urn:ietf:rfc:8935"
STATUSES = ("enabled", "paused", "disabled")
EVENTS = tuple([relying.RISC + e for e in relying.EVENTS] + [relying.CAEP + e for e in relying.CAEP_EVENTS])


@dataclass(frozen=True)
class Stream:
    """SSF 1.0 §8.1.1: a stream's configuration as its receiver reads it."""

    stream_id: str
    iss: str
    aud: str
    events_supported: list[str]
    events_requested: list[str]
    events_delivered: list[str]
    delivery: dict[str, Any]
    description: str


def configuration(ctx: FlowContext, client: OidcClient, stream_id: str | None = None) -> Stream:
    """The calling client's stream (``stream_id``, when given, must name it). Every supported event is requested
    and delivered: the set is the service's registration, not negotiated."""
    uri = _stream_of(client, stream_id)
    return Stream(stream_id=client.id, iss=ctx.base_url, aud=client.id, events_supported=list(EVENTS),
                  events_requested=list(EVENTS), events_delivered=list(EVENTS),
                  delivery={"method": PUSH, "endpoint_url": uri}, description=client.name)


def status(ctx: FlowContext, client: OidcClient, stream_id: str | None) -> str:
    _stream_of(client, stream_id)
    with ctx.store.read() as db:
        return db.get_one(OidcClient, client.id).stream_status


def set_status(ctx: FlowContext, client: OidcClient, stream_id: str | None, wanted: str) -> str:
    """Enabled again: what a pause held goes now. Disabled: what it held is dropped, as is what comes next."""
    _stream_of(client, stream_id)
    if wanted not in STATUSES:
        raise OAuthError("invalid_request", f"status is one of {', '.join(STATUSES)}")
    now = ctx.clock.now()
    with ctx.store.write() as db:
        stream = db.get_one(OidcClient, client.id, with_for_update=True)  # a SET being queued waits for this
        stream.stream_status = wanted
        if wanted == "enabled":
            if release_stream(db, client.id, now):
                wake(db)
        elif wanted == "paused":
            hold_stream(db, client.id)
        else:
            dropped = drop_stream(db, client.id)
            log.info("event stream of %s disabled: %s undelivered events dropped", client.id, dropped)
    return wanted


def verify(ctx: FlowContext, client: OidcClient, stream_id: str | None, state: str | None) -> None:
    """SSF 1.0 §8.1.4.2: a verification event with the receiver's ``state``, through the outbox like every event
    (and held or dropped with the stream's status like every event)."""
    _stream_of(client, stream_id)
    if state is not None and len(state) > 500:
        raise OAuthError("invalid_request", "state too long")
    with ctx.store.write() as db:
        relying.verification(ctx, db, db.get_one(OidcClient, client.id), state, ctx.clock.now())


def _stream_of(client: OidcClient, stream_id: str | None) -> str:
    """The client's push endpoint; a client without one (or another stream's id) has no stream here: 404."""
    if client.events_uri is None or (stream_id is not None and stream_id != client.id):
        raise OAuthError("not_found", "no such stream", status=404)
    return client.events_uri
