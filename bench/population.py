"""Fill a PostgreSQL store with N bench citizens, fast, with COPY (issue 12: the flows must cost the same at 10⁴ and
10⁶ accounts, so the bench needs a national-size store in minutes, not hours).

Citizen i is the bench's citizen i (``bench.seed``): phone +7 901 xxx-xx-xx and user{i}@example.org, verified,
primary, the bench password. Like a real population, not everyone is alike: every second citizen has a second
address, every fourth a second phone (2–4 contacts each), and each has some history — registration and the first
confirmation, hash-chained with the service key as the app writes them (``kabinet audit verify`` holds) — and one
sent letter in the outbox. Run again with a larger N to grow the same store (it continues after the citizens
already there)::

    python -m bench.population --database-url postgresql+psycopg://postgres@127.0.0.1:5432/kabinet_bench 100000

The service key comes from ``KABINET_SECRET_KEY`` (or the data dir's key file), as for the server that will use
the store: the history chain is keyed with it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import func, select, text

from bench.seed import PASSWORD, phone
from kabinet import bootstrap
from kabinet.audit.events import CHAIN_KEY, event_digest
from kabinet.config import Settings
from kabinet.security.passwords import hash_password
from kabinet.store.migrate import upgrade
from kabinet.store.models import Account, Event

BATCH = 20_000
ACCOUNT_COLUMNS = ("id", "level", "full_name", "locale", "password_hash", "status", "created_at", "event_seq",
                   "event_head")
CONTACT_COLUMNS = ("id", "account_id", "kind", "value", "display", "verified_at", "is_primary", "sign_in", "recovery",
                   "created_at", "last_confirmed_at")
EVENT_COLUMNS = ("account_id", "seq", "at", "actor", "type", "details", "ip", "user_agent", "prev_hash", "hash")
OUTBOX_COLUMNS = ("account_id", "contact_id", "channel", "destination", "template", "locale", "data", "state",
                  "attempts", "next_attempt_at", "idempotency_key", "created_at", "sent_at", "provider_id")


def contacts_of(i: int) -> Iterator[tuple[str, str, bool]]:
    """(kind, value, primary) of citizen i: 2–4 contacts."""
    yield "phone", phone(i), True
    yield "email", f"user{i}@example.org", True
    if i % 2:
        yield "email", f"user{i}.home@example.com", False
    if i % 4 == 3:
        yield "phone", f"+7902{i:07d}", False


def batch_rows(start: int, stop: int, *, hashed: str, key: bytes, now) -> tuple[list, list, list, list]:
    accounts, contacts, events, outbox = [], [], [], []
    for i in range(start, stop):
        account_id, born = uuid.uuid4(), now - timedelta(days=30 + i % 3000, seconds=i % 86400)
        at = born.replace(tzinfo=None)  # the store keeps UTC without a zone (kabinet.store.types)
        head, seq = "", 0
        mine = [(uuid.uuid4(), kind, value, primary) for kind, value, primary in contacts_of(i)]
        for contact_id, kind, value, primary in mine:
            contacts.append((contact_id, account_id, kind, value, value, at, primary, primary, True, at, at))
        for type_, details in (("account:registered", {"method": "phone"}),
                               ("contact:verified", {"kind": "email", "contact": mine[1][2]})):
            seq += 1
            event = Event(account_id=account_id, seq=seq, at=born, actor="citizen", actor_id=None, type=type_,
                          details=details, ip="127.0.0.1", user_agent="kabinet-bench/1", prev_hash=head)
            head = event_digest(event, key)
            events.append((account_id, seq, at, "citizen", type_, json.dumps(details, ensure_ascii=False),
                           "127.0.0.1", "kabinet-bench/1", event.prev_hash, head))
        accounts.append((account_id, "standard", f"Тестов Тест {i}", "ru", hashed, "active", at, seq, head))
        outbox.append((account_id, mine[1][0], "email", mine[1][2], "verify_email", "ru", "{}", "sent", 1, at,
                       f"population-{i}", at, at, "bench"))
    return accounts, contacts, events, outbox


def copy(cursor, table: str, columns: tuple[str, ...], rows: list) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
        for row in rows:
            out.write_row(row)


def progress(done: int, total: int, started: float) -> None:
    width, share = 40, done / max(total, 1)
    bar = "#" * int(width * share) + "." * (width - int(width * share))
    rate = done / max(time.monotonic() - started, 1e-9)
    sys.stderr.write(f"\r[{bar}] {100 * share:5.1f}%  {done:,}/{total:,} citizens  {rate:,.0f}/s ")
    sys.stderr.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("accounts", type=int, help="how many citizens the store should hold when done")
    args = ap.parse_args()
    if not args.database_url.startswith("postgresql"):
        sys.exit("COPY needs PostgreSQL (the bench's SQLite store is seeded by bench.seed)")
    kb = bootstrap.build(Settings(database_url=args.database_url))
    upgrade(kb.store.engine)
    with kb.store.read() as db:
        have = db.scalar(select(func.count()).select_from(Account)) or 0
        key = db.info[CHAIN_KEY]
    if have >= args.accounts:
        print(f"the store already holds {have:,} citizens")
        return
    hashed, now, started = hash_password(PASSWORD), kb.clock.now(), time.monotonic()
    todo = args.accounts - have
    for start in range(have, args.accounts, BATCH):
        accounts, contacts, events, outbox = batch_rows(start, min(start + BATCH, args.accounts), hashed=hashed,
                                                        key=key, now=now)
        raw = kb.store.engine.raw_connection()
        try:
            with raw.cursor() as cursor:
                copy(cursor, "account", ACCOUNT_COLUMNS, accounts)
                copy(cursor, "contact", CONTACT_COLUMNS, contacts)
                copy(cursor, "event", EVENT_COLUMNS, events)
                copy(cursor, "outbox", OUTBOX_COLUMNS, outbox)
            raw.commit()
        finally:
            raw.close()
        progress(min(start + BATCH, args.accounts) - have, todo, started)
    with kb.store.engine.connect() as conn:  # fresh statistics, or the planner guesses from an empty table
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    sys.stderr.write(f"\n{todo:,} citizens added in {time.monotonic() - started:.0f} s; the store holds "
                     f"{args.accounts:,}\n")
    kb.store.dispose()


if __name__ == "__main__":
    main()
