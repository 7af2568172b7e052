"""The signed-in HTML contact page measured piece by piece, in one process, with no network and no driver: the ASGI
app is called directly (the same app ``kabinet serve`` runs), so what is left is Kabinet's own code and its
framework. Prints the CPU of one page and, with ``--profile``, a cProfile of where it goes.

usage: python -m bench.page [--pages 3000] [--profile] [--path /settings/contacts]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import tempfile
import time
import uuid


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
                          password_hash=hash_password("Kabinet-Bench-Passw0rd-2026"), created_at=now)
        db.add(account)
        for kind, value in (("phone", "+79010000001"), ("email", "user1@example.org"),
                            ("email", "user1@mail.ru")):
            db.add(Contact(account_id=account.id, kind=kind, value=value, display=value, verified_at=now,
                           is_primary=value != "user1@mail.ru", sign_in=True, recovery=True, created_at=now))
        token, _ = sessions.open_session(db, kb.hasher, account_id=account.id, meta=Meta(ip="127.0.0.1"),
                                         method="password+sms", now=now)
    return create_app(kb), token


async def call(app, path: str, cookie: str) -> tuple[int, int]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"kabinet-bench/1"), (b"cookie", cookie.encode())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {}}
    status, size = 0, 0

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            size += len(message.get("body", b""))

    await app(scope, receive, send)
    return status, size


async def run(pages: int, profile: bool, path: str) -> None:
    with tempfile.TemporaryDirectory(prefix="kabinet-page.") as data:
        app, token = build(data)
        cookie = f"kabinet_session={token}"
        async with _lifespan(app):
            status, size = await call(app, path, cookie)
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
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(45)
            print(out.getvalue())


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
    ap.add_argument("--pages", type=int, default=3000)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--path", default="/settings/contacts")
    args = ap.parse_args()
    asyncio.run(run(args.pages, args.profile, args.path))


if __name__ == "__main__":
    main()
