"""Step-up: a fresh second factor inside a session, required before sensitive changes (S6, rule 4).

Confirming rotates the session token, so a token copied before the step-up cannot ride on it.
"""

from __future__ import annotations

from typing import Any

from kabinet.audit.events import EventType, Meta, record
from kabinet.bootstrap import Kabinet
from kabinet.flows import challenges
from kabinet.flows.accounts import account_step, second_factor
from kabinet.security.sessions import rotate
from kabinet.store.models import Account, Challenge
from kabinet.store.models import Session as UserSession


def start(kb: Kabinet, meta: Meta, *, session: UserSession) -> dict[str, Any]:
    with account_step(kb, session) as (db, account, now):
        channel, contact = second_factor(db, account)
        ch = challenges.issue(kb, db, now=now, meta=meta, purpose="step_up", channel=channel,
                              destination=contact.value if contact else None, account=account, session=session,
                              contact_id=contact.id if contact else None)
        return challenges.view(ch, now)


def mark_fresh(step: challenges.Step, account: Account, channel: str, *, new_token: bool = False) -> str | None:
    """Record a second factor just confirmed in this session (any confirmed code counts as one);
    with ``new_token``, rotate the session token and return it."""
    if step.session is None:
        return None
    row = step.db.get_one(UserSession, step.session.id)
    row.second_factor_at = step.now
    record(step.db, account, EventType.STEP_UP, at=step.now, meta=step.meta, channel=channel)
    return rotate(row, step.kb.hasher) if new_token else None


@challenges.on_confirm("step_up")
def _confirm(step: challenges.Step, ch: Challenge, account: Account | None) -> dict[str, Any]:
    assert account is not None
    return {"session_token": mark_fresh(step, account, ch.channel, new_token=True)}
