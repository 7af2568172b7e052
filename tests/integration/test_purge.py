"""Purging what served its purpose (issue 8): an unconfirmed registration's password hash does not stay."""

from __future__ import annotations

from sqlalchemy import func, select

from kabinet.flows.access import registration
from kabinet.flows.recovery import lost_everything, password_reset
from kabinet.store.models import Challenge, IdentityRequest, Recovery
from kabinet.store.purge import purge
from tests.integration.helpers import META


def count(kb, model) -> int:
    with kb.store.read() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_expired_challenges_and_recoveries_go_and_requests_expire(kb, clock):
    registration.start(kb.ctx, META, phone="+79165550101", password="a long enough secret", full_name="Тестов Тест")
    password_reset.start(kb.ctx, META, login="+79165550102")
    lost_everything.request(kb.ctx, META, snils="112-233-445 95", passport="45 08 123456", birth_date="1985-04-12",
                            phone="+79165550103")
    assert purge(kb.store, clock.now()).challenges == 0  # nothing is old yet
    assert count(kb, Challenge) == 2 and count(kb, Recovery) == 1
    clock.advance(days=1, minutes=16)
    done = purge(kb.store, clock.now())
    assert (done.challenges, done.recoveries, done.requests_expired) == (2, 1, 0)
    assert count(kb, Challenge) == 0 and count(kb, Recovery) == 0
    clock.advance(days=30)
    assert purge(kb.store, clock.now()).requests_expired == 1
    with kb.store.read() as db:
        assert db.scalars(select(IdentityRequest)).one().state == "expired"


def test_the_worker_walks_every_history_chain_on_schedule_and_logs_a_break(kb, clock, caplog):
    import asyncio
    import threading

    from sqlalchemy import update

    from kabinet.delivery import worker
    from kabinet.demo import seed
    from kabinet.store.models import Event, FleetTask

    seed(kb, "demo-password-1")
    assert worker.check_chains(kb.courier) == 0
    with kb.store.write() as db:
        db.execute(update(Event).where(Event.seq == 1).values(type="account:edited"))
        db.merge(FleetTask(name="chain_check", due_at=clock.now()))  # due at once for this run
    stop = threading.Event()
    with caplog.at_level("ERROR", logger="kabinet.worker"):
        thread = threading.Thread(target=lambda: asyncio.run(worker.run(kb.courier, stop)))
        try:
            thread.start()
            for _ in range(100):
                if "history chain broken" in caplog.text:
                    break
                threading.Event().wait(0.05)
        finally:
            stop.set()
            kb.courier.wake.set()
            thread.join(10)
    assert "history chain broken" in caplog.text and "at event 1" in caplog.text
