"""One code is one use, on every store (issue 8): confirms racing each other in threads with their own database
connections. On PostgreSQL these failed before the challenge row was locked and read afresh under the lock."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from kabinet.demo import PHONE, seed
from kabinet.domain.errors import KabinetError
from kabinet.flows.access import registration, sign_in
from kabinet.flows.contacts import verify_email
from kabinet.flows.contacts._api import new_contacts
from kabinet.flows.shared import challenges
from kabinet.security.sessions import open_session
from kabinet.store.models import Account, Contact, Session
from tests.integration.helpers import META, PASSWORD
from tests.secrets import code_of, secret_for_contact

ROUNDS = 8


def race(*calls: Callable[[], object]) -> list[str]:
    """Run the calls at the same moment; each outcome is "ok" or the domain error's code."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            call()
            outcomes.append("ok")
        except KabinetError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(outcomes)


def sessions_of(kb) -> int:
    with kb.store.read() as db:
        return db.scalar(select(func.count()).select_from(Session))


def test_the_right_code_confirmed_twice_at_once_opens_one_session(kb):
    seed(kb, PASSWORD)
    for n in range(ROUNDS):
        ch = sign_in.start(kb.ctx, META, login=PHONE, password=PASSWORD)
        code = code_of(kb, str(ch.id))
        before = sessions_of(kb)
        outcomes = race(*[lambda: challenges.confirm(kb.ctx, META, str(ch.id), code, None)] * 2)
        assert outcomes == ["challenge.used", "ok"], f"round {n}: {outcomes}"
        assert sessions_of(kb) == before + 1


def test_a_burst_of_wrong_codes_spends_exactly_the_attempts(kb):
    seed(kb, PASSWORD)
    ch = sign_in.start(kb.ctx, META, login=PHONE, password=PASSWORD)
    code = code_of(kb, str(ch.id))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    outcomes = race(*[lambda: challenges.confirm(kb.ctx, META, str(ch.id), wrong, None)] * 8)
    assert outcomes.count("challenge.code_wrong") == 2, outcomes
    assert outcomes.count("challenge.too_many_attempts") == 6, outcomes
    late = race(lambda: challenges.confirm(kb.ctx, META, str(ch.id), code, None))
    assert late == ["challenge.too_many_attempts"]  # the limit was 3, and it held


def test_one_registration_code_confirmed_twice_at_once_makes_one_account(kb):
    for n in range(ROUNDS):
        phone = f"+7916555{n:04d}"
        ch = registration.start(kb.ctx, META, phone=phone, password="a long enough secret", full_name="Гонкин Гонка")
        code = code_of(kb, str(ch.id))
        outcomes = race(*[lambda: challenges.confirm(kb.ctx, META, str(ch.id), code, None)] * 2)
        assert outcomes == ["challenge.used", "ok"], f"round {n}: {outcomes}"
        with kb.store.read() as db:
            assert db.scalar(select(func.count()).select_from(Contact).where(Contact.value == phone)) == 1


def two_accounts(kb, n: int) -> list[tuple[Account, Session]]:
    now = kb.clock.now()
    out = []
    with kb.store.write() as db:
        for i in range(2):
            account = Account(level="simplified", full_name="Гонкин Гонка", password_hash="-", created_at=now)
            db.add(account)
            db.flush()
            db.add(Contact(account_id=account.id, kind="phone", value=f"+7917{n:05d}{i:02d}", display="-",
                           verified_at=now, is_primary=True, sign_in=True, recovery=True, created_at=now))
            _, session = open_session(db, kb.hasher, account_id=account.id, meta=META, method="test", now=now)
            out.append((account, session))
    return out


def test_two_accounts_verifying_one_address_at_once_get_answers_not_errors(kb):
    for n in range(ROUNDS):
        address = f"shared{n}@example.org"
        tokens = []
        for account, _session in two_accounts(kb, n):
            with kb.store.write() as db:
                locked = db.get_one(Account, account.id)
                contact = new_contacts.add_email(kb.ctx, db, locked, meta=META, now=kb.clock.now(), email=address,
                                                display=address)
            tokens.append(secret_for_contact(kb, contact.id, "verify_email", "link").split("token=")[1])
        outcomes = race(*[lambda t=t: verify_email.confirm(kb.ctx, META, token=t) for t in tokens])
        assert outcomes == ["link.invalid", "ok"], f"round {n}: {outcomes}"
        with kb.store.read() as db:
            verified = db.scalar(select(func.count()).select_from(Contact).where(
                Contact.value == address, Contact.verified_at.is_not(None)))
            assert verified == 1


def test_one_recovery_sets_one_password_and_a_backup_code_works_once_even_racing(kb):
    from kabinet.flows.recovery import backup_codes, password_reset
    from kabinet.security.passwords import verify_password

    seed(kb, PASSWORD)
    with kb.store.write() as db:  # the demo citizen keeps only the phone for recovery: the backup code is the 2nd proof
        db.execute(Contact.__table__.update().where(Contact.kind == "email").values(recovery=False))
        account = db.scalars(select(Account)).one()
        _, session = open_session(db, kb.hasher, account_id=account.id, meta=META, method="test", now=kb.clock.now())
    codes = backup_codes.make(kb.ctx, META, session=session)
    for n in range(3):
        started = password_reset.start(kb.ctx, META, login=PHONE)
        challenges.confirm(kb.ctx, META, str(started.challenge.id), code_of(kb, str(started.challenge.id)), None)
        rid = str(started.recovery_id)
        proofs = race(*[lambda: password_reset.prove(kb.ctx, META, recovery_id=rid, kind="backup_code",
                                                     code=codes[n])] * 2)
        assert proofs == ["ok", "recovery.not_found"], f"round {n}: {proofs}"
        words = [f"racing password {n} alpha", f"racing password {n} omega"]
        sets = race(*[lambda w=w: password_reset.set_password(kb.ctx, META, recovery_id=rid, password=w)
                      for w in words])
        assert sets == ["ok", "recovery.not_found"], f"round {n}: {sets}"
        with kb.store.read() as db:
            stored = db.get_one(Account, account.id).password_hash
            assert sum(verify_password(stored, w) for w in words) == 1
        kb.clock.advance(seconds=61)


def test_the_per_account_wrong_code_budget_holds_under_a_concurrent_burst(kb):
    from dataclasses import replace

    import pyotp

    from kabinet.audit.events import EventType
    from kabinet.security.ratelimit import RateLimiter
    from kabinet.store.models import Event

    shared = RateLimiter("redis://127.0.0.1:6379/14")  # shared counters, as with several workers
    kb = replace(kb, ctx=replace(kb.ctx, limiter=shared))
    seed(kb, PASSWORD)
    with kb.store.write() as db:  # an app, so sign-ins ask it and no SMS budget is spent
        account = db.scalars(select(Account)).one()
        account.totp_secret = kb.totp_sealer.seal(pyotp.random_base32())
    for n in range(6):
        kb.limiter.reset()
        with kb.store.read() as db:
            before = db.scalar(select(func.count()).select_from(Event).where(Event.type == EventType.CODE_WRONG))
        chs = [sign_in.start(kb.ctx, META, login=PHONE, password=PASSWORD).id for _ in range(6)]
        outcomes = race(*[lambda c=c: challenges.confirm(kb.ctx, META, c, "000000", None)
                          for c in chs for _ in range(3)])
        with kb.store.read() as db:
            counted = db.scalar(select(func.count()).select_from(Event).where(Event.type == EventType.CODE_WRONG))
        assert counted - before <= 10, f"round {n}: {counted - before} wrong codes tried, {outcomes}"
        assert "rate_limited" in outcomes
