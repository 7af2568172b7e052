"""`kabinet worker` processes are woken across processes when a request queues a message (PostgreSQL's
LISTEN/NOTIFY), only when it commits; on SQLite there is no channel and the in-process waker serves."""

from __future__ import annotations

import threading

from kabinet.bootstrap import Kabinet
from kabinet.store.models import Outbox
from kabinet.store.wakeups import listen


class Rollback(Exception):
    pass


def queue_code(kb: Kabinet, key: str, *, commit: bool) -> None:
    now = kb.clock.now()
    try:
        with kb.store.write() as db:
            db.add(Outbox(channel="sms", destination="+79001234567", template="code", locale="ru", data={},
                          next_attempt_at=now, idempotency_key=key, created_at=now))
            db.flush()
            if not commit:
                raise Rollback
    except Rollback:
        pass


def test_a_committed_message_wakes_a_listening_worker_and_a_rolled_back_one_does_not(kb: Kabinet) -> None:
    woken, stop = threading.Event(), threading.Event()
    thread = listen(kb.store.engine, woken.set, stop)
    if kb.store.engine.dialect.name != "postgresql":
        assert thread is None  # SQLite: one process, the in-process waker and the poll
        return
    try:
        assert woken.wait(10), "the listener says so once it listens"
        woken.clear()
        queue_code(kb, "wake-1", commit=False)
        assert not woken.wait(1.5), "a rolled-back transaction notified"
        queue_code(kb, "wake-2", commit=True)
        assert woken.wait(10), "a committed message did not wake the worker"
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_one_notification_per_transaction_however_many_rows(kb: Kabinet) -> None:
    calls: list[int] = []
    stop = threading.Event()
    thread = listen(kb.store.engine, lambda: calls.append(1), stop)
    if kb.store.engine.dialect.name != "postgresql":
        assert thread is None
        return
    rows = 3
    try:
        for _ in range(100):
            if calls:
                break
            stop.wait(0.1)
        calls.clear()
        now = kb.clock.now()
        with kb.store.write() as db:
            for i in range(rows):
                db.add(Outbox(channel="sms", destination="+79001234567", template="code", locale="ru", data={},
                              next_attempt_at=now, idempotency_key=f"many-{i}", created_at=now))
                db.flush()
        for _ in range(100):
            if calls:
                break
            stop.wait(0.1)
        stop.wait(1)
        assert calls == [1]
    finally:
        stop.set()
        thread.join(5)
