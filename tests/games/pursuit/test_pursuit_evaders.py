import numpy as np
import pytest

from logicdistill.games.pursuit.evaders import (
    EVADER_POLICIES,
    greedy_evader,
    pursuer_reply,
    random_evader,
    smart_evader,
)
from logicdistill.games.pursuit.maps import bundled_map, parse_map
from logicdistill.games.pursuit.rules import PursuitState, legal_moves, step_state

CORRIDOR = parse_map("#######\n#.....#\n#######\n")  # 3 x 7, cells (1, 1) .. (1, 5)

# A big room with a dead-end pocket below its bottom wall; the evader 'E' stands in the pocket's
# mouth and the pursuer 'P' in the far corner of the room. Going down (deeper into the pocket) is
# the only move that increases the distance to the pursuer, so greedy takes it; smart goes back up
# into the room, where it keeps far more territory.
POCKET = parse_map(
    """\
#############
#P..........#
#...........#
#...........#
#...........#
#...........#
######E######
######.######
######.######
#############
"""
)

ARENA = bundled_map("arena")
POLICIES = sorted(EVADER_POLICIES)


def state(grid, pursuers, evaders, captured=None):
    captured = captured or (False,) * len(evaders)
    return PursuitState(grid, tuple(pursuers), tuple(evaders), tuple(captured))


def arena_state():
    return state(ARENA, [(1, 1), (1, 9), (1, 17)], [(6, 9), (11, 9), (10, 1)])


def play(policy, seed, steps=5):
    """Evader moves over a few steps (pursuers stay), with one seeded generator."""
    rng, current, out = np.random.default_rng(seed), arena_state(), []
    for _ in range(steps):
        moves = policy(current, rng)
        out.append(moves)
        current = step_state(current, ("stay",) * 3, moves)
    return out


def test_policy_registry():
    expected = {"random": random_evader, "greedy": greedy_evader, "smart": smart_evader}
    assert EVADER_POLICIES == expected


@pytest.mark.parametrize("name", POLICIES)
@pytest.mark.parametrize("seed", range(3))
def test_policies_return_one_legal_move_per_evader(name, seed):
    current = arena_state()
    moves = EVADER_POLICIES[name](current, np.random.default_rng(seed))
    assert len(moves) == 3
    assert all(m in legal_moves(ARENA, cell) for m, cell in zip(moves, current.evaders))


def test_random_evader_only_picks_legal_moves_in_a_corner():
    corner = state(CORRIDOR, [(1, 5)], [(1, 1)])
    rng = np.random.default_rng(0)
    seen = {random_evader(corner, rng)[0] for _ in range(40)}
    assert seen == {"stay", "right"}


@pytest.mark.parametrize(
    "pursuer, evader, expected",
    [
        ((1, 1), (1, 3), "right"),
        ((1, 5), (1, 3), "left"),
        ((1, 1), (1, 5), "stay"),  # dead end: staying keeps the distance, left would lose one
        ((1, 4), (1, 5), "stay"),
    ],
)
@pytest.mark.parametrize("seed", range(3))
def test_greedy_evader_runs_away_in_a_corridor(pursuer, evader, expected, seed):
    current = state(CORRIDOR, [pursuer], [evader])
    assert greedy_evader(current, np.random.default_rng(seed)) == (expected,)


@pytest.mark.parametrize("seed", range(5))
def test_greedy_walks_into_the_dead_end_but_smart_does_not(seed):
    current = state(POCKET, POCKET.pursuer_starts, POCKET.evader_starts)
    assert greedy_evader(current, np.random.default_rng(seed)) == ("down",)
    assert smart_evader(current, np.random.default_rng(seed)) == ("up",)


@pytest.mark.parametrize("seed", range(3))
def test_smart_evader_does_not_step_next_to_a_pursuer(seed):
    # pursuer at (1, 1), evader at (1, 3): 'left' would be caught at once; 'right' is safe
    current = state(CORRIDOR, [(1, 1)], [(1, 3)])
    assert smart_evader(current, np.random.default_rng(seed)) == ("right",)


@pytest.mark.parametrize("seed", range(3))
def test_smart_evader_avoids_capture_between_two_pursuers(seed):
    # room row 2 has free cells on both sides; pursuers left and right of the evader on row 1
    grid = parse_map("#######\n#.....#\n#.....#\n#.....#\n#######\n")
    current = state(grid, [(1, 1), (1, 5)], [(1, 3)])
    move = smart_evader(current, np.random.default_rng(seed))[0]
    assert move == "down"


def test_pursuer_reply_takes_a_shortest_path_step():
    assert pursuer_reply(CORRIDOR, (1, 1), (1, 4)) == (1, 2)
    assert pursuer_reply(CORRIDOR, (1, 4), (1, 4)) == (1, 4)
    assert pursuer_reply(POCKET, (1, 1), (8, 6)) in {(1, 2), (2, 1)}


@pytest.mark.parametrize("name", POLICIES)
def test_policies_are_deterministic_for_a_seed(name):
    policy = EVADER_POLICIES[name]
    assert play(policy, 42) == play(policy, 42)


def test_random_evader_depends_on_the_seed():
    assert len({tuple(play(random_evader, seed)) for seed in range(4)}) > 1


@pytest.mark.parametrize("name", POLICIES)
def test_captured_evaders_stay(name):
    current = state(ARENA, [(1, 1)], [(6, 9), (11, 9)], captured=(True, False))
    moves = EVADER_POLICIES[name](current, np.random.default_rng(0))
    assert len(moves) == 2 and moves[0] == "stay"
    assert moves[1] in legal_moves(ARENA, (11, 9))
