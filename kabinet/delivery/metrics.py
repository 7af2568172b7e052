"""What this process's outbox worker did, for ``/metrics``: sends, temporary failures and refusals by channel."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

_REGISTRY = CollectorRegistry(auto_describe=True)  # ours alone: the web edge adds it to each answer's registry
DELIVERIES = Counter("kabinet_outbox_deliveries", "Messages handed to a sender, by channel and outcome",
                     ["channel", "outcome"], registry=_REGISTRY)
LATENCY = Histogram("kabinet_outbox_delivery_seconds", "From queued to handed to the sender, by channel", ["channel"],
                    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800), registry=_REGISTRY)
