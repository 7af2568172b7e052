"""DESIGN.md §4 over the real HTTP API (issue 8): a Hypothesis state machine drives two citizens against a running
server on loopback — add, verify, make primary, remove (with the SMS code), sign-in/recovery settings — and pairs of
requests sent at the same moment (two removals of one account's last contacts, two settings changes, two accounts
verifying one address). After every step, for every account: a sign-in contact, a recovery channel and a second
factor remain, one primary per kind and only verified ones, one owner per verified value, the level untouched, the
history chain whole; and no answer was a server error.

Profiles: the default is short (it runs in ``.ci/run`` on both stores); ``KABINET_STATEFUL=nightly`` runs
2,000 sequences of 50 steps (10⁵ steps) — its figures are in docs/SECURITY.md."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import select, update

from kabinet import bootstrap
from kabinet.audit.events import chain_key, verify_chain
from kabinet.clock import FrozenClock
from kabinet.config import Settings
from kabinet.demo import seed
from kabinet.domain.contact_book import violations
from kabinet.flows.shared.accounts import facts
from kabinet.security.sessions import open_session
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, Challenge, Contact, Event
from kabinet.store.models import Session as UserSession
from kabinet.web.app import create_app
from tests.conftest import fresh_database
from tests.integration.helpers import META
from tests.secrets import code_of, secret_for_contact

EMAILS = ["a@example.org", "b@yandex.ru", "ivan.ivanov@mail.ru", "shared@example.org"]
PHONES = ["+79161110001", "+79161110002", "+79001234567", "+79161110009"]
NIGHTLY = os.environ.get("KABINET_STATEFUL") == "nightly"


class RulesOverHttp(RuleBasedStateMachine):
    migrated: str = ""
    steps = 0

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        url = fresh_database(self.migrated, self.dir)
        self.clock = FrozenClock()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        self.kb = bootstrap.build(Settings(database_url=url, data_dir=self.dir, secret_key="22" * 32, outbox="off",
                                           rate_limits=False, base_url=self.base), clock=self.clock)
        seed(self.kb, "demo-password-1")
        self.tokens: list[str] = []
        self.accounts: list[uuid.UUID] = []
        with self.kb.store.write() as db:
            ivan = db.scalars(select(Account.id)).one()
            petrov = Account(level="standard", full_name="Петров Пётр Петрович", password_hash="x",
                             created_at=self.clock.now())
            db.add(petrov)
            db.flush()
            db.add(Contact(account_id=petrov.id, kind="phone", value="+79162220000", display="+7 916 222-00-00",
                           verified_at=self.clock.now(), is_primary=True, sign_in=True, recovery=True,
                           created_at=self.clock.now()))
            for account_id in (ivan, petrov.id):
                token, _ = open_session(db, self.kb.hasher, account_id=account_id, meta=META, method="t",
                                        now=self.clock.now())
                self.tokens.append(token)
                self.accounts.append(account_id)
        self.levels = {ivan: "confirmed", petrov.id: "standard"}
        self.statuses: list[int] = []
        self.server = uvicorn.Server(uvicorn.Config(create_app(self.kb), host="127.0.0.1", port=port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)

    def teardown(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.kb.store.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- talking to the server ---------------------------------------------------------------------------

    def call(self, who: int, method: str, path: str, body: Any = None) -> httpx.Response:
        with httpx.Client(base_url=self.base, timeout=30) as http:
            answer = http.request(method, path, json=body, headers={"Authorization": f"Bearer {self.tokens[who]}"})
        self.statuses.append(answer.status_code)
        return answer

    def at_once(self, *calls: Callable[[], object]) -> None:
        barrier = threading.Barrier(len(calls))

        def run(call: Callable[[], object]) -> None:
            barrier.wait()
            call()

        threads = [threading.Thread(target=run, args=(c,)) for c in calls]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)

    def fresh(self) -> None:
        """Each step a minute later, every session fresh: the rules are under test here, not the timers."""
        RulesOverHttp.steps += 1
        self.clock.advance(seconds=61)
        with self.kb.store.write() as db:
            db.execute(update(UserSession).values(second_factor_at=self.clock.now(), last_seen_at=self.clock.now()))

    def contacts(self, who: int, **where: bool) -> list[Contact]:
        with self.kb.store.read() as db:
            found = present_contacts(db, self.accounts[who])
        if "verified" in where:
            found = [c for c in found if (c.verified_at is not None) == where["verified"]]
        return sorted(found, key=lambda c: (c.kind, c.value))  # ids are random: draw from a stable order

    def pick(self, data: st.DataObject, who: int, **where: bool) -> Contact | None:
        """An index drawn from a fixed range, not from the pool: races make the pool's size differ between runs
        of one sequence, and Hypothesis needs the same draws to ask the same questions."""
        pool = self.contacts(who, **where)
        index = data.draw(st.integers(0, 7))
        return pool[index % len(pool)] if pool else None

    def code_answer(self, who: int, challenge: dict[str, Any]) -> Callable[[], object]:
        """Confirming a code the way the citizen would, read from the SMS the worker would send."""
        if challenge.get("channel") != "sms":
            return lambda: None
        code = code_of(self.kb, challenge["id"])
        return lambda: self.call(who, "POST", f"/api/v1/challenges/{challenge['id']}/confirm", {"code": code})

    def verify_answer(self, who: int, contact: Contact) -> Callable[[], object]:
        if contact.kind == "email":
            link = secret_for_contact(self.kb, contact.id, "verify_email", "link")
            if not link:
                return lambda: None
            return lambda: self.call(who, "POST", "/api/v1/contacts/verify", {"token": link.split("token=")[1]})
        with self.kb.store.read() as db:
            ch = db.scalars(select(Challenge).where(Challenge.contact_id == contact.id,
                                                    Challenge.purpose == "verify_phone")
                            .order_by(Challenge.created_at.desc())).first()
        return self.code_answer(who, {"id": str(ch.id), "channel": "sms"}) if ch and ch.secret_hash else (
            lambda: None)

    # --- single steps -------------------------------------------------------------------------------------

    @rule(who=st.integers(0, 1), value=st.sampled_from(EMAILS))
    def add_an_email(self, who: int, value: str) -> None:
        self.fresh()
        self.call(who, "POST", "/api/v1/contacts", {"kind": "email", "value": value})

    @rule(who=st.integers(0, 1), value=st.sampled_from(PHONES))
    def add_a_phone(self, who: int, value: str) -> None:
        self.fresh()
        self.call(who, "POST", "/api/v1/contacts", {"kind": "phone", "value": value})

    @rule(who=st.integers(0, 1), data=st.data())
    def verify(self, who: int, data: st.DataObject) -> None:
        self.fresh()
        if contact := self.pick(data, who, verified=False):
            self.verify_answer(who, contact)()

    @rule(who=st.integers(0, 1), data=st.data())
    def make_primary(self, who: int, data: st.DataObject) -> None:
        self.fresh()
        if contact := self.pick(data, who):
            self.call(who, "POST", f"/api/v1/contacts/{contact.id}/primary")

    @rule(who=st.integers(0, 1), data=st.data())
    def remove(self, who: int, data: st.DataObject) -> None:
        self.fresh()
        if contact := self.pick(data, who):
            asked = self.call(who, "DELETE", f"/api/v1/contacts/{contact.id}")
            if asked.status_code == 202:
                self.code_answer(who, asked.json()["challenge"])()

    @rule(who=st.integers(0, 1), data=st.data(), sign_in=st.booleans(), recovery=st.booleans())
    def roles(self, who: int, data: st.DataObject, sign_in: bool, recovery: bool) -> None:
        self.fresh()
        if contact := self.pick(data, who, verified=True):
            self.call(who, "PATCH", f"/api/v1/contacts/{contact.id}", {"sign_in": sign_in, "recovery": recovery})

    # --- pairs at the same moment ------------------------------------------------------------------------

    @rule(who=st.integers(0, 1), data=st.data())
    def two_removals_at_once(self, who: int, data: st.DataObject) -> None:
        """Each asked and confirmed separately; the two confirmations race (rule 1's classic)."""
        self.fresh()
        pool = self.contacts(who, verified=True)
        picks = [data.draw(st.integers(0, 7)) for _ in range(2)]  # drawn whatever the pool: see ``pick``
        if len(pool) < 2:
            return
        first, second = (pool[i % len(pool)] for i in picks)
        answers = []
        for contact in {first.id: first, second.id: second}.values():
            asked = self.call(who, "DELETE", f"/api/v1/contacts/{contact.id}")
            if asked.status_code == 202:
                answers.append(self.code_answer(who, asked.json()["challenge"]))
        self.at_once(*answers)

    @rule(who=st.integers(0, 1))
    def two_sign_in_switches_at_once(self, who: int) -> None:
        self.fresh()
        pool = [c for c in self.contacts(who, verified=True) if c.sign_in]
        if len(pool) >= 2:
            self.at_once(*[lambda c=c: self.call(who, "PATCH", f"/api/v1/contacts/{c.id}", {"sign_in": False})
                           for c in pool[:2]])

    @rule(value=st.sampled_from(EMAILS))
    def two_accounts_verify_one_address_at_once(self, value: str) -> None:
        self.fresh()
        for who in (0, 1):
            self.call(who, "POST", "/api/v1/contacts", {"kind": "email", "value": value})
        answers = [self.verify_answer(who, c) for who in (0, 1)
                   for c in self.contacts(who, verified=False) if c.value == value]
        self.at_once(*answers)

    # --- after every step ----------------------------------------------------------------------------------

    @invariant()
    def rules_hold(self) -> None:
        assert all(status < 500 for status in self.statuses), self.statuses
        with self.kb.store.read() as db:
            for account_id in self.accounts:
                account = db.get_one(Account, account_id)
                book = [facts(c) for c in present_contacts(db, account_id)]
                assert violations(book, has_totp=bool(account.totp_secret)) == [], account.full_name
                assert account.level == self.levels[account_id]  # S16
                events = list(db.scalars(select(Event).where(Event.account_id == account_id).order_by(Event.seq)))
                assert verify_chain(events, chain_key(db), head=account.event_head, count=account.event_seq)
            verified = db.scalars(select(Contact).where(Contact.verified_at.is_not(None),
                                                        Contact.removed_at.is_(None))).all()
            assert len({(c.kind, c.value) for c in verified}) == len(verified)


def test_the_rules_hold_over_http_after_every_step_and_every_race(migrated: str) -> None:
    RulesOverHttp.migrated = migrated
    RulesOverHttp.steps = 0
    runs, length = (int(os.environ.get("KABINET_STATEFUL_RUNS", "2000")), 50) if NIGHTLY else (6, 12)
    RulesOverHttp.TestCase.settings = settings(max_examples=runs, stateful_step_count=length, deadline=None,
                                               suppress_health_check=list(HealthCheck), derandomize=not NIGHTLY)
    RulesOverHttp.TestCase().runTest()
    assert RulesOverHttp.steps >= 20  # it really walked
    print(f"\nrules over HTTP: {RulesOverHttp.steps} steps in {runs} sequences")
