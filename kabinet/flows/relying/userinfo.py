"""Userinfo (OIDC Core §5.3): read now, from the current contacts — never from what was true when the token was
issued (S18). A removed address is gone at once; the primary verified address and phone are the ones given."""

from __future__ import annotations

from typing import Any

from kabinet.domain.oauth import OAuthError
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.relying import access_owner, subject
from kabinet.store.contacts import present_contacts
from kabinet.store.models import Account, Contact


def claims(ctx: FlowContext, *, token: str) -> dict[str, Any]:
    found = access_owner(ctx, token)
    if found is None:
        raise OAuthError("invalid_token", "the access token is unknown, expired or revoked", status=401)
    row, client = found
    with ctx.store.read() as db:
        account = db.get_one(Account, row.account_id)
        contacts = present_contacts(db, account.id)
    out: dict[str, Any] = {"sub": subject(ctx, client, account.id), "acr": account.level}
    if "profile" in row.scopes:
        out["name"] = account.full_name
    if "email" in row.scopes and (email := _best(contacts, "email")):
        out |= {"email": email.value, "email_verified": email.verified_at is not None}
    if "phone" in row.scopes and (phone := _best(contacts, "phone")):
        out |= {"phone_number": phone.value, "phone_number_verified": phone.verified_at is not None}
    return out


def _best(contacts: list[Contact], kind: str) -> Contact | None:
    """The primary one of a kind; else any verified one; else none (an unverified address is never offered)."""
    verified = [c for c in contacts if c.kind == kind and c.verified_at is not None]
    return next((c for c in verified if c.is_primary), verified[0] if verified else None)
