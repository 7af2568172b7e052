"""What this process's outbox worker did, for ``/metrics``: sends, temporary failures and refusals by channel."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

_REGISTRY = CollectorRegistry(auto_describe=True)  # ours alone: the web edge adds it to each answer's registry
DELIVERIES = Counter("kabinet_outbox_deliveries", "Messages handed to a sender, by channel and outcome",
                     ["channel", "outcome"], registry=_REGISTRY)
