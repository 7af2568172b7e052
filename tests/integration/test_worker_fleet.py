"""Outbox workers as members of a fleet (issue 22): each beats (and ``/metrics`` shows it), a slow receiver's message
stays with the worker sending it while it beats, a worker told to stop hands back what it could not send (due at
once for another, not after a lease), and the periodic jobs run once per fleet however many workers ask."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from kabinet.delivery import worker
from kabinet.delivery.outbox import enqueue
from kabinet.store import fleet
from kabinet.store.models import FleetTask, Outbox, WorkerBeat


def queue_letter(kb, to: str) -> int:
    with kb.store.write() as db:
        return enqueue(db, now=kb.clock.now(), channel="email", destination=to, template="test_notification",
                       locale="ru", data={"account_name": "Тестов Тест"})


def outbox_row(kb, row_id: int) -> Outbox:
    with kb.store.read() as db:
        return db.get(Outbox, row_id)


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@contextmanager
def running(courier, name: str) -> Iterator[threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(worker.run(courier, stop, name)), daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        courier.wake.set()
        thread.join(courier.graceful_s + 10)
        assert not thread.is_alive(), "the worker did not stop within its bound"


def beat_row(kb, name: str) -> WorkerBeat | None:
    with kb.store.read() as db:
        return db.get(WorkerBeat, name)


def test_a_worker_beats_metrics_show_its_age_and_a_clean_stop_removes_it(kb, client, mail):
    with running(kb.courier, "box-a:101"):
        wait_for(lambda: beat_row(kb, "box-a:101") is not None)
        scraped = client.get("/metrics").text
        assert 'kabinet_worker_last_beat_age_seconds{worker="box-a:101"} 0.0' in scraped
        assert 'kabinet_worker_in_flight{worker="box-a:101"} 0.0' in scraped
    assert beat_row(kb, "box-a:101") is None


def test_a_slow_receivers_message_stays_with_its_worker_while_it_beats(kb, mail, clock, monkeypatch):
    monkeypatch.setattr(worker, "BEAT_EVERY_S", 0.1)
    mail.stall_s = 2.0
    row_id = queue_letter(kb, "slow@example.org")
    with running(kb.courier, "box-a:102"):
        wait_for(lambda: outbox_row(kb, row_id).attempts == 1)
        first_lease = outbox_row(kb, row_id).next_attempt_at
        clock.advance(seconds=worker.LEASE.total_seconds() + 5)  # past the first lease: only the beats keep it
        wait_for(lambda: outbox_row(kb, row_id).next_attempt_at > first_lease + worker.LEASE)
        assert worker.claim(kb.courier) == []  # another worker finds nothing to take
        wait_for(lambda: outbox_row(kb, row_id).state == "sent")
    assert len(mail.to("slow@example.org")) == 1


def test_a_stopping_worker_hands_back_what_it_could_not_send_and_another_sends_it_once(kb, mail):
    mail.stall_s = 30.0  # longer than the stop bound
    row_id = queue_letter(kb, "handed-back@example.org")
    quick = dataclasses.replace(kb.courier, graceful_s=0.3)
    with running(quick, "box-a:103"):
        wait_for(lambda: outbox_row(kb, row_id).attempts == 1)
    row = outbox_row(kb, row_id)
    assert (row.state, row.attempts) == ("queued", 0), "the attempt it never finished is not counted"
    assert row.next_attempt_at <= kb.clock.now(), "due at once, not after the lease"
    assert beat_row(kb, "box-a:103") is None
    mail.stall_s = 0
    assert worker.drain(kb.courier) == 1
    assert outbox_row(kb, row_id).state == "sent"
    assert len(mail.to("handed-back@example.org")) == 1


def test_periodic_jobs_run_once_per_fleet_however_many_workers_ask(kb, clock):
    with kb.store.write() as db:
        db.merge(FleetTask(name="purge", due_at=clock.now()))
    taken: list[str] = []
    barrier = threading.Barrier(6)

    def ask(name: str) -> None:
        barrier.wait()
        for _ in range(20):  # another step's lock: asked again, as the next beat would
            try:
                with kb.store.write() as db:
                    if fleet.take(db, "purge", clock.now(), worker.PURGE_EVERY, name):
                        taken.append(name)
                return
            except Exception:
                time.sleep(0.05)

    threads = [threading.Thread(target=ask, args=(f"box-{i}:1",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(taken) == 1
    with kb.store.read() as db:
        task = db.get(FleetTask, "purge")
        assert task.holder == taken[0] and task.due_at == clock.now() + worker.PURGE_EVERY
    clock.advance(hours=1)
    with kb.store.write() as db:
        assert fleet.take(db, "purge", clock.now(), worker.PURGE_EVERY, "box-9:1")  # due again an hour on


def test_a_lost_job_row_is_taken_back_by_one_worker(kb, clock):
    with kb.store.write() as db:
        db.execute(FleetTask.__table__.delete())
    with kb.store.write() as db:
        assert fleet.take(db, "chain_check", clock.now(), worker.CHAIN_CHECK_EVERY, "box-1:1")
    with kb.store.write() as db:
        assert not fleet.take(db, "chain_check", clock.now(), worker.CHAIN_CHECK_EVERY, "box-2:1")
        assert db.scalars(select(FleetTask.holder).where(FleetTask.name == "chain_check")).one() == "box-1:1"


def test_a_lost_job_row_asked_for_by_many_workers_at_once_is_taken_by_one_and_fails_none(kb, clock):
    """Workers of a fleet started together (``serve --workers N`` forks them in the same instant) on a store without
    the row: each beat's transaction must succeed — one takes the job, the others are told no, none gets an error
    (on PostgreSQL the losing inserts met the primary key and the whole beat failed)."""
    with kb.store.write() as db:
        db.execute(FleetTask.__table__.delete())
    taken: list[str] = []
    failed: list[str] = []
    barrier = threading.Barrier(6)

    def ask(name: str) -> None:
        barrier.wait()
        try:
            with kb.store.write() as db:
                if fleet.take(db, "chain_check", clock.now(), worker.CHAIN_CHECK_EVERY, name):
                    taken.append(name)
        except Exception as exc:
            failed.append(f"{name}: {type(exc).__name__}")

    threads = [threading.Thread(target=ask, args=(f"box-{i}:1",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failed == [] and len(taken) == 1, (failed, taken)
