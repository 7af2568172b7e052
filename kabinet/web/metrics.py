"""``/metrics`` in Prometheus' text format (issue 12): the outbox as an operator watches it — messages waiting by
channel and state, the age of the oldest one due, and this process's sends, failures and refusals by channel, and
how long a message waited from queued to sent.
Answered only to loopback and private addresses (a monitoring network), never to the public."""

from __future__ import annotations

import ipaddress

from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from kabinet.delivery.metrics import DELIVERIES, LATENCY
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
    with kb.ctx.store.read() as db:
        waiting, oldest = backlog(db)
    registry = CollectorRegistry()
    depth = Gauge("kabinet_outbox_waiting", "Messages waiting to be sent (queued, or failed and retrying)",
                  ["channel", "state"], registry=registry)
    for (channel, state), count in waiting.items():
        depth.labels(channel, state).set(count)
    Gauge("kabinet_outbox_oldest_age_seconds", "Age of the oldest message waiting", registry=registry).set(
        (now - oldest).total_seconds() if oldest else 0)
    registry.register(DELIVERIES)
    registry.register(LATENCY)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
