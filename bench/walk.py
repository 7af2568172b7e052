"""Load driver for Kabinet: the seed's walk over the JSON API, measured from outside, on the loopback only,
in the same phases as the django-allauth peer (``../shared/peers/allauth``) so the two can be set side by side.

The driver is also the outside world: a real SMTP server (aiosmtpd) and an SMS HTTP gateway receive what
Kabinet sends, and the simulated citizens read their codes and links from them.

Phases (bounded in time and count):
  signin  password + SMS code, a fresh client each time                                    -> sign-ins/s
  flow    (a) sign in (password + SMS code), (b) contact list, (c) add an address, (d) confirm it with the
          link from the letter, (e) make it primary, (f) remove the old one with an SMS code, (g) sign out -> flows/s
  cycle   signed-in clients repeat (c)-(f) with a new address each time                      -> cycles/s
  reads   GET /api/v1/contacts with a session, over kept-alive raw HTTP/1.1 (RawGet)            -> reads/s, p50/p95/p99

Each phase ends when the outbox has sent what it queued; its server CPU (web processes, a separate worker, and
PostgreSQL's processes, reported apart) is charged to it.

usage: python -m bench.walk --users 3000 --concurrency 16 --workers 2 --json out.json
       python -m bench.walk --database-url postgresql+psycopg://… --population 1000000 --round 1 --users 1000 \
           --workers 4 --outbox worker --json out.json          (a store filled by bench.population)
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
import uvloop
from aiosmtpd.controller import Controller

from bench.seed import PASSWORD, phone

CODE = re.compile(r"(?:Код подтверждения|confirmation code): (\d{6})")
LINK = re.compile(r"/verify-email\?token=([A-Za-z0-9_-]+)")
FLOW_STEPS = ("sign_in", "contacts", "add_email", "confirm", "make_primary", "remove_old", "sign_out")
CYCLE_STEPS = ("add_email", "confirm", "make_primary", "remove_old")
TICK = os.sysconf("SC_CLK_TCK")


class Inbox:
    """Messages per destination, handed from the sink threads to the driver's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queues: dict[str, asyncio.Queue[str]] = collections.defaultdict(asyncio.Queue)

    def put(self, to: str, text: str) -> None:
        self.loop.call_soon_threadsafe(self.queues[to].put_nowait, text)

    async def next(self, to: str, pattern: re.Pattern[str], timeout: float = 20) -> str:
        while True:
            text = await asyncio.wait_for(self.queues[to].get(), timeout)
            if match := pattern.search(text):
                return match.group(1)


