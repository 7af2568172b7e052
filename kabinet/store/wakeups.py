"""Waking ``kabinet worker`` processes when a request queues a message, across processes.

Why: in production the outbox runs in its own processes (``KABINET_OUTBOX=off`` on the web tier), and a worker that
only polls leaves a sign-in code waiting up to a poll interval. On PostgreSQL a request's transaction says
``NOTIFY kabinet_outbox`` (delivered only if it commits, once per transaction however many rows it queued) and each
worker keeps one connection that ``LISTEN``s. SQLite has no such channel: there the in-process waker and the poll
serve (SQLite is the one-process store).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine

log = logging.getLogger("kabinet.worker")
CHANNEL = "kabinet_outbox"


def notify_workers(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"NOTIFY {CHANNEL}")


def listen(engine: Engine, wake: Callable[[], None], stop: threading.Event) -> threading.Thread | None:
    """A daemon thread that calls ``wake`` for every notification until ``stop`` is set; None on SQLite.
    A lost connection is opened again after a second (the worker's poll covers the gap)."""
    if engine.dialect.name != "postgresql":
        return None

    def loop() -> None:
        lost = False  # said once per outage, not once a second while the database is away
        while not stop.is_set():
            try:
                raw = engine.raw_connection()
                try:
                    driver = raw.driver_connection
                    assert driver is not None
                    driver.autocommit = True
                    driver.execute(f"LISTEN {CHANNEL}")
                    if lost:
                        log.info("outbox listener listens again")
                        lost = False
                    wake()  # anything queued while no one listened
                    while not stop.is_set():
                        for _ in driver.notifies(timeout=1.0):
                            wake()
                finally:
                    raw.invalidate()  # a listening connection never goes back to the pool
            except Exception as exc:
                if not lost:
                    log.warning("outbox listener lost its connection (%s); the poll covers the gap",
                                type(exc).__name__)
                lost = True
                time.sleep(1)

    thread = threading.Thread(target=loop, name="kabinet-outbox-listen", daemon=True)
    thread.start()
    return thread
