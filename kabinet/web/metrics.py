"""``/metrics`` in Prometheus' text format: the outbox as an operator watches it — messages waiting by
channel and state, the age of the oldest one due, and this process's sends, failures and refusals by channel, and
how long a message waited from queued to sent; each outbox worker's last heartbeat (a worker that stopped beating is a
worker that died), and whether the database answered this scrape (while it is away the scrape still answers, with
this process's own counters, instead of failing).
Answered only to loopback and private addresses (a monitoring network), never to the public."""

from __future__ import annotations

import ipaddress

from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from kabinet.delivery.metrics import DELIVERIES, LATENCY
from kabinet.domain.errors import Unavailable
from kabinet.store import fleet
from kabinet.store.outbox import backlog
from kabinet.web.deps import Kb
from kabinet.web.steps import step_router

router = step_router(include_in_schema=False)


def _inside(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "testclient"
    return address.is_loopback or address.is_private


@router.get("/metrics")
def metrics(request: Request, kb: Kb) -> Response:
    if not _inside(request):
        return PlainTextResponse("not found\n", status_code=404)
    now = kb.ctx.clock.now()
    registry = CollectorRegistry()
    up = Gauge("kabinet_database_up", "1 when the database answered this scrape", registry=registry)
    try:
        with kb.ctx.store.read() as db:
            waiting, oldest = backlog(db)
            workers = fleet.beats(db)
    except Unavailable:
        up.set(0)
    else:
        up.set(1)
        depth = Gauge("kabinet_outbox_waiting", "Messages waiting to be sent (queued, or failed and retrying)",
                      ["channel", "state"], registry=registry)
        for (channel, state), count in waiting.items():
            depth.labels(channel, state).set(count)
        Gauge("kabinet_outbox_oldest_age_seconds", "Age of the oldest message waiting", registry=registry).set(
            (now - oldest).total_seconds() if oldest else 0)
        beat = Gauge("kabinet_worker_last_beat_age_seconds", "Seconds since each outbox worker's last heartbeat",
                     ["worker"], registry=registry)
        sending = Gauge("kabinet_worker_in_flight", "Messages each outbox worker was sending at its last heartbeat",
                        ["worker"], registry=registry)
        for name, at, in_flight in workers:
            beat.labels(name).set(max(0.0, (now - at).total_seconds()))
            sending.labels(name).set(in_flight)
    if kb.ctx.limiter.shared:
        Gauge("kabinet_rate_limits_local", "1 while Redis is away and this process counts rate limits itself",
              registry=registry).set(1 if kb.ctx.limiter.counting_locally else 0)
    registry.register(DELIVERIES)
    registry.register(LATENCY)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
