"""Where a step runs (issue 12, ``kabinet.web.steps``): on PostgreSQL in a greenlet of the event loop over psycopg's
async connection, on SQLite in the thread pool; Argon2 never on the loop; and the locks still decide races between
steps interleaved in one loop."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.util.concurrency import greenlet_spawn, in_greenlet

from kabinet import bootstrap
from kabinet.demo import PHONE, seed
from kabinet.domain.errors import KabinetError, RateLimited
from kabinet.flows.access import sign_in
from kabinet.flows.shared import challenges
from kabinet.security import passwords
from kabinet.security.ratelimit import RateLimiter
from kabinet.store.db import lock_account
from kabinet.store.models import Contact
from kabinet.web.app import THREADS, create_app
from tests.integration.helpers import META, PASSWORD, demo_citizen
from tests.secrets import code_of

REDIS_URL = os.environ.get("KABINET_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_a_request_runs_its_statements_where_its_store_belongs(client, kb, sms, mail, ivan):
    seen: list[tuple[bool, bool, int]] = []

    def record(conn, _cursor, _statement, _params, _context, _many) -> None:
        seen.append((conn.dialect.is_async, in_greenlet(), threading.get_ident()))

    for engine in kb.store.engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        assert ivan.get("/api/v1/contacts").status_code == 200
        assert ivan.post("/api/v1/contacts", {"kind": "email", "value": "ivan.loop@example.org"}).status_code == 201
    finally:
        for engine in kb.store.engines:
            event.remove(engine, "before_cursor_execute", record)
    assert seen
    if kb.store.loop_engine is not None:  # PostgreSQL: every statement in a greenlet of the one loop thread
        assert all(is_async for is_async, _, _ in seen)
        assert all(greenlet for _, greenlet, _ in seen)
        assert len({thread for _, _, thread in seen}) == 1
    else:  # SQLite: the read in the loop, the write in a pool thread; no greenlets
        assert not any(is_async for is_async, _, _ in seen)
        assert not any(greenlet for _, greenlet, _ in seen)
        assert len({thread for _, _, thread in seen}) == 2


def test_a_page_that_only_reads_is_shown_without_a_thread_hop_and_a_write_there_is_refused(client, kb, sms, mail, ivan):
    """Pages marked ``reads_only`` (issue 25): on SQLite the whole page — session, contacts, template — is made in
    the event loop's own thread, as the JSON read is; a write inside such a step would hold the loop on the
    database's lock, so it fails loudly instead (on PostgreSQL the step is a greenlet of the loop either way)."""
    threads: list[int] = []

    def record(*_args: object) -> None:
        threads.append(threading.get_ident())

    for engine in kb.store.engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/settings/contacts", headers={"Cookie": f"kabinet_session={ivan.token}"})
    finally:
        for engine in kb.store.engines:
            event.remove(engine, "before_cursor_execute", record)
    assert page.status_code == 200 and "contact__value" in page.text
    assert threads and len(set(threads)) == 1  # the session and the list: one thread, no hop

    def writes() -> None:
        with kb.store.write() as db:
            db.execute(select(Contact.id).limit(1))

    async def main() -> None:
        await kb.store.run_read(writes)

    if kb.store.reads_inline:  # SQLite (on PostgreSQL run_read is run: a greenlet, where a write may wait)
        try:
            asyncio.run(main())
        except RuntimeError as exc:
            assert "read-only" in str(exc)
        else:
            raise AssertionError("a write inside a read-only step ran in the event loop")


def test_a_password_is_hashed_off_the_loop_even_when_the_step_runs_in_it(kb, monkeypatch):
    hashed_on: list[int] = []
    real = passwords._hash

    def recording(password: str) -> str:
        hashed_on.append(threading.get_ident())
        return real(password)

    monkeypatch.setattr(passwords, "_hash", recording)

    async def main() -> int:
        await kb.store.run(passwords.hash_password, "a-long-password-1")
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert len(hashed_on) == 1 and hashed_on[0] != loop_thread


def race_in_one_loop(kb, *calls: Callable[[], object]) -> list[str]:
    """The calls as steps of one event loop at once (``Store.run``): greenlets interleaved at every round trip on
    PostgreSQL, pool threads on SQLite; each outcome "ok" or the domain error's code."""

    async def one(call: Callable[[], object]) -> str:
        try:
            await kb.store.run(call)
            return "ok"
        except KabinetError as exc:
            return exc.code

    async def main() -> list[str]:
        return sorted(await asyncio.gather(*(one(c) for c in calls)))

    return asyncio.run(main())


def test_one_code_confirmed_twice_by_steps_of_one_loop_opens_one_session(kb):
    seed(kb, PASSWORD)
    for n in range(6):
        ch = sign_in.start(kb.ctx, META, login=PHONE, password=PASSWORD)
        code = code_of(kb, str(ch.id))
        outcomes = race_in_one_loop(kb, *[lambda: challenges.confirm(kb.ctx, META, str(ch.id), code, None)] * 3)
        assert outcomes == ["challenge.used", "challenge.used", "ok"], f"round {n}: {outcomes}"


