"""Where a step runs (issue 12, ``kabinet.web.steps``): on PostgreSQL in a greenlet of the event loop over psycopg's
async connection, on SQLite in the thread pool; Argon2 never on the loop; and the locks still decide races between
steps interleaved in one loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.util.concurrency import in_greenlet

from kabinet.audit.events import Meta
from kabinet.demo import PHONE, seed
from kabinet.domain.errors import KabinetError
from kabinet.flows.access import sign_in
from kabinet.flows.shared import challenges
from kabinet.security import passwords
from tests.integration.helpers import demo_citizen
from tests.secrets import code_of

PASSWORD = "demo-password-1"
META = Meta(ip="127.0.0.1")


def test_a_request_runs_its_statements_where_its_store_belongs(client, kb, sms, mail):
    ivan = demo_citizen(client, kb, sms, mail)
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