def start_sinks(inbox: Inbox) -> tuple[str, str]:
    class Sms(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # a gateway keeps the connection alive (the stdlib default, 1.0, closes it)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            inbox.put(body["to"], body["text"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    sms = ThreadingHTTPServer(("127.0.0.1", 0), Sms)
    threading.Thread(target=sms.serve_forever, daemon=True).start()

    class Mail:
        async def handle_DATA(self, server, session, envelope):
            msg = message_from_bytes(envelope.content, policy=policy.default)
            body = msg.get_body(preferencelist=("plain",))
            for to in envelope.rcpt_tos:
                inbox.put(to, body.get_content() if body else "")
            return "250 OK"

    smtp_port = free_port()
    Controller(Mail(), hostname="127.0.0.1", port=smtp_port).start()
    return f"http://127.0.0.1:{sms.server_port}/sms", f"smtp://127.0.0.1:{smtp_port}"


class Failed(Exception):
    pass


class RawGet:
    """One kept-alive HTTP/1.1 connection sending the same GET again and again: the read phase's driver. httpx costs
    the driver ~1 ms of CPU a request, taken from the same two cores the server runs on (and tops out near 900
    requests/s against a hello-world); this is a write and two reads on an asyncio stream."""

    def __init__(self, base: str, path: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base)
        self.host, self.port, self.path, self.headers = parts.hostname or "127.0.0.1", parts.port or 80, path, headers
        self._build()

    def _build(self) -> None:
        lines = [f"GET {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}", "User-Agent: kabinet-bench/1",
                 *(f"{k}: {v}" for k, v in self.headers.items())]
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def keep_cookies(self) -> None:
        """One GET whose ``Set-Cookie``s (a page's CSRF cookie) join the request, as a browser keeps them."""
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        await self.reader.readexactly(int(length.group(1)) if length else 0)
        kept = [m.decode() for m in re.findall(rb"(?i)\r\nset-cookie: *([^;\r]+)", head)]
        if kept:
            self.headers = {**self.headers, "Cookie": "; ".join(filter(None, [self.headers.get("Cookie"), *kept]))}
            self._build()

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def get(self) -> tuple[int, bytes]:
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        if length is None:
            raise Failed("an answer without Content-Length")
        return int(head[9:12]), await self.reader.readexactly(int(length.group(1)))

    def close(self) -> None:
        self.writer.close()


class Citizen:
    def __init__(self, base: str, inbox: Inbox, lat: dict[str, list[float]]) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=30, headers={"User-Agent": "kabinet-bench/1"})
        self.inbox, self.lat, self.requests, self.token = inbox, lat, 0, ""

    async def call(self, method: str, path: str, json_body: object = None, expect: int = 200) -> dict:
        self.requests += 1
        r = await self.http.request(method, path, json=json_body)
        if r.status_code != expect:
            raise Failed(f"{method} {path.split('/')[3]}: {r.status_code} {r.text[:120]}")
        return r.json() if r.content else {}

    async def step(self, name: str, action) -> None:
        t0 = time.perf_counter()
        await action()
        self.lat[name].append(time.perf_counter() - t0)

    async def confirm_code(self, challenge: dict, to: str) -> dict:
        code = await self.inbox.next(to, CODE)
        answer = await self.call("POST", f"/api/v1/challenges/{challenge['id']}/confirm", {"code": code})
        self.token = answer.get("session_token") or self.token
        return answer

    async def sign_in(self, i: int) -> None:
        started = await self.call("POST", "/api/v1/sign-in", {"login": phone(i), "password": PASSWORD}, 202)
        await self.confirm_code(started["challenge"], phone(i))

    async def contacts(self) -> dict[str, dict]:
        return {c["value"]: c for c in (await self.call("GET", "/api/v1/contacts"))["contacts"]}

    async def add(self, address: str) -> str:
        return (await self.call("POST", "/api/v1/contacts", {"kind": "email", "value": address}, 201))["contact"]["id"]

    async def confirm_link(self, address: str) -> None:
        token = await self.inbox.next(address, LINK)
        await self.call("POST", "/api/v1/contacts/verify", {"token": token})

    async def remove(self, i: int, contact_id: str) -> None:
        started = await self.call("DELETE", f"/api/v1/contacts/{contact_id}", expect=202)
        await self.confirm_code(started["challenge"], phone(i))

    async def cycle(self, i: int, old: str, new: str) -> None:
        box: dict[str, str] = {}

        async def add() -> None:
            box["id"] = await self.add(new)

        await self.step("add_email", add)
        await self.step("confirm", lambda: self.confirm_link(new))
        await self.step("make_primary", lambda: self.call("POST", f"/api/v1/contacts/{box['id']}/primary"))

        async def remove_old() -> None:
            await self.remove(i, (await self.contacts())[old]["id"])
            if old in await self.contacts():
                raise Failed("old address still listed")

        await self.step("remove_old", remove_old)

    async def close(self) -> None:
        await self.http.aclose()


def pct(xs: list[float], p: float) -> float | None:
    ordered = sorted(xs)
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000, 2) if ordered else None


def stats(xs: list[float]) -> dict:
    return {"n": len(xs), "p50_ms": pct(xs, 50), "p95_ms": pct(xs, 95), "p99_ms": pct(xs, 99)}


