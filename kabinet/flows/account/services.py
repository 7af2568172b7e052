"""Services and what they need (S17): a confirmed account, a verified email, a verified phone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from kabinet.domain.requirements import unmet
from kabinet.flows.shared.context import FlowContext
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, Service
from kabinet.store.services import all_services


def missing(service: Service, account: Account, verified_kinds: set[str]) -> list[str]:
    requires = [f"level:{service.needs_level}", *(["verified_email"] if service.needs_email else []),
                *(["verified_phone"] if service.needs_phone else [])]
    return unmet(requires, level=account.level, verified_kinds=verified_kinds)


@dataclass(frozen=True)
class ServiceView:
    id: str
    title: str
    available: bool
    missing: list[str]  # "level:standard", "verified_email", "verified_phone"


def catalogue(ctx: FlowContext, *, account_id: uuid.UUID, locale: str) -> list[ServiceView]:
    with ctx.store.read() as db:
        account = db.get_one(Account, account_id)
        kinds = {c.kind for c in present_contacts(db, account_id) if c.verified_at is not None}
        rows = all_services(db)
        out = []
        for s in rows:
            gaps = missing(s, account, kinds)
            out.append(ServiceView(id=s.id, title=s.title_en if locale == "en" else s.title_ru, available=not gaps,
                                   missing=gaps))
        return out
