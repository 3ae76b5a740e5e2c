import pytest

from logicdistill.games.pursuit.maps import parse_map
from logicdistill.games.pursuit.rules import (
    PursuitState,
    legal_moves,
    move_target,
    resolve_moves,
    step_state,
)

# 5 rows x 7 columns: an open 3x5 room, plus one inner wall at (3, 5) for the wall checks.
ROOM = parse_map(
    """\
#######
#.....#
#.....#
#....##
#######
"""
)


def state(pursuers, evaders, captured=None, step=0, max_steps=100):
    captured = captured or (False,) * len(evaders)
    return PursuitState(ROOM, tuple(pursuers), tuple(evaders), tuple(captured), step, max_steps)


@pytest.mark.parametrize(
    "cell, move, expected",
    [
        ((1, 1), "up", (1, 1)),  # border wall
        ((1, 1), "left", (1, 1)),
        ((3, 4), "right", (3, 4)),  # inner wall
        ((2, 5), "down", (2, 5)),
        ((2, 2), "stay", (2, 2)),
        ((2, 2), "up", (1, 2)),
        ((2, 2), "down", (3, 2)),
        ((2, 2), "left", (2, 1)),
        ((2, 2), "right", (2, 3)),
    ],
)
def test_move_target(cell, move, expected):
    assert move_target(ROOM, cell, move) == expected


def test_legal_moves_drop_blocked_moves_in_fixed_order():
    assert legal_moves(ROOM, (1, 1)) == ["stay", "down", "right"]
    assert legal_moves(ROOM, (3, 4)) == ["stay", "up", "left"]
    assert legal_moves(ROOM, (2, 3)) == ["stay", "up", "down", "left", "right"]


@pytest.mark.parametrize(
    "positions, moves, expected",
    [
        # two movers claim (1, 2): the lower index wins, whichever side it comes from
        (((1, 1), (1, 3)), ("right", "left"), ((1, 2), (1, 3))),
        (((1, 3), (1, 1)), ("left", "right"), ((1, 2), (1, 1))),
        # an agent that stays keeps its cell against a lower-index mover
        (((1, 1), (1, 2)), ("right", "stay"), ((1, 1), (1, 2))),
        # a move into a wall is a stay, and that stay also keeps the cell
        (((1, 1), (1, 2)), ("right", "up"), ((1, 1), (1, 2))),
        # a queue moving in line is not a conflict
        (((1, 1), (1, 2), (1, 3)), ("right", "right", "right"), ((1, 2), (1, 3), (1, 4))),
        # a queue blocked at its head: everybody behind stays too
        (((1, 1), (1, 2), (1, 3)), ("right", "right", "stay"), ((1, 1), (1, 2), (1, 3))),
        # chain: 1 loses (1, 2) to 0, falls back to (2, 2), so 2 cannot have (2, 2) either
        (((1, 1), (2, 2), (3, 2)), ("right", "up", "up"), ((1, 2), (2, 2), (3, 2))),
        # teammates may swap cells
        (((2, 1), (2, 2)), ("right", "left"), ((2, 2), (2, 1))),
    ],
)
def test_resolve_moves(positions, moves, expected):
    final = resolve_moves(ROOM, positions, moves)
    assert final == expected
    assert len(set(final)) == len(final)


@pytest.mark.parametrize(
    "pursuer, p_move, evader, e_move, caught",
    [
        ((1, 1), "right", (1, 2), "stay", True),  # pursuer lands on the evader
        ((1, 1), "stay", (1, 2), "left", True),  # evader walks into the pursuer
        ((1, 1), "right", (1, 3), "left", True),  # both arrive at (1, 2)
        ((1, 1), "right", (1, 2), "left", True),  # swap
        ((2, 1), "up", (1, 1), "down", True),  # swap, vertically
        ((1, 1), "right", (2, 2), "left", False),  # pass each other diagonally
        ((1, 1), "right", (1, 2), "right", False),  # pursuer follows
        ((1, 1), "down", (1, 2), "down", False),  # side by side
        ((1, 1), "stay", (1, 3), "stay", False),
    ],
)
def test_capture(pursuer, p_move, evader, e_move, caught):
    after = step_state(state([pursuer], [evader]), (p_move,), (e_move,))
    assert after.captured == (caught,)
    assert after.success is caught and after.done is caught
    assert after.step == 1


def test_captured_evaders_do_not_move_and_free_ones_do():
    before = state([(3, 1)], [(1, 1), (1, 4)], captured=(True, False))
    after = step_state(before, ("stay",), ("right", "down"))
    assert after.evaders == ((1, 1), (2, 4))
    assert after.captured == (True, False)
    assert after.active_evaders == {1: (2, 4)}


def test_captured_evader_does_not_block_a_free_one():
    before = state([(3, 1)], [(1, 2), (1, 1)], captured=(True, False))
    after = step_state(before, ("stay",), ("stay", "right"))
    assert after.evaders == ((1, 2), (1, 2))


def test_capture_of_one_evader_of_two_is_not_success():
    after = step_state(state([(1, 1)], [(1, 2), (3, 4)]), ("right",), ("stay", "stay"))
    assert after.captured == (True, False)
    assert not after.success and not after.done


def test_step_limit_ends_the_game():
    before = state([(1, 1)], [(3, 4)], step=4, max_steps=5)
    assert not before.done
    after = step_state(before, ("stay",), ("stay",))
    assert after.step == 5 and after.done and not after.success


def test_step_state_does_not_mutate_its_input():
    before = state([(1, 1)], [(3, 4)])
    step_state(before, ("right",), ("left",))
    assert before.pursuers == ((1, 1),) and before.evaders == ((3, 4),) and before.step == 0


@pytest.mark.parametrize(
    "p_moves, e_moves, match",
    [
        (("north",), ("stay",), "unknown move 'north'"),
        (("stay",), ("jump",), "unknown move 'jump'"),
        (("stay", "stay"), ("stay",), "expected 1 pursuer and 1 evader moves, got 2 and 1"),
        (("stay",), (), "expected 1 pursuer and 1 evader moves, got 1 and 0"),
    ],
)
def test_step_state_rejects_bad_moves(p_moves, e_moves, match):
    with pytest.raises(ValueError, match=match):
        step_state(state([(1, 1)], [(3, 4)]), p_moves, e_moves)