class WaitingWriters:
    """Counts the steps that have asked for the write lock (PostgreSQL: the account row ``FOR UPDATE``; SQLite:
    ``BEGIN IMMEDIATE``) while the block runs."""

    def __init__(self, kb) -> None:
        self.kb, self.count = kb, 0

    def _seen(self, _conn, _cursor, statement, _params, _context, _many) -> None:
        if "BEGIN IMMEDIATE" in statement or ("FROM account" in statement and "FOR UPDATE" in statement):
            self.count += 1

    def __enter__(self) -> WaitingWriters:
        for engine in self.kb.store.engines:
            event.listen(engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        for engine in self.kb.store.engines:
            event.remove(engine, "before_cursor_execute", self._seen)


def test_the_worker_keeps_answering_while_more_steps_than_threads_wait_on_a_lock(client, kb, sms, mail, ivan):
    """Writes queue on the citizen's account lock, more of them than the thread pool has threads: a read must still
    be answered meanwhile. On PostgreSQL the waiting steps are greenlets, not threads (before, they held all eight
    threads and the read waited for the lock too); on SQLite the read runs in the loop while writers wait in
    threads."""
    answers: list[int] = []

    def add(n: int) -> None:
        answers.append(ivan.post("/api/v1/contacts", {"kind": "email", "value": f"w{n}@example.org"}).status_code)

    read: list[int] = []
    waiting = WaitingWriters(kb)
    with kb.store.write() as db:
        lock_account(db, db.scalar(select(Contact.account_id).where(Contact.value == PHONE)))
        with waiting:
            writers = [threading.Thread(target=add, args=(n,)) for n in range(THREADS + 4)]
            for w in writers:
                w.start()
            deadline = time.monotonic() + 10
            while waiting.count < THREADS and time.monotonic() < deadline:  # every thread of the pool is taken
                time.sleep(0.02)
        reader = threading.Thread(target=lambda: read.append(ivan.get("/api/v1/contacts").status_code))
        reader.start()
        reader.join(20)
        answered_while_locked = not reader.is_alive() and answers == []
    for w in [*writers, reader]:
        w.join(30)
    assert answered_while_locked and read == [200]
    assert len(answers) == THREADS + 4 and all(code < 500 for code in answers), answers


def test_a_step_that_waits_out_the_lock_timeout_answers_try_again(settings, clock, mail, sms):
    """A step waits for another's lock at most ``KABINET_LOCK_TIMEOUT_S`` (PostgreSQL's lock_timeout, SQLite's busy
    timeout), then answers "this has just changed, try again" (409) instead of a 500 or an endless wait that holds
    a pooled connection; once the lock is free the same step goes through."""
    kb = bootstrap.build(settings.model_copy(update={"lock_timeout_s": 0.5}), clock=clock)
    try:
        with TestClient(create_app(kb), base_url="http://testserver") as client:
            ivan = demo_citizen(client, kb, sms, mail)
            new = {"kind": "email", "value": "ivan.waits@example.org"}
            with kb.store.write() as db:
                lock_account(db, db.scalar(select(Contact.account_id).where(Contact.value == PHONE)))
                waited = ivan.post("/api/v1/contacts", new)
            assert waited.status_code == 409 and waited.json()["code"] == "conflict", waited.text
            assert ivan.post("/api/v1/contacts", new).status_code == 201
    finally:
        kb.store.dispose()


def test_redis_rate_limits_from_a_step_in_the_loop_count_in_a_thread(monkeypatch):
    """A step in the event loop (PostgreSQL) reaches Redis through the blocking client in the thread pool, never on
    the loop's own thread, and the counts hold as anywhere else."""
    limiter = RateLimiter(REDIS_URL, rules={"sign_in.login": "2/minute"})
    limiter.reset()
    called_on: list[int] = []
    real = limiter._hit

    def recording(counter, rule: str, key: str) -> None:
        called_on.append(threading.get_ident())
        real(counter, rule, key)

    monkeypatch.setattr(limiter, "_hit", recording)

    def step() -> str:
        limiter.hit("sign_in.login", "ivan@mail.ru")
        limiter.hit("sign_in.login", "ivan@mail.ru")
        try:
            limiter.hit("sign_in.login", "ivan@mail.ru")
        except RateLimited:
            return "refused"
        return "let through"

    async def main() -> tuple[str, int]:
        return await greenlet_spawn(step), threading.get_ident()

    try:
        outcome, loop_thread = asyncio.run(main())
    finally:
        limiter.reset()
    assert outcome == "refused"
    assert len(called_on) == 3 and loop_thread not in called_on
