"""A trusted person's decisions under concurrency (issue 15), in threads with their own database connections:
one request is decided once, and two people who trust each other, approving each other's requests at the same
moment, both get through — the two account rows are locked in one order, so neither waits for the other forever
(on PostgreSQL a lock taken in the acting account's order first deadlocked here)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from kabinet.demo import PHONE
from kabinet.flows.shared import challenges
from kabinet.flows.trusted import approvals
from kabinet.store.models import Approval, Session
from tests.driver import Citizen
from tests.integration.helpers import PASSWORD
from tests.integration.test_code_races import META, race
from tests.integration.test_trusted import PETROV, make_trusted, person
from tests.secrets import code_of

ROUNDS = 4


def session_of(kb, c: Citizen) -> Session:
    account_id = c.get("/api/v1/me").json()["id"]
    with kb.store.read() as db:
        return db.scalars(select(Session).where(Session.account_id == uuid.UUID(account_id),
                                                Session.revoked_at.is_(None))
                          .order_by(Session.created_at.desc())).first()


def approve_codes(kb, trustee: Session, approval_id: str, n: int) -> list[tuple[str, str]]:
    out = []
    for _ in range(n):
        ch = approvals.start_approve(kb.ctx, META, session=trustee, approval_id=approval_id)
        out.append((str(ch.id), code_of(kb, str(ch.id))))
    return out


def test_two_approvals_of_one_request_at_once_decide_it_once(client, kb, sms, mail, clock, ivan):
    client.cookies.clear()
    petrov = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович")
    make_trusted(ivan, petrov, PETROV)
    trustee = session_of(kb, petrov)
    current = PASSWORD
    for n in range(ROUNDS):
        clock.advance(seconds=61)
        new = f"a fresh long secret {n}"
        asked = ivan.post("/api/v1/password", {"current": current, "new": new})
        assert asked.status_code == 202, asked.text
        approval_id = asked.json()["approval"]["id"]
        codes = approve_codes(kb, trustee, approval_id, 2)
        outcomes = race(*[lambda c=c: challenges.confirm(kb.ctx, META, c[0], c[1], trustee) for c in codes])
        assert outcomes == ["approval.not_found", "ok"], f"round {n}: {outcomes}"
        with kb.store.read() as db:
            assert db.get(Approval, uuid.UUID(approval_id)).state == "approved"
        probe = Citizen(client, kb, sms, mail)
        assert probe.post("/api/v1/sign-in", {"login": PHONE, "password": new}).status_code == 202
        current = new


def test_two_people_who_trust_each_other_approve_each_other_at_once(client, kb, sms, mail, clock, ivan):
    client.cookies.clear()
    petrov = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович")
    make_trusted(ivan, petrov, PETROV)
    invited = petrov.post("/api/v1/trusted/invitations", {"phone": PHONE}).json()["link"]
    assert ivan.post(f"/api/v1/trusted/invitations/{invited['id']}/accept").status_code == 200
    passwords = {"ivan": PASSWORD, "petrov": "registered secret 1"}
    for n in range(ROUNDS):
        clock.advance(seconds=61)
        mine = ivan.post("/api/v1/password", {"current": passwords["ivan"], "new": f"ivan new secret {n}"})
        theirs = petrov.post("/api/v1/password", {"current": passwords["petrov"], "new": f"petr new secret {n}"})
        assert mine.status_code == theirs.status_code == 202
        as_petrov, as_ivan = session_of(kb, petrov), session_of(kb, ivan)
        by_petrov = approve_codes(kb, as_petrov, mine.json()["approval"]["id"], 1)[0]
        by_ivan = approve_codes(kb, as_ivan, theirs.json()["approval"]["id"], 1)[0]
        outcomes = race(lambda: challenges.confirm(kb.ctx, META, *by_petrov, as_petrov),
                        lambda: challenges.confirm(kb.ctx, META, *by_ivan, as_ivan))
        assert outcomes == ["ok", "ok"], f"round {n}: {outcomes}"
        passwords = {"ivan": f"ivan new secret {n}", "petrov": f"petr new secret {n}"}
