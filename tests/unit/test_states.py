"""The states' table (kabinet/domain/states.py): every state has its moves, final states have none, and a move the
table does not list is refused — the one way a flow changes a recovery's, an approval's or a link's state."""

from dataclasses import dataclass

import pytest

from kabinet.domain.states import MOVES, ApprovalState, IllegalMove, LinkState, RecoveryState, move


@dataclass
class Thing:
    state: str


def test_every_state_has_its_moves_and_moves_stay_in_their_kind():
    for kind in (RecoveryState, ApprovalState, LinkState):
        assert len(MOVES[kind]) == len(kind)  # a kind's row is never another kind's of the same value
        for state in kind:
            assert type(next(k for k in MOVES[kind] if k is state)) is kind
            assert all(type(to) is kind for to in MOVES[kind][state]), state


def test_a_value_two_kinds_share_keeps_each_kinds_own_moves():
    # "refused" ends an approval, and a held recovery may become "refused": one table for all three kinds had let
    # the approval's row (no moves) stand for the recovery's too; per kind, each keeps its own
    move(Thing("held"), RecoveryState.REFUSED)
    with pytest.raises(IllegalMove):
        move(Thing("refused"), ApprovalState.WAITING)


@pytest.mark.parametrize("final", [RecoveryState.DONE, RecoveryState.JOINED, RecoveryState.CANCELLED,
                                   RecoveryState.REFUSED, ApprovalState.APPROVED, ApprovalState.BYPASSED,
                                   LinkState.DECLINED, LinkState.CANCELLED])
def test_a_final_state_moves_nowhere(final):
    assert MOVES[type(final)][final] == frozenset()
    with pytest.raises(IllegalMove):
        move(Thing(final.value), RecoveryState.CANCELLED if isinstance(final, RecoveryState) else
             ApprovalState.WAITING if isinstance(final, ApprovalState) else LinkState.ACTIVE)


def test_a_listed_move_is_made_on_a_stored_plain_string_and_an_unlisted_one_refused():
    rec = Thing("held")  # as read from the database: a plain string
    assert move(rec, RecoveryState.DONE) == "done" and rec.state == RecoveryState.DONE
    with pytest.raises(IllegalMove, match="RecoveryState: first_proof -> done"):
        move(Thing("first_proof"), RecoveryState.DONE)  # no password set without the proofs
    with pytest.raises(IllegalMove):
        move(Thing("active"), LinkState.INVITED)
    with pytest.raises(ValueError):
        move(Thing("no-such-state"), ApprovalState.APPROVED)
