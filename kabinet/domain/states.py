"""The states of the three long-lived processes — a recovery, a trusted person's approval, a trusted-person link —
and the moves between them, in one place (as Kratos keeps a flow's states beside their transitions).

Why: the states were string literals set across five modules, so nothing said which moves exist; a typo or a move
from a final state (a done recovery cancelled, a refused approval approved) would have been stored silently. Every
change of state goes through ``move``, which refuses a move the table does not list — a bug, never a citizen's
mistake, so it raises ``IllegalMove`` (a 500 with its reference) rather than a problem for the page. The stored
column stays a plain string (these are ``StrEnum``s: equal to their values, readable in every old row)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol, TypeVar


class RecoveryState(StrEnum):
    FIRST_PROOF = "first_proof"  # a code sent to the contact the citizen named
    SECOND_PROOF = "second_proof"  # another contact's code, the app, a backup code or a passkey
    VISIT = "visit"  # nothing else proves it: only a service centre can
    PASSWORD = "password"  # noqa: S105 - a state, not a secret: the proofs are in: the new password may be set
    HELD = "held"  # waiting out the cooling-off, or for the trusted person
    DONE = "done"
    JOINED = "joined"  # the same citizen asked again: the recovery already waiting goes on instead
    CANCELLED = "cancelled"
    REFUSED = "refused"  # the trusted person said no
    DEAD = "dead"  # too many wrong proofs


class ApprovalState(StrEnum):
    WAITING = "waiting"
    APPROVED = "approved"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    BYPASSED = "bypassed"  # a service centre checked the citizen's passport instead


class LinkState(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"  # in force once its effective time has come (cooling-off), until it ends
    DECLINED = "declined"
    CANCELLED = "cancelled"


R, A, L = RecoveryState, ApprovalState, LinkState
# One table per kind: the kinds share values ("cancelled", "refused"), and StrEnum members equal their strings, so
# one dict keyed by members of all three would let one kind's row overwrite another's.
MOVES: dict[type[StrEnum], dict[Any, frozenset[Any]]] = {
    RecoveryState: {
        R.FIRST_PROOF: frozenset({R.SECOND_PROOF, R.VISIT, R.PASSWORD, R.HELD, R.JOINED, R.CANCELLED}),
        R.SECOND_PROOF: frozenset({R.PASSWORD, R.HELD, R.JOINED, R.DEAD, R.CANCELLED}),
        R.VISIT: frozenset({R.CANCELLED}),
        R.PASSWORD: frozenset({R.DONE, R.CANCELLED}),
        R.HELD: frozenset({R.DONE, R.CANCELLED, R.REFUSED}),
        R.DEAD: frozenset({R.CANCELLED}),
        R.DONE: frozenset(), R.JOINED: frozenset(), R.CANCELLED: frozenset(), R.REFUSED: frozenset(),
    },
    ApprovalState: {
        A.WAITING: frozenset({A.APPROVED, A.REFUSED, A.CANCELLED, A.BYPASSED}),
        A.APPROVED: frozenset(), A.REFUSED: frozenset(), A.CANCELLED: frozenset(), A.BYPASSED: frozenset(),
    },
    LinkState: {
        L.INVITED: frozenset({L.ACTIVE, L.DECLINED, L.CANCELLED}),
        L.ACTIVE: frozenset({L.CANCELLED}),
        L.DECLINED: frozenset(), L.CANCELLED: frozenset(),
    },
}

S = TypeVar("S", RecoveryState, ApprovalState, LinkState)


class HasState(Protocol):
    state: str


class IllegalMove(RuntimeError):
    """A move the table does not list: a defect in a flow."""


def move(thing: HasState, to: S) -> S:
    """Set ``thing.state`` to ``to`` if the table allows the move from its current state; else ``IllegalMove``."""
    kind = type(to)
    current = kind(thing.state)
    if to not in MOVES[kind][current]:
        raise IllegalMove(f"{type(to).__name__}: {current.value} -> {to.value}")
    thing.state = to
    return to