def cpu_of_tree(pid: int) -> float:
    total = 0.0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    stack += [int(x) for x in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def rss_mb(pid: int) -> list[float]:
    """Resident memory of each process of the server tree, MB."""
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                out += [int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS")]
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    stack += [int(x) for x in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return [round(x, 1) for x in out]


def smaps(pid: int) -> dict[str, float]:
    """RSS, PSS (shared pages divided among the processes sharing them) and USS (pages of this process alone), MB."""
    fields: dict[str, float] = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
                fields[name] = int(rest.split()[0]) / 1024
    return {"rss": round(fields.get("Rss", 0), 1), "pss": round(fields.get("Pss", 0), 1),
            "uss": round(fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0), 1)}


def tree(pid: int) -> list[int]:
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    stack += [int(x) for x in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return out


def memory(args) -> dict:
    """Memory as a fleet pays it: every process of the server tree (supervisor, web workers, a separate outbox
    worker), and their PSS together divided by the web workers — shared code pages counted once."""
    processes = []
    for pid in [p for root in args.server_pids for p in tree(root)]:
        try:
            processes.append({"pid": pid, **smaps(pid)})
        except (FileNotFoundError, ProcessLookupError):
            continue
    return {"processes": processes, "web_workers": args.workers,
            "pss_per_worker_mb": round(sum(p["pss"] for p in processes) / args.workers, 1),
            "largest_rss_mb": max(p["rss"] for p in processes), "largest_uss_mb": max(p["uss"] for p in processes)}


def server_cpu(pids: list[int]) -> float:
    return sum(cpu_of_tree(pid) for pid in pids)


def database_cpu() -> float:
    """CPU of every PostgreSQL process on this machine (the bench's store is the only one busy during a run): with
    PostgreSQL part of a step's work is done there, and a comparison must not leave it out."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    head, fields = f.read().rsplit(")", 1)
            except (FileNotFoundError, ProcessLookupError):
                continue
            if head.endswith("(postgres"):
                fields_ = fields.split()
                total += (int(fields_[11]) + int(fields_[12])) / TICK
    return total


async def measured(args, body) -> tuple[dict, object]:
    """Wall time and the server's CPU (web processes and any ``kabinet worker``) for one phase, which ends when the
    outbox has sent everything the phase queued: the messages a phase causes are charged to it, not to the next."""
    t0, c0, d0 = time.perf_counter(), server_cpu(args.server_pids), database_cpu() if args.database_url else 0
    driver0 = time.process_time()
    result = await body()
    driver = time.process_time() - driver0  # this process: the clients, and the SMTP and SMS sinks
    active = time.perf_counter() - t0
    drain = await outbox_drained(args)
    wall, cpu = time.perf_counter() - t0, server_cpu(args.server_pids) - c0
    spent = {"wall_s": round(wall, 2), "active_s": round(active, 2), "drain_s": drain["drain_s"],
             "left": drain["left"], "server_cpu_s": round(cpu, 2), "driver_cpu_s": round(driver, 2)}
    if args.database_url:
        spent["database_cpu_s"] = round(database_cpu() - d0, 2)
    return spent, result


async def phase_signin(args, inbox: Inbox, users: list[int]) -> dict:
    lat: dict[str, list[float]] = collections.defaultdict(list)
    errors: collections.Counter[str] = collections.Counter()
    queue = collections.deque(users)
    deadline = time.perf_counter() + args.signin_seconds

    async def worker() -> None:
        while queue and time.perf_counter() < deadline:
            c = Citizen(args.base, inbox, lat)
            i = queue.popleft()
            try:
                await c.step("sign_in", lambda: c.sign_in(i))  # noqa: B023
            except (Failed, httpx.HTTPError, TimeoutError) as exc:
                errors[str(exc)[:80]] += 1
            finally:
                await c.close()

    cpu, _ = await measured(args, lambda: asyncio.gather(*(worker() for _ in range(args.concurrency))))
    done = len(lat["sign_in"])
    return {"completed": done, "per_s": round(done / cpu["active_s"], 2), "latency": stats(lat["sign_in"]),
            "server_cpu_ms_per_signin": round(1000 * cpu["server_cpu_s"] / max(done, 1), 1), "errors": dict(errors),
            "cpu": cpu}


async def phase_flow(args, inbox: Inbox, users: list[int]) -> dict:
    lat: dict[str, list[float]] = collections.defaultdict(list)
    errors: collections.Counter[str] = collections.Counter()
    queue, done, requests = collections.deque(users), [0], [0]
    deadline = time.perf_counter() + args.flow_seconds

    async def one(i: int) -> None:
        c = Citizen(args.base, inbox, lat)
        try:
            await c.step("sign_in", lambda: c.sign_in(i))
            await c.step("contacts", c.contacts)
            await c.cycle(i, f"user{i}@example.org", f"user{i}.new@example.net")
            await c.step("sign_out", lambda: c.call("POST", "/api/v1/sign-out", expect=204))
            done[0] += 1
        except (Failed, httpx.HTTPError, TimeoutError) as exc:
            errors[str(exc)[:80]] += 1
        finally:
            requests[0] += c.requests
            await c.close()

    async def worker() -> None:
        while queue and time.perf_counter() < deadline:
            await one(queue.popleft())

    cpu, _ = await measured(args, lambda: asyncio.gather(*(worker() for _ in range(args.concurrency))))
    return {"completed": done[0], "per_s": round(done[0] / cpu["active_s"], 2),
            "requests_per_s": round(requests[0] / cpu["active_s"], 1),
            "server_cpu_ms_per_flow": round(1000 * cpu["server_cpu_s"] / max(done[0], 1), 1),
            "steps": {s: stats(lat[s]) for s in FLOW_STEPS}, "errors": dict(errors), "cpu": cpu}


async def phase_cycle_and_reads(args, inbox: Inbox, users: list[int]) -> tuple[dict, dict, dict]:
    lat: dict[str, list[float]] = collections.defaultdict(list)
    errors: collections.Counter[str] = collections.Counter()
    citizens = []
    for i in users:
        c = Citizen(args.base, inbox, collections.defaultdict(list))
        await c.sign_in(i)
        c.lat = lat
        citizens.append((i, c))
    count = [0]
    deadline = time.perf_counter() + args.cycle_seconds

    async def loop(i: int, c: Citizen) -> None:
        current, n = f"user{i}@example.org", 0
        while time.perf_counter() < deadline and n < 2000:
            new = f"c{i}.{n}@example.net"
            try:
                await c.cycle(i, current, new)
            except (Failed, httpx.HTTPError, TimeoutError) as exc:
                errors[str(exc)[:80]] += 1
                return
            current, n = new, n + 1
            count[0] += 1

    cpu, _ = await measured(args, lambda: asyncio.gather(*(loop(i, c) for i, c in citizens)))
    cycle = {"completed": count[0], "per_s": round(count[0] / cpu["active_s"], 2),
             "server_cpu_ms_per_cycle": round(1000 * cpu["server_cpu_s"] / max(count[0], 1), 1),
             "steps": {s: stats(lat[s]) for s in CYCLE_STEPS}, "errors": dict(errors), "cpu": cpu}

    readers = [c for _, c in citizens] * max(1, args.read_clients // len(citizens))
    reads = await phase_reads(args, readers, "/api/v1/contacts", lambda c: {"Authorization": f"Bearer {c.token}"},
                              b'"contacts":[{')
    # What a citizen opens: the contact page itself, by its session cookie (the peer's read is its email page)
    page = await phase_reads(args, readers, "/settings/contacts", lambda c: {"Cookie": f"kabinet_session={c.token}"},
                             b'class="contact__value"', args.page_seconds)
    for _, c in citizens:
        await c.close()
    return cycle, reads, page


async def phase_reads(args, readers: list[Citizen], path: str, headers, marker: bytes,
                      seconds: float | None = None) -> dict:
    """Signed-in GETs of ``path`` by every reader at once for ``--read-seconds``; a read counts when its answer
    holds ``marker`` (the citizen's contacts, not a sign-in page)."""
    reads: list[float] = []
    size = [0]
    errors: collections.Counter[str] = collections.Counter()
    deadline = time.perf_counter() + (args.read_seconds if seconds is None else seconds)

    async def read_loop(c: Citizen) -> None:
        conn = RawGet(args.base, path, headers(c))
        await conn.open()
        await conn.keep_cookies()
        try:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                status, body = await conn.get()
                if status == 200 and marker in body:
                    reads.append(time.perf_counter() - t0)
                    size[0] = len(body)
                else:
                    errors[f"http-{status}"] += 1
        finally:
            conn.close()

    cpu, _ = await measured(args, lambda: asyncio.gather(*(read_loop(c) for c in readers)))
    return {"path": path, "bytes": size[0], "clients": len(readers), "completed": len(reads),
            "per_s": round(len(reads) / cpu["active_s"], 1), "latency": stats(reads),
            "server_cpu_ms_per_read": round(1000 * cpu["server_cpu_s"] / max(len(reads), 1), 2),
            "driver_cpu_ms_per_read": round(1000 * cpu["driver_cpu_s"] / max(len(reads), 1), 3),
            "errors": dict(errors), "cpu": cpu}


def problems(log_path: str) -> dict[str, int]:
    """Warnings and errors the server logged, counted by message (a failed delivery shows up here)."""
    found: collections.Counter[str] = collections.Counter()
    with open(log_path, errors="replace") as f:
        for line in f:
            if " WARNING " in line or " ERROR " in line:
                found[re.sub(r"\d+", "N", line.split(" ", 3)[-1].strip())[:120]] += 1
    return dict(found)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(args, sms_url: str, smtp_url: str, data: str) -> list[subprocess.Popen]:
    """Start ``kabinet serve`` (and ``kabinet worker`` with ``--outbox worker``) pointed at this driver's sinks, on a
    fresh seeded SQLite file or on the PostgreSQL store ``bench.population`` filled."""
    env = {**os.environ, "KABINET_DATA_DIR": data, "KABINET_SMTP_URL": smtp_url, "KABINET_SMS_GATEWAY": sms_url,
           "KABINET_RATE_LIMITS": "0", "KABINET_BASE_URL": args.base, "KABINET_DEV": "0",
           "KABINET_ACCESS_LOG": "0",  # the peer (gunicorn) keeps no access log either
           "KABINET_OUTBOX": "off" if args.outbox == "worker" else "inline"}
    env.pop("KABINET_DATABASE_URL", None)
    if args.database_url:
        env["KABINET_DATABASE_URL"] = args.database_url
    else:
        subprocess.run([sys.executable, "-m", "bench.seed", str(args.users)], env=env, check=True)
    port = str(urlsplit(args.base).port)
    log = open(os.path.join(data, "server.log"), "w")  # noqa: SIM115 - lives as long as the server
    procs = [subprocess.Popen([sys.executable, "-m", "kabinet.cli", "serve", "--port", port, "--workers",
                               str(args.workers)], env=env, stdout=log, stderr=subprocess.STDOUT)]
    if args.outbox == "worker":
        procs.append(subprocess.Popen([sys.executable, "-m", "kabinet.cli", "worker"], env=env, stdout=log,
                                      stderr=subprocess.STDOUT))
    for _ in range(150):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", int(port))) == 0:
                return procs
        time.sleep(0.2)
    for proc in procs:
        proc.kill()
    sys.exit("the server did not start")


def pick_users(args) -> list[int]:
    """The citizens this run drives: 0..users-1 of a seeded SQLite store, or, in a PostgreSQL population of N, a
    random sample spread over all of it (a realistic spread over the indexes) from residue ``--round`` mod 8, so
    runs of one store never reuse a citizen an earlier run changed."""
    if not args.population:
        return list(range(args.users))
    pool = range(args.round % 8, args.population, 8)
    return random.Random(args.round).sample(pool, min(args.users, len(pool)))


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="http://127.0.0.1:8766")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--users", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--read-clients", type=int, default=64)
    ap.add_argument("--signin-seconds", type=float, default=6)
    ap.add_argument("--flow-seconds", type=float, default=12)
    ap.add_argument("--cycle-seconds", type=float, default=10)
    ap.add_argument("--read-seconds", type=float, default=6)
    ap.add_argument("--page-seconds", type=float, default=None, help="the HTML page's reads (default: --read-seconds)")
    ap.add_argument("--json", default="")
    ap.add_argument("--database-url", default="", help="a PostgreSQL store filled by bench.population (default: "
                    "a fresh SQLite file seeded with --users citizens)")
    ap.add_argument("--population", type=int, default=0, help="how many citizens that store holds")
    ap.add_argument("--round", type=int, default=0, help="0-7: which citizens of the population this run uses")
    ap.add_argument("--outbox", choices=("inline", "worker"), default="inline",
                    help="inline: each web process sends; worker: a separate `kabinet worker` does (production)")
    args = ap.parse_args()
    if args.database_url and not args.population:
        sys.exit("--database-url needs --population (how many citizens bench.population put there)")
    if not (urlsplit(args.base).hostname or "").startswith("127."):
        sys.exit("refusing: --base must be a loopback address")
    inbox = Inbox(asyncio.get_running_loop())
    sms_url, smtp_url = start_sinks(inbox)
    data = tempfile.mkdtemp(prefix="kabinet-bench.")
    procs = start_server(args, sms_url, smtp_url, data)
    args.server_pids = [proc.pid for proc in procs]
    try:
        users = pick_users(args)
        cycle_users, rest = users[-args.concurrency:], users[: -args.concurrency]
        result: dict = {"meta": {"when_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                 "cpus": os.cpu_count(), "concurrency": args.concurrency,
                                 "server": f"kabinet serve --workers {args.workers} (uvicorn)"
                                           + (" + kabinet worker" if args.outbox == "worker" else ""),
                                 "store": "PostgreSQL" if args.database_url else "SQLite",
                                 "population": args.population or args.users}}
        await phase_flow_warmup(args, inbox, rest[:4])
        result["signin"] = await phase_signin(args, inbox, rest[4:][::-1])
        result["flow"] = await phase_flow(args, inbox, rest[4:])
        result["cycle"], result["reads"], result["page"] = await phase_cycle_and_reads(args, inbox, cycle_users)
        result["rss_mb"] = [mb for pid in args.server_pids for mb in rss_mb(pid)]
        result["memory"] = memory(args)
        result["outbox"] = await outbox_drained(args)
        result["server_problems"] = problems(os.path.join(data, "server.log"))
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(data, ignore_errors=True)
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


async def outbox_drained(args, limit_s: float = 60) -> dict:
    """How long the outbox took to empty after the last phase, and what was left (the server's /metrics): an
    outbox that keeps up leaves nothing and drains at once."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=args.base, timeout=10) as http:
        while True:
            text = (await http.get("/metrics")).text
            waiting = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                          if line.startswith("kabinet_outbox_waiting{"))
            if waiting == 0 or time.monotonic() - started > limit_s:
                return {"left": int(waiting), "drain_s": round(time.monotonic() - started, 2)}
            await asyncio.sleep(0.1)


async def phase_flow_warmup(args, inbox: Inbox, users: list[int]) -> None:
    saved = args.flow_seconds
    args.flow_seconds = 30
    warm = await phase_flow(args, inbox, users)
    args.flow_seconds = saved
    if warm["errors"]:
        sys.exit(f"warm-up flows failed: {warm['errors']}")


if __name__ == "__main__":
    uvloop.run(main())  # the driver's CPU per read: ~0.06 ms on asyncio's own loop (issue 12 asks ≤ 0.05)
