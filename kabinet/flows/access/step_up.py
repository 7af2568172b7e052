"""Step-up: a fresh second factor inside a session, required before sensitive changes (S6, rule 4).

Confirming rotates the session token, so a token copied before the step-up cannot ride on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kabinet.audit.events import Meta
from kabinet.flows.shared import challenges
from kabinet.flows.shared.accounts import account_step, second_factor
from kabinet.flows.shared.confirmations import mark_fresh
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.results import ChallengeView, challenge_view
from kabinet.store.models import Account, Challenge
from kabinet.store.models import Session as UserSession


def start(ctx: FlowContext, meta: Meta, *, session: UserSession) -> ChallengeView:
    with account_step(ctx, session) as (db, account, now):
        channel, contact = second_factor(db, account)
        ch = challenges.issue(ctx, db, now=now, meta=meta, purpose="step_up", channel=channel,
                              destination=contact.value if contact else None, account=account, session=session,
                              contact_id=contact.id if contact else None)
        return challenge_view(ch)


@dataclass(frozen=True)
class SteppedUp:
    session_token: str | None  # the rotated token of this session


@challenges.on_confirm("step_up")
def _confirm(step: challenges.Step, ch: Challenge, account: Account | None) -> SteppedUp:
    assert account is not None
    return SteppedUp(session_token=mark_fresh(step, account, ch.channel, new_token=True))
