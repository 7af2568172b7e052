"""A Hypothesis state machine drives random sequences of add / verify / primary / remove / resend / settings
through the real flows and database; after every step the rules of DESIGN.md §4 hold."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import select

from kabinet import bootstrap
from kabinet.audit.events import chain_key, verify_chain
from kabinet.clock import FrozenClock
from kabinet.config import Settings
from kabinet.demo import seed
from kabinet.domain.contact_book import violations
from kabinet.domain.errors import KabinetError
from kabinet.flows.contacts import (
    add_email,
    add_phone,
    contact_settings,
    make_primary,
    remove_contact,
    resend_verification,
    verify_email,
)
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import facts
from kabinet.flows.shared.results import ChallengeView
from kabinet.security.sessions import open_session
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, Contact, Event
from kabinet.web.problems import status_of
from tests.conftest import fresh_database
from tests.integration.helpers import META
from tests.secrets import code_of, secret_for_contact

EMAILS = ["a@example.org", "b@yandex.ru", "ivan.ivanov@mail.ru"]
PHONES = ["+79161110001", "+79161110002", "+79001234567"]


class ContactRules(RuleBasedStateMachine):
    migrated: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        url = fresh_database(self.migrated, self.dir)
        self.clock = FrozenClock()
        self.kb = bootstrap.build(Settings(database_url=url, data_dir=self.dir, secret_key="22" * 32, outbox="off"),
                                  clock=self.clock)
        seed(self.kb, "demo-password-1")
        with self.kb.store.write() as db:
            self.account_id = db.scalars(select(Account.id)).one()
            _, self.session = open_session(db, self.kb.hasher, account_id=self.account_id, meta=META, method="t",
                                           now=self.clock.now())

    def teardown(self) -> None:
        self.kb.store.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    def contacts(self) -> list[Contact]:
        with self.kb.store.read() as db:
            return present_contacts(db, self.account_id)

    def attempt(self, fn, **kwargs) -> object:
        """Run a flow step; a refusal with a stable code is fine, anything else is a bug."""
        self.clock.advance(seconds=61)
        with self.kb.store.write() as db:  # keep the step-up window fresh: the rules, not timing, are under test
            from kabinet.store.models import Session as S

            db.get_one(S, self.session.id).second_factor_at = self.clock.now()
            db.get_one(S, self.session.id).last_seen_at = self.clock.now()
        self.session.second_factor_at = self.clock.now()
        try:
            return fn(self.kb.ctx, META, session=self.session, **kwargs)
        except KabinetError as exc:
            assert exc.code and 400 <= status_of(exc) < 500
            return None

    def pick(self, data: st.DataObject, **where: bool) -> Contact | None:
        pool = [c for c in self.contacts() if all((getattr(c, k) is not None) == v if k == "verified_at"
                                                  else getattr(c, k) == v for k, v in where.items())]
        pool.sort(key=lambda c: (c.kind, c.value))  # ids are random: draw from a stable order
        return data.draw(st.sampled_from(pool)) if pool else None

    @rule(value=st.sampled_from(EMAILS))
    def add_an_email(self, value: str) -> None:
        self.attempt(add_email.start, value=value)

    @rule(value=st.sampled_from(PHONES))
    def add_a_phone(self, value: str) -> None:
        self.attempt(add_phone.start, value=value)

    @rule(data=st.data())
    def verify(self, data: st.DataObject) -> None:
        contact = self.pick(data, verified_at=False)
        if contact is None:
            return
        if contact.kind == "email":
            link = secret_for_contact(self.kb, contact.id, "verify_email", "link")
            if link:
                self.attempt(lambda ctx, meta, session: verify_email.confirm(ctx, meta, token=link.split("=")[1]))
            return
        with self.kb.store.read() as db:
            from kabinet.store.models import Challenge

            ch = db.scalars(select(Challenge).where(Challenge.contact_id == contact.id,
                                                    Challenge.purpose == "verify_phone")
                            .order_by(Challenge.created_at.desc())).first()
        if ch is not None and ch.secret_hash:
            code = code_of(self.kb, str(ch.id))
            self.attempt(lambda ctx, meta, session: challenges.confirm(ctx, meta, str(ch.id), code, session))

    @rule(data=st.data())
    def make_primary(self, data: st.DataObject) -> None:
        contact = self.pick(data)
        if contact is not None:
            self.attempt(make_primary.run, contact_id=str(contact.id))

    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        contact = self.pick(data)
        if contact is None:
            return
        ch = self.attempt(remove_contact.start, contact_id=str(contact.id))
        if isinstance(ch, ChallengeView) and ch.channel == "sms":  # (a dict before issue 7: removals never ran)
            code = code_of(self.kb, str(ch.id))
            self.attempt(lambda ctx, meta, session: challenges.confirm(ctx, meta, str(ch.id), code, session))

    @rule(data=st.data())
    def resend(self, data: st.DataObject) -> None:
        contact = self.pick(data, verified_at=False)
        if contact is not None:
            self.attempt(resend_verification.run, contact_id=str(contact.id))

    @rule(data=st.data(), sign_in=st.booleans(), recovery=st.booleans())
    def settings(self, data: st.DataObject, sign_in: bool, recovery: bool) -> None:
        contact = self.pick(data, verified_at=True)
        if contact is not None:
            self.attempt(contact_settings.update, contact_id=str(contact.id), sign_in=sign_in, recovery=recovery)

    @invariant()
    def rules_hold(self) -> None:
        with self.kb.store.read() as db:
            account = db.get_one(Account, self.account_id)
            book = [facts(c) for c in present_contacts(db, self.account_id)]
            assert violations(book, has_totp=bool(account.totp_secret)) == []
            assert account.level == "confirmed"  # S16: contact changes never touch the level
            events = list(db.scalars(select(Event).where(Event.account_id == self.account_id).order_by(Event.seq)))
            assert verify_chain(events, chain_key(db), head=account.event_head, count=account.event_seq)
            verified = db.scalars(select(Contact).where(Contact.verified_at.is_not(None),
                                                        Contact.removed_at.is_(None))).all()
            assert len({(c.kind, c.value) for c in verified}) == len(verified)


def test_contact_rules_hold_after_every_step(migrated: str) -> None:
    ContactRules.migrated = migrated
    ContactRules.TestCase.settings = settings(max_examples=20, stateful_step_count=12, deadline=None,
                                              suppress_health_check=list(HealthCheck))
    ContactRules.TestCase().runTest()
