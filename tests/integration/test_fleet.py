"""A fleet, not a process (issue 22): two ``kabinet serve`` instances and two ``kabinet worker`` processes on one
PostgreSQL and one Redis of the test's own, with a real SMTP server and SMS gateway, under a mixed load that
alternates instances request by request — then, one after another: a worker killed mid-batch, an instance killed,
an instance stopped by SIGTERM with requests in flight, PostgreSQL restarted, Redis stopped and started, SMTP away
for 30 s. Afterwards every message the outbox queued reached its receiver under its own idempotency key, and none was
lost; no answer was a 5xx but the 503s of the database's restart; the rules of DESIGN.md §4 hold and every history
chain is intact. The figures of the run are written to ``fleet-figures.json`` beside the test's logs (and printed).

Bounded in time (every wait has its limit), loopback only, and every process is stopped by its pid however it ends.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from kabinet import bootstrap
from kabinet.audit.events import SYSTEM, EventType, Meta, record
from kabinet.config import Settings
from kabinet.security.passwords import hash_password
from kabinet.store.db import Store
from kabinet.store.migrate import HEAD, current_revision, upgrade
from kabinet.store.models import Account, Contact, Outbox, WorkerBeat
from tests.fleet_parts import Kabinet, PrivatePostgres, PrivateRedis, free_port, in_the_servers_hands, wait_until
from tests.servers import CODE, SmtpSink, start_sms_gateway

PASSWORD = "Fleet-Test-Passw0rd-2026"
CITIZENS = 160
DRIVERS = 4  # citizens signed in at once
CYCLES = 6  # add → link → remove (an SMS code) per sign-in: inside the per-number code budget
SECRET = "33" * 32
LINK = re.compile(r"/verify-email\?token=([A-Za-z0-9_-]+)")


def phone(i: int) -> str:
    return f"+7902{i:07d}"


class Interrupted(Exception):
    """A round that met a fault (a 503, a cut connection): the driver starts the next round afresh."""


@dataclass
class Tally:
    """Every answer of the run, by phase."""

    phase: str = "start"
    statuses: collections.Counter = field(default_factory=collections.Counter)
    cut: collections.Counter = field(default_factory=collections.Counter)  # no answer at all, by phase
    unexpected: list[str] = field(default_factory=list)
    unavailable_at: list[float] = field(default_factory=list)  # when each 503 came
    requests: int = 0
    cycles: int = 0
    rounds_restarted: int = 0


class Fleet:
    def __init__(self, tmp) -> None:
        self.tmp = tmp
        self.pg = PrivatePostgres()
        self.redis = PrivateRedis()
        self.mail = SmtpSink()
        self.smtp_port = free_port()
        self.smtp: Controller | None = None
        self.start_smtp()
        self.sms_server, self.sms, self.sms_url = start_sms_gateway()
        self.ports = [free_port(), free_port()]
        self.env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin", "KABINET_DATABASE_URL": self.pg.url,
            "KABINET_REDIS_URL": self.redis.url, "KABINET_SECRET_KEY": SECRET, "KABINET_DATA_DIR": str(tmp),
            "KABINET_SMTP_URL": f"smtp://127.0.0.1:{self.smtp_port}", "KABINET_SMS_GATEWAY": self.sms_url,
            "KABINET_OUTBOX": "off", "KABINET_LOG_FORMAT": "json", "KABINET_GRACEFUL_S": "8",
            "KABINET_BASE_URL": f"http://127.0.0.1:{self.ports[0]}", "KABINET_NOTICE_DELAY_S": "1",
        }
        self.store = bootstrap.build(Settings(database_url=self.pg.url, secret_key=SECRET, data_dir=tmp)).store
        self.instances = [self._instance(0), self._instance(1)]
        self.workers = [self._worker(n) for n in range(2)]
        self.started: list[Kabinet] = []

    def start_smtp(self) -> None:
        self.smtp = Controller(self.mail, hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()

    def stop_smtp(self) -> None:
        assert self.smtp is not None
        self.smtp.stop()

    def _instance(self, n: int) -> Kabinet:
        return Kabinet(["serve", "--port", str(self.ports[n])], self.env, self.tmp / f"web{n}.log", self.ports[n])

    def _worker(self, n: int) -> Kabinet:
        return Kabinet(["worker"], self.env, self.tmp / f"worker{n}.log")

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kabinet.cli", *args], env=self.env, capture_output=True,
                              text=True, timeout=120, check=False)

    def start(self) -> None:
        assert self.cli("db", "upgrade").returncode == 0
        seed(self.store)
        for part in [*self.instances, *self.workers]:  # one after another: each web instance migrates first
            self.started.append(part.start())

    def replace_worker(self, n: int) -> None:
        self.workers[n] = self._worker(n + 10)
        self.started.append(self.workers[n].start())

    def restart_instance(self, n: int) -> None:
        self.instances[n] = self._instance(n)
        self.started.append(self.instances[n].start())

    def close(self) -> None:
        for part in self.started:
            part.stop()
        self.store.dispose()
        self.sms_server.shutdown()
        with contextlib.suppress(Exception):
            self.stop_smtp()
        self.redis.stop()
        self.pg.stop()


def seed(store: Store) -> None:
    """The citizens straight into the store, each with a verified phone (one password hash for all)."""
    hashed, now = hash_password(PASSWORD), datetime.now(UTC)
    with store.write() as db:
        for i in range(CITIZENS):
            account = Account(id=uuid.uuid4(), level="standard", full_name=f"Флотов Флот {i}", locale="ru",
                              password_hash=hashed, created_at=now)
            db.add(account)
            db.flush()
            db.add(Contact(account_id=account.id, kind="phone", value=phone(i), display=phone(i), verified_at=now,
                           last_confirmed_at=now, is_primary=True, sign_in=True, recovery=True, created_at=now))
            record(db, account, EventType.ACCOUNT_REGISTERED, at=now, meta=Meta(), actor=SYSTEM, channel="fleet")


# --- the load -----------------------------------------------------------------------------------------------------


class Driver:
    """Citizens over the JSON API, each request to the other instance than the one before."""

    def __init__(self, fleet: Fleet, tally: Tally) -> None:
        self.fleet, self.tally = fleet, tally
        self.turn = 0
        self.next_citizen = 0
        self.stop = asyncio.Event()
        self.clients: list[httpx.AsyncClient] = []

    async def call(self, method: str, path: str, token: str | None = None, body: object = None) -> httpx.Response:
        self.turn += 1
        order = [self.turn % 2, (self.turn + 1) % 2]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for n in order:
            self.tally.requests += 1
            try:
                response = await self.clients[n].request(method, path, json=body, headers=headers)
            except httpx.ConnectError:  # that instance is down: the load balancer would send it to the other
                continue
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError, httpx.ReadTimeout) as exc:
                self.tally.cut[self.tally.phase] += 1
                raise Interrupted(f"cut: {type(exc).__name__}") from exc
            self.tally.statuses[response.status_code] += 1
            if response.status_code == 503:
                self.tally.unavailable_at.append(time.monotonic())
                raise Interrupted("503")
            if response.status_code >= 500:
                self.tally.unexpected.append(f"{self.tally.phase}: {method} {path} {response.status_code}")
                raise Interrupted("5xx")
            return response
        raise Interrupted("no instance answers")

    async def expect(self, status: int, method: str, path: str, token: str | None = None,
                     body: object = None) -> dict:
        response = await self.call(method, path, token, body)
        if response.status_code != status:
            if response.status_code not in (409, 410, 429):  # a fault's aftermath, not a bug
                self.tally.unexpected.append(f"{self.tally.phase}: {method} {path} {response.status_code} "
                                             f"{response.text[:200]}")
            raise Interrupted(str(response.status_code))
        return response.json() if response.content else {}

    async def code(self, number: str, seen: int) -> str:
        """The newest code sent to ``number`` after the first ``seen`` messages: waits through faults (a killed
        worker's lease, SMTP away) up to a bound."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            codes = [m.group(1) for sms in self.fleet.sms.to(number)[seen:] if (m := CODE.search(sms["text"]))]
            if codes:
                return codes[-1]
            await asyncio.sleep(0.05)
        self.tally.unexpected.append(f"{self.tally.phase}: no code for {number}")
        raise Interrupted("no code")

    async def link(self, address: str) -> str:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            for letter in self.fleet.mail.to(address):
                if found := LINK.search(letter.text):
                    return found.group(1)
            await asyncio.sleep(0.1)
        self.tally.unexpected.append(f"{self.tally.phase}: no letter to {address}")
        raise Interrupted("no letter")

    async def citizen(self, i: int) -> None:
        number = phone(i)
        seen = len(self.fleet.sms.to(number))
        started = await self.expect(202, "POST", "/api/v1/sign-in", body={"login": number, "password": PASSWORD})
        signed = await self.expect(200, "POST", f"/api/v1/challenges/{started['challenge']['id']}/confirm",
                                   body={"code": await self.code(number, seen)})
        token = signed["session_token"]  # made on one instance, used on the other from here on
        for cycle in range(CYCLES):
            if self.stop.is_set():
                break
            await self.expect(200, "GET", "/api/v1/contacts", token)
            address = f"c{i}-{cycle}-{uuid.uuid4().hex[:6]}@fleet.example"
            added = await self.expect(201, "POST", "/api/v1/contacts", token, {"kind": "email", "value": address})
            await self.expect(200, "POST", "/api/v1/contacts/verify", body={"token": await self.link(address)})
            seen = len(self.fleet.sms.to(number))
            removal = await self.expect(202, "DELETE", f"/api/v1/contacts/{added['contact']['id']}", token)
            await self.expect(200, "POST", f"/api/v1/challenges/{removal['challenge']['id']}/confirm", token,
                              {"code": await self.code(number, seen)})
            self.tally.cycles += 1
        await self.expect(204, "POST", "/api/v1/sign-out", token)

    async def drive(self) -> None:
        while not self.stop.is_set() and self.next_citizen < CITIZENS - 20:  # the last 20 are the probes'
            i, self.next_citizen = self.next_citizen, self.next_citizen + 1
            try:
                await self.citizen(i)
            except Interrupted:
                self.tally.rounds_restarted += 1
                await asyncio.sleep(0.2)

    async def run(self) -> None:
        limits = httpx.Limits(max_keepalive_connections=DRIVERS, max_connections=DRIVERS * 2)
        self.clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30, limits=limits)
                        for port in self.fleet.ports]
        try:
            await asyncio.gather(*(self.drive() for _ in range(DRIVERS)))
        finally:
            for client in self.clients:
                await client.aclose()


