"""Export my data (S3): the account, every contact (removed ones too), the whole history and the
support requests, as one JSON document. Exporting is itself recorded."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from kabinet.audit.events import EventType, Meta, record
from kabinet.flows.shared.accounts import account_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.results import account_view
from kabinet.store import history
from kabinet.store.contacts import all_contacts
from kabinet.store.models import Session as UserSession


@dataclass(frozen=True)
class Export:
    """One JSON document with everything the account holds (S3): a document by nature, so its parts are plain
    mappings in the shape a citizen reads, not views of the live account."""

    exported_at: datetime
    account: dict[str, Any]
    contacts: list[dict[str, Any]]
    history: list[dict[str, Any]]
    requests: list[dict[str, Any]]


def run(ctx: FlowContext, meta: Meta, *, session: UserSession) -> Export:
    with account_step(ctx, session) as (db, account, now):
        record(db, account, EventType.DATA_EXPORTED, at=now, meta=meta)
        contacts = all_contacts(db, account.id)
        events = history.every(db, account.id)
        requests = history.requests(db, account.id)
        return Export(
            exported_at=now,
            account={**asdict(account_view(account)), "snils": account.snils,
                     "birth_date": account.birth_date.isoformat() if account.birth_date else None,
                     "created_at": account.created_at.isoformat()},
            contacts=[{"id": str(c.id), "kind": c.kind, "value": c.display,
                       "verified_at": _iso(c.verified_at), "removed_at": _iso(c.removed_at),
                       "primary": c.is_primary, "sign_in": c.sign_in, "recovery": c.recovery} for c in contacts],
            history=[{"seq": e.seq, "at": e.at.isoformat(), "type": e.type, "actor": e.actor,
                      "details": e.details, "ip": e.ip, "hash": e.hash} for e in events],
            requests=[{"id": str(r.id), "topic": r.topic, "text": r.text, "state": r.state,
                       "created_at": r.created_at.isoformat()} for r in requests],
        )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None
