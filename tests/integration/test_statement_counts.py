"""Issue 12's shape rules, measured in statements (no timing): a step reads the account's contact book once, a
read costs the same statements however many contacts there are (no N+1), and the notices of a change look for
waiting notices in one query."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from kabinet.demo import EMAIL, PHONE
from tests.integration.helpers import add_verified_email, contacts, link_token

BOOK = "WHERE contact.account_id"
WAITING = "outbox.attempts ="


@contextmanager
def statements(kb) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(" ".join(statement.split()))

    for engine in kb.store.engines:  # on PostgreSQL the web tier's steps run over the async engine's connections
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for engine in kb.store.engines:
            event.remove(engine, "before_cursor_execute", count)


def reads_of(seen: list[str], marker: str) -> int:
    return sum(marker in s and s.startswith("SELECT") for s in seen)


def test_every_step_of_a_contact_cycle_reads_the_contact_book_once(client, kb, sms, mail, ivan):
    new = "ivan.new@example.org"
    with statements(kb) as seen:
        added = ivan.post("/api/v1/contacts", {"kind": "email", "value": new})
    assert added.status_code == 201 and reads_of(seen, BOOK) == 1
    token = link_token(ivan, new)
    with statements(kb) as seen:
        assert ivan.post("/api/v1/contacts/verify", {"token": token}).status_code == 200
    assert reads_of(seen, BOOK) == 1 and reads_of(seen, WAITING) == 1
    with statements(kb) as seen:
        assert ivan.post(f"/api/v1/contacts/{added.json()['contact']['id']}/primary").status_code == 200
    assert reads_of(seen, BOOK) == 1 and reads_of(seen, WAITING) == 1
    old = contacts(ivan)[EMAIL]["id"]
    with statements(kb) as seen:
        started = ivan.delete(f"/api/v1/contacts/{old}")
    assert started.status_code == 202 and reads_of(seen, BOOK) == 1
    code = ivan.code_for(PHONE)
    with statements(kb) as seen:
        assert ivan.post(f"/api/v1/challenges/{started.json()['challenge']['id']}/confirm",
                         {"code": code}).status_code == 200
    assert reads_of(seen, BOOK) == 1 and reads_of(seen, WAITING) == 1


def test_a_read_costs_the_same_statements_with_two_contacts_or_six(client, kb, sms, mail, ivan):
    with statements(kb) as few:
        assert len(ivan.get("/api/v1/contacts").json()["contacts"]) == 2
    for n in range(4):
        add_verified_email(ivan, f"ivan.{n}@example.org")
    with statements(kb) as many:
        assert len(ivan.get("/api/v1/contacts").json()["contacts"]) == 6
    assert len(few) == len(many) == 2  # the session; the contacts with what their last letters came to


def test_the_look_for_waiting_notices_reads_only_unclaimed_ones(client, kb, sms, mail, ivan):
    """A change looks for its contacts' waiting notices (to extend one instead of queuing another) on the partial
    index of unclaimed rows: a contact's history of sent messages — every sign-in's SMS, for years — is not read.
    Shown by the database's own plan of the statement the step sent, with its parameters, on SQLite and PostgreSQL
    (a planner uses a partial index only when the statement's own terms imply its condition)."""
    sent: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, params, _context, _many) -> None:
        if WAITING in statement:
            sent.append((statement, params))

    added = ivan.post("/api/v1/contacts", {"kind": "email", "value": "ivan.new@example.org"})
    token = link_token(ivan, "ivan.new@example.org")
    for engine in kb.store.engines:
        event.listen(engine, "before_cursor_execute", keep)
    try:
        assert ivan.post("/api/v1/contacts/verify", {"token": token}).status_code == 200
    finally:
        for engine in kb.store.engines:
            event.remove(engine, "before_cursor_execute", keep)
    assert added.status_code == 201 and len(sent) == 1
    statement, params = sent[0]
    with kb.store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")  # a test's tiny table would be read whole anyway
            plan = conn.exec_driver_sql(f"EXPLAIN {statement}", params).all()
    assert "ix_outbox_waiting" in " ".join(str(row) for row in plan), plan
