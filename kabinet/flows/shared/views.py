"""Public shapes (API.md) of what flows return; one place, so the API and pages agree."""

from __future__ import annotations

from typing import Any

from kabinet.domain.email import PROVIDER_TITLES, provider_of
from kabinet.store.models import Account, Contact, Outbox


def account_view(account: Account) -> dict[str, Any]:
    return {"id": str(account.id), "full_name": account.full_name, "level": account.level,
            "locale": account.locale}


def contact_view(contact: Contact, last: Outbox | None = None) -> dict[str, Any]:
    return {
        "id": str(contact.id), "kind": contact.kind, "value": contact.display, "provider": _provider(contact),
        "verified": contact.verified_at is not None,
        "verified_at": contact.verified_at.isoformat() if contact.verified_at else None,
        "primary": contact.is_primary, "sign_in": contact.sign_in, "recovery": contact.recovery,
        "replaces": str(contact.replaces_id) if contact.replaces_id else None,
        "last_delivery": delivery_view(last),
    }


def _provider(contact: Contact) -> str | None:
    if contact.kind != "email":
        return None
    key = provider_of(contact.value.rpartition("@")[2])
    return PROVIDER_TITLES.get(key, key)


def delivery_view(row: Outbox | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"state": row.state, "at": (row.sent_at or row.created_at).isoformat(), "attempts": row.attempts}