class Load:
    """The driver in a thread of its own, with its own event loop, while the test injects faults."""

    def __init__(self, fleet: Fleet) -> None:
        self.tally = Tally()
        self.driver = Driver(fleet, self.tally)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=lambda: self.loop.run_until_complete(self.driver.run()), daemon=True)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def phase(self, name: str, seconds: float = 0) -> None:
        self.tally.phase = name
        time.sleep(seconds)

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.driver.stop.set)
        self.thread.join(120)
        assert not self.thread.is_alive(), "the load did not stop"


# --- the test -----------------------------------------------------------------------------------------------------


@pytest.fixture
def fleet(tmp_path):
    made = Fleet(tmp_path)
    try:
        made.start()
        yield made
    finally:
        made.close()


def in_flight(fleet: Fleet) -> int:
    with fleet.store.read() as db:
        return db.scalar(select(func.coalesce(func.sum(WorkerBeat.in_flight), 0)))


def ready(fleet: Fleet, n: int) -> bool:
    return httpx.get(f"{fleet.instances[n].base}/health/ready", timeout=2).status_code == 200


def test_shared_state_holds_across_instances(fleet):
    """What one instance does, the other knows at once: a code's wrong tries, a rate limit, a rotated key."""
    a, b = (httpx.Client(base_url=i.base, timeout=30) for i in fleet.instances)
    try:
        number = phone(CITIZENS - 1)
        started = a.post("/api/v1/sign-in", json={"login": number, "password": PASSWORD}).json()["challenge"]
        wait_until(lambda: fleet.sms.to(number), 30, "the sign-in code")
        path = f"/api/v1/challenges/{started['id']}/confirm"
        tries = [c.post(path, json={"code": "000000"}).json()["code"] for c in (a, b, a)]
        assert tries[:2] == ["challenge.code_wrong"] * 2 and tries[2] in ("challenge.too_many_attempts",
                                                                          "challenge.code_wrong")
        right = b.post(path, json={"code": fleet.sms.last_code(number)})
        assert right.status_code == 410, "three wrong tries across two instances spend one budget of three"

        other = phone(CITIZENS - 2)
        answers = [(a, b)[k % 2].post("/api/v1/sign-in", json={"login": other, "password": "wrong-password-9"})
                   .status_code for k in range(7)]
        assert answers[:5] == [401] * 5 and answers[5:] == [429, 429], "one window of five, spent on both"

        before = {k["kid"] for k in a.get("/oidc/jwks").json()["keys"]}
        rotated = fleet.cli("keys", "rotate")
        assert rotated.returncode == 0, rotated.stderr
        kid = rotated.stdout.strip().removeprefix("kid=")
        for client in (a, b):  # each instance reads the keys from the database: served at once, everywhere
            assert {k["kid"] for k in client.get("/oidc/jwks").json()["keys"]} == before | {kid}
    finally:
        a.close()
        b.close()


