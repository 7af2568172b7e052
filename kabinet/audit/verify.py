"""Walking every account's history chain (``kabinet audit verify``): two queries per thousand accounts,
events streamed in chain order, so a national-size store is checked without loading it whole."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import func, select

from kabinet.audit.events import chain_key, first_break
from kabinet.store.db import Store
from kabinet.store.models import Account, Event

BATCH = 1000


@dataclass(frozen=True)
class Break:
    account_id: uuid.UUID
    seq: int  # the first bad event; 0 when the newest events are missing


def count_accounts(store: Store) -> int:
    with store.read() as db:
        return db.scalar(select(func.count()).select_from(Account)) or 0


def breaks(store: Store, progress: Callable[[int], None] = lambda n: None) -> Iterator[Break]:
    after: uuid.UUID | None = None
    while True:
        with store.read() as db:
            key = chain_key(db)
            query = select(Account.id, Account.event_head, Account.event_seq).order_by(Account.id).limit(BATCH)
            heads = db.execute(query.where(Account.id > after) if after else query).all()
            if not heads:
                return
            events = db.scalars(select(Event).where(Event.account_id.in_([h.id for h in heads]))
                                .order_by(Event.account_id, Event.seq))
            chains = {account_id: list(rows) for account_id, rows in groupby(events, key=lambda e: e.account_id)}
            for head in heads:
                seq = first_break(chains.get(head.id, []), key, head=head.event_head, count=head.event_seq)
                if seq is not None:
                    yield Break(head.id, seq)
            progress(len(heads))
            after = heads[-1].id
