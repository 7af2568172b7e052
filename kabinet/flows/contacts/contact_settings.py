"""Which contacts serve sign-in and recovery (S4, S13): shown and editable, never leaving the account
without a verified sign-in contact or a recovery channel (rule 1)."""

from __future__ import annotations

from kabinet.audit.events import EventType, Meta, record
from kabinet.domain.contact_book import violations
from kabinet.domain.errors import ContactNotVerified, RecoverySettingRefused, SettingRefused
from kabinet.domain.ids import Id
from kabinet.flows.shared import relying
from kabinet.flows.shared.accounts import account_step, facts
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import contact_changed, masked
from kabinet.flows.shared.results import ContactView, contact_view
from kabinet.store.contacts import own_contact, present_contacts
from kabinet.store.models import Session as UserSession
from kabinet.store.passkeys import count_of
from kabinet.texts import text


def update(ctx: FlowContext, meta: Meta, *, session: UserSession, contact_id: Id, sign_in: bool | None,
           recovery: bool | None, sign_in_notices: bool | None = None) -> ContactView:
    """``sign_in_notices``: whether this contact hears of sign-ins from new devices — the citizen's own
    choice; it weakens nothing the guards hold, so it needs no fresh second factor and no notice of its own."""
    with account_step(ctx, session, fresh_factor=sign_in is not None or recovery is not None) as (db, account, now):
        contact = own_contact(db, account.id, contact_id)
        if contact.verified_at is None and (sign_in or recovery):
            raise ContactNotVerified()
        if sign_in_notices is not None and contact.sign_in_notices != sign_in_notices:
            contact.sign_in_notices = sign_in_notices
            record(db, account, EventType.CONTACT_SETTINGS, at=now, meta=meta, contact=str(contact.id),
                   value=masked(contact), sign_in_notices=sign_in_notices)
        before = (contact.sign_in, contact.recovery)
        contact.sign_in = contact.sign_in if sign_in is None else sign_in
        contact.recovery = contact.recovery if recovery is None else recovery
        if (contact.sign_in, contact.recovery) == before:
            return contact_view(contact)
        broken = violations([facts(c) for c in present_contacts(db, account.id)], has_totp=bool(account.totp_secret),
                            has_passkey=count_of(db, account.id) > 0)
        if broken:  # the transaction rolls back: nothing changed
            refusal = RecoverySettingRefused if "no_recovery_channel" in broken and "no_sign_in_contact" not in broken \
                else SettingRefused
            raise refusal(violations=broken, field="roles")
        record(db, account, EventType.CONTACT_SETTINGS, at=now, meta=meta, contact=str(contact.id),
               value=masked(contact), sign_in=contact.sign_in, recovery=contact.recovery)
        contact_changed(ctx, db, account, now=now, what=text("sign-in and recovery settings of {contact}",
                                                             contact=masked(contact)))
        relying.push(ctx, db, account.id, "recovery-information-changed", now)
        return contact_view(contact)