def test_the_fleet_survives_its_faults_and_delivers_every_message_once(fleet):
    figures: dict[str, object] = {}
    with Load(fleet) as load:
        load.phase("warm", 4)

        load.phase("worker killed")  # mid-batch: a slow receiver keeps its sends in flight
        fleet.mail.stall_s = 0.5
        wait_until(lambda: in_flight(fleet) > 0, 30, "a worker with sends in flight")
        fleet.workers[0].signal(signal.SIGKILL)
        fleet.workers[0].wait(10)
        fleet.mail.stall_s = 0
        fleet.replace_worker(0)  # as an orchestrator would
        load.phase("worker killed", 3)

        load.phase("instance killed")
        fleet.instances[0].signal(signal.SIGKILL)
        fleet.instances[0].wait(10)
        load.phase("instance killed", 2)
        fleet.restart_instance(0)

        load.phase("instance stopped")  # SIGTERM with sign-ins in flight: each one is answered
        probes = probe_sign_ins(fleet, instance=1, first=CITIZENS - 20, count=6)
        # uvicorn ends by the signal it was sent once it has shut down (as systemd expects of a service)
        assert fleet.instances[1].wait(20) in (0, -signal.SIGTERM), "the instance did not stop within its bound"
        assert probes() == [202] * 6, "a request in flight at SIGTERM was cut"
        assert "Application shutdown complete" in fleet.instances[1].log.read_text()
        fleet.restart_instance(1)

        load.phase("database restarted")  # down for a few seconds, as a restart or a failover is
        fleet.pg.halt()
        figures["unready_in_s"] = round(wait_until(lambda: not ready(fleet, 0) and not ready(fleet, 1), 10,
                                                   "both instances unready (the load balancer's cue)"), 2)
        for instance in fleet.instances:  # what any client meets meanwhile, whatever the load happens to be doing
            answer = httpx.post(f"{instance.base}/api/v1/sign-in", timeout=10,
                                json={"login": phone(0), "password": PASSWORD})
            assert answer.status_code == 503 and answer.json()["code"] == "unavailable", answer.text
            assert int(answer.headers["retry-after"]) > 0
        load.phase("database restarted", 3)
        fleet.pg.start()
        figures["ready_again_in_s"] = round(wait_until(lambda: ready(fleet, 0) and ready(fleet, 1), 60,
                                                       "both instances ready again, by themselves"), 2)
        load.phase("database back", 3)

        load.phase("redis away")
        fleet.redis.stop()
        load.phase("redis away", 4)
        fleet.redis.start()
        load.phase("redis back", 3)

        load.phase("smtp away")
        fleet.stop_smtp()
        load.phase("smtp away", 30)
        fleet.start_smtp()
        load.phase("smtp back", 5)
    drained_in = wait_until(lambda: waiting(fleet) == 0, 180, "the outbox drained")

    tally = load.tally
    figures.update(requests=tally.requests, answers=dict(tally.statuses), cycles=tally.cycles,
                   rounds_restarted=tally.rounds_restarted, cut_by_phase=dict(tally.cut),
                   drained_after_load_s=round(drained_in, 1))
    if tally.unavailable_at:
        figures["unavailable_window_s"] = round(tally.unavailable_at[-1] - tally.unavailable_at[0], 2)
    figures.update(delivery(fleet))
    (fleet.tmp / "fleet-figures.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False))
    print("fleet figures:", json.dumps(figures, ensure_ascii=False))

    assert tally.cycles > 20, figures
    assert tally.unexpected == [], tally.unexpected
    assert not [s for s in tally.statuses if s >= 500 and s != 503], figures
    assert set(tally.cut) <= {"instance killed", "instance stopped"}, figures
    assert figures["lost"] == [] and figures["unknown"] == [], figures
    assert figures["dead_or_rejected"] == 0, figures
    assert all(attempts > 1 for attempts in figures["resent_attempts"]), figures  # only what a kill left in flight
    assert rules_hold(fleet)
    verified = fleet.cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    for n in range(2):
        log = (fleet.tmp / f"web{n}.log").read_text()
        assert "unhandled error" not in log, f"web{n} answered a 500"


def probe_sign_ins(fleet: Fleet, instance: int, first: int, count: int):
    """``count`` sign-ins sent to one instance at once; once they are on their way (Argon2 keeps each busy for a
    while), SIGTERM to that instance. Returns a function that waits for their answers."""
    answers: list[int | str] = []

    def one(i: int) -> None:
        try:
            answers.append(httpx.post(f"{fleet.instances[instance].base}/api/v1/sign-in", timeout=30,
                                      json={"login": phone(i), "password": PASSWORD}).status_code)
        except httpx.HTTPError as exc:
            answers.append(type(exc).__name__)

    threads = [threading.Thread(target=one, args=(first + k,)) for k in range(count)]
    for thread in threads:
        thread.start()
    time.sleep(0.15)  # on their way: Argon2 keeps each busy for a while
    in_the_servers_hands(fleet.ports[instance], count, lambda: len(answers))
    fleet.instances[instance].signal(signal.SIGTERM)

    def wait() -> list[int | str]:
        for thread in threads:
            thread.join(30)
        return sorted(answers, key=str)

    return wait


def waiting(fleet: Fleet) -> int:
    with fleet.store.read() as db:
        return db.scalar(select(func.count()).select_from(Outbox).where(Outbox.state.in_(("queued", "failed"))))


def delivery(fleet: Fleet) -> dict[str, object]:
    """Every sent row against what the receivers got, by the key each retry repeats: the letter's Message-ID, the
    SMS gateway's ``id``."""
    with fleet.store.read() as db:
        rows = db.execute(select(Outbox.channel, Outbox.idempotency_key, Outbox.state, Outbox.attempts)).all()
    sent = {(channel, key): attempts for channel, key, state, attempts in rows if state == "sent"}
    got: collections.Counter = collections.Counter()
    with fleet.mail.lock:
        for message in fleet.mail.messages:
            got["email", message_key(message.message)] += 1
    with fleet.sms.lock:
        for sms in fleet.sms.messages:
            got["sms", sms["id"]] += 1
    resent = {key: n for key, n in got.items() if n > 1}
    return {"messages": len(rows), "letters": sum(1 for c, _ in sent if c == "email"),
            "sms": sum(1 for c, _ in sent if c == "sms"),
            "lost": sorted(k for k in sent if k not in got), "unknown": sorted(k for k in got if k not in sent),
            "dead_or_rejected": sum(1 for _, _, state, _ in rows if state not in ("sent", "queued", "failed")),
            "received_again_same_key": sum(n - 1 for n in resent.values()),
            "resent_attempts": [sent.get(key, 0) for key in resent]}


def message_key(message: EmailMessage) -> str:
    return str(message["Message-ID"]).strip("<>").partition("@")[0]


def rules_hold(fleet: Fleet) -> bool:
    """DESIGN.md §4, rules 1 and 2, for every citizen: a verified sign-in contact and a recovery channel are left,
    at most one primary of each kind, only verified ones primary."""
    with fleet.store.read() as db:
        contacts = db.scalars(select(Contact).where(Contact.removed_at.is_(None))).all()
    book: dict[uuid.UUID, list[Contact]] = collections.defaultdict(list)
    for contact in contacts:
        book[contact.account_id].append(contact)
    assert len(book) == CITIZENS
    for own in book.values():
        live = [c for c in own if c.verified_at is not None]
        assert any(c.sign_in for c in live) and any(c.recovery for c in live)
        for kind in ("email", "phone"):
            primaries = [c for c in own if c.kind == kind and c.is_primary]
            assert len(primaries) <= 1 and all(c.verified_at is not None for c in primaries)
    return True


def test_instances_that_start_together_migrate_one_after_another():
    """Every `kabinet serve` migrates before it serves; a fleet's instances start together. The migration lock makes
    them take turns: one builds the schema, the others find it at head."""
    pg = PrivatePostgres()
    failures: list[BaseException] = []
    try:
        stores = [Store.from_url(pg.url) for _ in range(4)]
        barrier = threading.Barrier(len(stores))

        def migrate(store: Store) -> None:
            barrier.wait()
            try:
                upgrade(store.engine)
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=migrate, args=(store,)) for store in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert failures == []
        assert current_revision(stores[0].engine) == HEAD
        for store in stores:
            store.dispose()
    finally:
        pg.stop()
