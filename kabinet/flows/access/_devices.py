"""Sign-in notices: a citizen learns at once of a sign-in from a browser their account has not been
used on — not only by reading the session list.

A device is a browser holding the long-lived device cookie (an opaque random id, set at its first sign-in, kept here
only as a keyed hash). Every completed sign-in calls ``note_sign_in`` in its own transaction: a known device is
seen again; an unknown one is remembered and the primary contacts hear of it — when, where (the country, as the
session list shows it), which browser and system, how — with a "this wasn't me" link. Sign-ins close together go
out as one message (the notice delay); each contact may switch these notices off (recoveries are told regardless,
by their own notices)."""

from __future__ import annotations

import uuid
from datetime import datetime

from babel import Locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from kabinet.audit.events import Meta
from kabinet.domain.devices import METHOD_TEXTS, describe_device
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.notices import sign_in_notice, when
from kabinet.store.models import Account, KnownDevice
from kabinet.texts import translate

COOKIE = "kabinet_device"


def note_sign_in(ctx: FlowContext, db: Session, account: Account, meta: Meta, now: datetime, method: str, *,
                 quietly: bool = False) -> bool:
    """Remember the device of a sign-in just completed; True when it was new and told. The account's first device
    ever is remembered quietly (``quietly`` says so at registration): an account that knew no device before —
    every account on the day this shipped — would otherwise tell its owner of their own sign-in."""
    if not meta.device:
        return False
    digest = ctx.hasher.digest("device", meta.device)
    devices = db.scalars(select(KnownDevice).where(KnownDevice.account_id == account.id)).all()
    known = next((d for d in devices if d.device_hash == digest), None)
    if known is not None:
        known.last_seen_at = now
        return False
    db.add(KnownDevice(id=uuid.uuid4(), account_id=account.id, device_hash=digest, first_seen_at=now,
                       last_seen_at=now))
    if quietly or not devices:
        return False
    sign_in_notice(ctx, db, account, now=now, what=_described(ctx, account.locale, meta, now, method))
    return True


def _described(ctx: FlowContext, locale: str, meta: Meta, now: datetime, method: str) -> str:
    country = ctx.places.country(meta.ip)
    place = Locale.parse(locale).territories.get(country) if country else None
    parts = [when(now, locale), describe_device(meta.user_agent),
             place or translate(locale, "place unknown"), translate(locale, METHOD_TEXTS.get(method, method))]
    return ", ".join(parts)
