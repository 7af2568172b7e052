"""Rule 1 under concurrency: two requests that each remove one of the last two sign-in contacts cannot both
succeed. Two threads, each with its own database connection, confirm at the same moment, many times.
On PostgreSQL the account row lock (SELECT … FOR UPDATE) decides; on SQLite, BEGIN IMMEDIATE."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import select

from kabinet.audit.events import Meta
from kabinet.domain.contact_book import violations
from kabinet.domain.errors import GuardRefused
from kabinet.flows.contacts import remove_contact
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import facts
from kabinet.security.sessions import open_session
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, Contact
from tests.secrets import code_of

ROUNDS = 15


def make_account(kb, n: int):
    now = kb.clock.now()
    with kb.store.write() as db:
        account = Account(level="standard", full_name="Гонкин Гонка", password_hash="-", created_at=now)
        db.add(account)
        db.flush()
        phone = f"+7916{n:07d}"
        db.add(Contact(account_id=account.id, kind="phone", value=phone, display=phone, verified_at=now,
                       is_primary=True, sign_in=False, recovery=True, created_at=now))
        emails = [Contact(id=uuid.uuid4(), account_id=account.id, kind="email", value=f"race{n}-{i}@example.org",
                          display=f"race{n}-{i}@example.org", verified_at=now, is_primary=False, sign_in=True,
                          recovery=False, created_at=now) for i in range(2)]
        db.add_all(emails)
        _, session = open_session(db, kb.hasher, account_id=account.id, meta=Meta(), method="test", now=now)
    return account, session, [e.id for e in emails]


def test_two_racing_removals_of_the_last_two_sign_in_contacts(kb):
    meta = Meta(ip="127.0.0.1")
    for n in range(ROUNDS):
        account, session, email_ids = make_account(kb, n)
        started = [remove_contact.start(kb.ctx, meta, session=session, contact_id=str(i)) for i in email_ids]
        codes = [code_of(kb, str(ch.id)) for ch in started]
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def confirm(ch: dict, code: str) -> None:
            barrier.wait()
            try:
                challenges.confirm(kb.ctx, meta, str(ch.id), code, session)
                outcomes.append("removed")
            except GuardRefused:
                outcomes.append("refused")

        threads = [threading.Thread(target=confirm, args=pair) for pair in zip(started, codes, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(outcomes) == ["refused", "removed"], f"round {n}: {outcomes}"
        with kb.store.read() as db:
            book = [facts(c) for c in present_contacts(db, account.id)]
            assert violations(book, has_totp=False) == []
            assert len(db.scalars(select(Contact).where(Contact.account_id == account.id,
                                                        Contact.removed_at.is_not(None))).all()) == 1
