"""What a flow may touch: the store, the clock, keyed hashing, rate limits, the two sealers, the identity
registers, the base URL its links point at and the cooling-off periods. Nothing else — no mailer, no SMS gateway,
no worker: a flow only *queues* messages (outbox rows in its own transaction), so it cannot send one by mistake
inside a request.

Built once by the composition root (``kabinet.bootstrap``); tests build theirs with a frozen clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from kabinet.clock import Clock
from kabinet.identity_registers import IdentityRegisters
from kabinet.places import GeoPlaces, Places
from kabinet.policy import Cooling
from kabinet.security.crypto import Sealer
from kabinet.security.ratelimit import RateLimiter
from kabinet.security.tokens import Hasher
from kabinet.store.db import Store


@dataclass(frozen=True)
class FlowContext:
    store: Store
    clock: Clock
    hasher: Hasher
    limiter: RateLimiter
    outbox_sealer: Sealer
    totp_sealer: Sealer
    registers: IdentityRegisters
    base_url: str
    key_sealer: Sealer  # the signing keys of ID tokens and security events (relying services)
    cooling: Cooling = field(default_factory=Cooling)
    places: Places = field(default_factory=GeoPlaces)  # where a session's address is (offline GeoIP)
    notice_delay: timedelta = timedelta(0)  # notices wait this long, so close changes merge into one message
