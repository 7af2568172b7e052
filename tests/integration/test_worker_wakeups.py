"""Workers are woken when a step queues a message due now, only when it commits: `kabinet worker` processes across
processes (PostgreSQL's LISTEN/NOTIFY), the in-process worker by the store's after-commit hook (on SQLite, with no
channel between processes, that and the poll are all there is). Messages are queued as ``enqueue`` queues them:
plain INSERTs, no ORM objects for a flush hook to see (issue 25)."""

from __future__ import annotations

import threading
from datetime import timedelta

from kabinet.bootstrap import Kabinet
from kabinet.delivery.outbox import enqueue
from kabinet.store.wakeups import listen


class Rollback(Exception):
    pass


def queue_code(kb: Kabinet, *, commit: bool, rows: int = 1, delay: timedelta | None = None) -> None:
    now = kb.clock.now()
    try:
        with kb.store.write() as db:
            for _ in range(rows):
                enqueue(db, now=now, channel="sms", destination="+79001234567", template="code", locale="ru",
                        data={}, delay=delay)
            if not commit:
                raise Rollback
    except Rollback:
        pass


def in_process_waker(kb: Kabinet) -> threading.Event:
    """What the in-process worker's waker is told, as an event a test can wait on."""
    told = threading.Event()
    real = kb.courier.wake.set

    def set_() -> None:
        told.set()
        real()

    kb.courier.wake.set = set_  # type: ignore[method-assign]
    return told


def test_a_committed_message_wakes_the_workers_and_a_rolled_back_one_does_not(kb: Kabinet) -> None:
    here = in_process_waker(kb)
    woken, stop = threading.Event(), threading.Event()
    thread = listen(kb.store.engine, woken.set, stop)
    postgres = kb.store.engine.dialect.name == "postgresql"
    assert (thread is not None) == postgres  # SQLite: one process, no channel
    try:
        if postgres:
            assert woken.wait(10), "the listener says so once it listens"
            woken.clear()
        queue_code(kb, commit=False)
        assert not here.wait(0.5), "a rolled-back transaction woke the in-process worker"
        assert not woken.wait(1.0 if postgres else 0), "a rolled-back transaction notified"
        queue_code(kb, commit=True)
        assert here.wait(2), "a committed message did not wake the in-process worker"
        if postgres:
            assert woken.wait(10), "a committed message did not wake a `kabinet worker`"
    finally:
        stop.set()
        if thread is not None:
            thread.join(5)
            assert not thread.is_alive()


def test_one_notification_per_transaction_however_many_rows_and_none_for_a_notice_that_waits(kb: Kabinet) -> None:
    calls: list[int] = []
    here = in_process_waker(kb)
    stop = threading.Event()
    thread = listen(kb.store.engine, lambda: calls.append(1), stop)
    postgres = kb.store.engine.dialect.name == "postgresql"
    try:
        if postgres:
            for _ in range(100):
                if calls:
                    break
                stop.wait(0.1)
            assert calls, "the listener says so once it listens"
            calls.clear()
        queue_code(kb, commit=True, delay=timedelta(seconds=3))  # a notice waiting for the next change to join it
        assert not here.wait(0.5), "a message not due yet woke the in-process worker"
        if postgres:
            stop.wait(1)
            assert calls == [], "a message not due yet notified"
        queue_code(kb, commit=True, rows=3)
        assert here.wait(2)
        if postgres:
            for _ in range(100):
                if calls:
                    break
                stop.wait(0.1)
            stop.wait(1)
            assert calls == [1]
    finally:
        stop.set()
        if thread is not None:
            thread.join(5)
