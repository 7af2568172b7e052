"""The signed-in HTML contact page — or, with ``--sign-in``, a sign-in's two steps, or with ``--cycle`` the contact
cycle of ``bench.walk`` (add an address, follow its link, make it primary, remove the old one with an SMS code, and
the two list reads between) — measured in one process, with no network and no driver: the ASGI app is called
directly (the same app ``kabinet serve`` runs), so what is left is Kabinet's own code and its framework. Prints the
CPU of one page (of the calling thread) or of one sign-in or cycle (of the whole process: the step threads and the
Argon2 lane included); ``--profile`` adds a cProfile of where it goes. The outbox is off: the messages a step queues
are written, not sent (``bench.walk`` measures the sending).

usage: python -m bench.page [--pages N (3000)] [--profile] [--path /settings/contacts]
       python -m bench.page --sign-in [--pages N (300)] [--profile]
       python -m bench.page --cycle [--pages N (300)] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import tempfile
import time
import uuid

PHONE, PASSWORD, CODE = "+79010000001", "Kabinet-Bench-Passw0rd-2026", "246810"


def build(data: str):
    os.environ.update({"KABINET_DATA_DIR": data, "KABINET_DEV": "0", "KABINET_RATE_LIMITS": "0",
                       "KABINET_OUTBOX": "off", "KABINET_ACCESS_LOG": "0", "KABINET_BASE_URL": "http://127.0.0.1"})
    from kabinet import bootstrap
    from kabinet.audit.events import Meta
    from kabinet.config import Settings
    from kabinet.security import sessions
    from kabinet.security.passwords import hash_password
    from kabinet.store.migrate import upgrade
    from kabinet.store.models import Account, Contact
    from kabinet.web.app import create_app

    kb = bootstrap.build(Settings())
    upgrade(kb.store.engine)
    now = kb.clock.now()
    with kb.store.write() as db:
        account = Account(id=uuid.uuid4(), level="standard", full_name="Тестов Тест", locale="ru",
                          password_hash=hash_password(PASSWORD), created_at=now)
        db.add(account)
        for kind, value in (("phone", PHONE), ("email", "user1@example.org"),
                            ("email", "user1@mail.ru")):
            db.add(Contact(account_id=account.id, kind=kind, value=value, display=value, verified_at=now,
                           is_primary=value != "user1@mail.ru", sign_in=True, recovery=True, created_at=now))
        token, _ = sessions.open_session(db, kb.hasher, account_id=account.id, meta=Meta(ip="127.0.0.1"),
                                         method="password+sms", now=now)
    return create_app(kb), token


async def call(app, path: str, cookie: str = "", body: dict | None = None,
               method: str | None = None) -> tuple[int, int, bytes]:
    payload = json.dumps(body).encode() if body is not None else b""
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"kabinet-bench/1")]
    headers += [(b"cookie", cookie.encode())] if cookie else []
    headers += [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())] \
        if body is not None else []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http",
             "method": method or ("POST" if body is not None else "GET"), "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {}}
    status, size, chunks = 0, 0, []

    async def receive():
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message):
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            size += len(message.get("body", b""))
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, size, b"".join(chunks)


async def sign_in(app) -> None:
    """From a browser the account knows (its device cookie): the common case, and the bench's (a new device's
    sign-in also queues a notice)."""
    device = "kabinet_device=bench-device-0000000001"
    status, _, answer = await call(app, "/api/v1/sign-in", device, {"login": PHONE, "password": PASSWORD})
    assert status == 202, (status, answer)
    challenge = json.loads(answer)["challenge"]["id"]
    status, _, answer = await call(app, f"/api/v1/challenges/{challenge}/confirm", device, {"code": CODE})
    assert status == 200, (status, answer)


async def cycle(app, cookie: str, i: int, links: list[str]) -> None:
    """``bench.walk``'s cycle: the address added in the cycle before is the one removed in this one."""

    async def ask(path: str, body: dict | None = None, method: str | None = None, expect: int = 200) -> dict:
        status, _, answer = await call(app, path, cookie, body, method)
        assert status == expect, (path, status, answer)
        return json.loads(answer) if answer else {}

    new = f"cycle.{i}@example.org"
    added = await ask("/api/v1/contacts", {"kind": "email", "value": new}, expect=201)
    await ask("/api/v1/contacts/verify", {"token": links[-1]})
    await ask(f"/api/v1/contacts/{added['contact']['id']}/primary", {})
    book = {c["value"]: c for c in (await ask("/api/v1/contacts"))["contacts"]}
    old = next(c for c in book.values() if c["kind"] == "email" and c["value"] != new)
    started = await ask(f"/api/v1/contacts/{old['id']}", method="DELETE", expect=202)
    await ask(f"/api/v1/challenges/{started['challenge']['id']}/confirm", {"code": CODE})
    assert old["value"] not in {c["value"] for c in (await ask("/api/v1/contacts"))["contacts"]}


