"""Where a session's address is (S15: device, IP, place), from an offline GeoIP database that a package ships
(geoip2fast carries its own data file: no network at run time). A country, by its ISO code; ``None`` for private,
loopback and unknown addresses, which the page shows as "unknown".

Why lazy: the database takes ~37 MB of memory, paid only by a process that shows a sessions list."""

from __future__ import annotations

import threading
from typing import Any, Protocol


class Places(Protocol):
    def country(self, ip: str | None) -> str | None: ...


class GeoPlaces:
    def __init__(self) -> None:
        self._db: Any = None
        self._lock = threading.Lock()

    def country(self, ip: str | None) -> str | None:
        if not ip:
            return None
        if self._db is None:
            with self._lock:
                if self._db is None:
                    from geoip2fast import GeoIP2Fast

                    self._db = GeoIP2Fast(verbose=False)
        try:
            found = self._db.lookup(ip)
        except Exception:  # a malformed address is simply not placed
            return None
        code = getattr(found, "country_code", "") or ""
        return code if len(code) == 2 and code.isalpha() and not getattr(found, "is_private", False) else None