async def run_cycle(count: int, profile: bool) -> None:
    from kabinet.flows.contacts import _new_contacts
    from kabinet.flows.shared import challenges

    challenges.new_code = lambda: CODE  # the bench reads no SMS: every code is this one
    links: list[str] = []

    def new_token() -> str:  # the bench reads no letters: it keeps each link's token as it is made
        links.append(uuid.uuid4().hex)
        return links[-1]

    _new_contacts.new_token = new_token
    with tempfile.TemporaryDirectory(prefix="kabinet-cycle.") as data:
        app, token = build(data)
        cookie = f"kabinet_session={token}"
        async with _lifespan(app):
            # one email of the two is removed in the first cycle; the warm cycles compile the statements
            for i in range(20):
                await cycle(app, cookie, i, links)
            profiler = cProfile.Profile() if profile else None
            t0 = time.process_time()
            if profiler:
                profiler.enable()
            for i in range(20, 20 + count):
                await cycle(app, cookie, i, links)
            if profiler:
                profiler.disable()
            spent = (time.process_time() - t0) / count
    print(f"contact cycle (7 requests; the messages queued, not sent): {1000 * spent:.2f} ms CPU a cycle over "
          f"{count} cycles" + (" (under cProfile: the event loop's thread only)" if profiler else ""))
    if profiler:
        _print(profiler)


async def run_sign_in(count: int, profile: bool) -> None:
    from kabinet.flows.shared import challenges
    from kabinet.security.passwords import hash_password, verify_password

    challenges.new_code = lambda: CODE  # the bench reads no SMS: every code is this one
    with tempfile.TemporaryDirectory(prefix="kabinet-sign-in.") as data:
        app, _ = build(data)
        async with _lifespan(app):
            for _ in range(20):
                await sign_in(app)
            stored = hash_password(PASSWORD)
            t0 = time.process_time()
            for _ in range(count):
                verify_password(stored, PASSWORD)
            argon2 = (time.process_time() - t0) / count
            profiler = cProfile.Profile() if profile else None
            t0 = time.process_time()
            if profiler:
                profiler.enable()
            for _ in range(count):
                await sign_in(app)
            if profiler:
                profiler.disable()
            spent = (time.process_time() - t0) / count
    print(f"sign-in (password, then the SMS code; the SMS queued, not sent): {1000 * spent:.2f} ms CPU, of which "
          f"Argon2 {1000 * argon2:.2f} ms: {1000 * (spent - argon2):.2f} ms beyond it, over {count} sign-ins"
          + (" (under cProfile)" if profiler else ""))
    if profiler:
        _print(profiler)


def _print(profiler: cProfile.Profile) -> None:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(45)
    print(out.getvalue())


async def run(pages: int, profile: bool, path: str) -> None:
    with tempfile.TemporaryDirectory(prefix="kabinet-page.") as data:
        app, token = build(data)
        cookie = f"kabinet_session={token}"
        async with _lifespan(app):
            status, size, _ = await call(app, path, cookie)
            assert status == 200, status
            for _ in range(300):  # warm: templates compiled, statements cached
                await call(app, path, cookie)
            profiler = cProfile.Profile() if profile else None
            t0 = time.thread_time()
            if profiler:
                profiler.enable()
            for _ in range(pages):
                await call(app, path, cookie)
            if profiler:
                profiler.disable()
            spent = time.thread_time() - t0
        print(f"{path}: {size} bytes, {1000 * spent / pages:.3f} ms CPU a page over {pages} pages"
              + (" (under cProfile)" if profiler else ""))
        if profiler:
            _print(profiler)


class _lifespan:
    """The app's startup and shutdown, as uvicorn runs them."""

    def __init__(self, app) -> None:
        self.app, self.queue = app, asyncio.Queue()

    async def __aenter__(self):
        self.sent: asyncio.Queue = asyncio.Queue()
        await self.queue.put({"type": "lifespan.startup"})
        self.task = asyncio.create_task(self.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                                 self.queue.get, self.sent.put))
        await self.sent.get()
        return self

    async def __aexit__(self, *exc):
        await self.queue.put({"type": "lifespan.shutdown"})
        await self.sent.get()
        await self.task


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=None, help="how many (default: 3000 pages, 300 sign-ins)")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--path", default="/settings/contacts")
    ap.add_argument("--sign-in", action="store_true", help="a sign-in's two steps instead of the page")
    ap.add_argument("--cycle", action="store_true", help="the contact cycle instead of the page")
    args = ap.parse_args()
    if args.cycle:
        asyncio.run(run_cycle(args.pages or 300, args.profile))
    elif args.sign_in:
        asyncio.run(run_sign_in(args.pages or 300, args.profile))
    else:
        asyncio.run(run(args.pages or 3000, args.profile, args.path))


if __name__ == "__main__":
    main()
