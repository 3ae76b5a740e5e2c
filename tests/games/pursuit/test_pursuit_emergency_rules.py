"""Each pursuit emergency rule is enforced by the environment itself (its state, step and starts),
by the task's result check, and shown to functions by the view; without a rule nothing changes."""

import numpy as np
import pytest

from logicdistill.errors import FunctionError, UserInputError
from logicdistill.games.pursuit.env import PursuitConfig, PursuitEnv, make_env
from logicdistill.games.pursuit.maps import MOVES, bundled_map, parse_map
from logicdistill.games.pursuit.rules import EMERGENCY_RULES, ZONE_SIZE, PursuitState, closed_zone, step_state
from logicdistill.games.pursuit.task import INSTRUCTION, STAGES, PursuitSettings, PursuitTask
from logicdistill.games.pursuit.view import PursuitView

CORRIDOR = parse_map("#######\n#.....#\n#######\n")  # (1,1) and (1,5) are dead ends
MOVE = STAGES[-1]


def state(grid, pursuers, evaders, rule=""):
    return PursuitState(grid, tuple(pursuers), tuple(evaders), (False,) * len(evaders), rule=rule)


def stand_still(state, rng):
    return ("stay",) * len(state.evaders)


def test_unknown_rules_are_clear_errors():
    with pytest.raises(UserInputError, match="unknown pursuit emergency rule 'lava'"):
        make_env(PursuitConfig(emergency="lava"))
    with pytest.raises(UserInputError, match="closed_zone, no_u_turn, box_in"):
        PursuitTask(PursuitSettings(emergency="lava"))


def test_the_instruction_ends_with_the_rule_only_while_it_is_on():
    assert PursuitTask().instruction == INSTRUCTION
    for rule, words in EMERGENCY_RULES.items():
        assert PursuitTask(PursuitSettings(emergency=rule)).instruction == f"{INSTRUCTION} New rule: {words}"


@pytest.mark.parametrize("name", ["arena", "ring", "maze", "rooms", "warehouse"])
def test_the_closed_zone_is_central_and_leaves_the_open_cells_connected(name):
    grid = bundled_map(name)
    zone = closed_zone(grid)
    assert len(zone) == ZONE_SIZE and zone <= set(grid.free_cells)
    rest = [c for c in grid.free_cells if c not in zone]
    seen, todo = {rest[0]}, [rest[0]]
    while todo:
        for nb in grid.neighbours[todo.pop()]:
            if nb not in zone and nb not in seen:
                seen.add(nb)
                todo.append(nb)
    assert len(seen) == len(rest)


def zone_edge(grid):
    """A cell next to the closed zone, the move from it into the zone, and a cell far from it."""
    zone = closed_zone(grid)
    cell, move = next(
        (c, m)
        for c in grid.free_cells
        if c not in zone
        for m in ("up", "down", "left", "right")
        if (c[0] + MOVES[m][0], c[1] + MOVES[m][1]) in zone
    )
    return cell, move, next(c for c in grid.free_cells if c not in zone and grid.distance(c, cell) > 3)


def test_nobody_enters_the_closed_zone():
    grid = bundled_map("arena")
    outside, move, far = zone_edge(grid)
    closed = step_state(state(grid, [outside], [far], "closed_zone"), (move,), ("stay",))
    assert closed.pursuers == (outside,)  # the move into the zone is a stay
    assert step_state(state(grid, [outside], [far]), (move,), ("stay",)).pursuers != (outside,)  # normally it moves
    assert step_state(state(grid, [far], [outside], "closed_zone"), ("stay",), (move,)).evaders == (outside,)


def test_closed_zone_games_never_put_anyone_in_the_zone():
    for name, seed in (("ring", 1), ("rooms", 2), ("maze", 3)):
        env = make_env(PursuitConfig(map=name, evader="random", emergency="closed_zone", max_steps=40))
        current, _ = env.reset(seed=seed)
        zone, rng = closed_zone(env.grid), np.random.default_rng(seed)
        while True:
            assert current.closed == zone and not zone & {*current.pursuers, *current.active_evaders.values()}
            if current.done:
                break
            current, *_ = env.step(tuple(rng.choice(list(MOVES)) for _ in current.pursuers))


def test_no_u_turn_turns_a_reverse_into_a_stay_unless_every_other_way_is_blocked():
    env = PursuitEnv(CORRIDOR, stand_still, 2, 1, 20, emergency="no_u_turn")
    env.reset(seed=0)
    env.state = state(CORRIDOR, [(1, 2), (1, 5)], [(1, 1)], "no_u_turn")
    moved, *_ = env.step(("right", "stay"))
    assert moved.pursuers[0] == (1, 3) and moved.headings == ("right", "")
    assert env.step(("left", "stay"))[0].pursuers[0] == (1, 3)  # way ahead open: no turning back
    assert env.step(("right", "left"))[0].pursuers == ((1, 4), (1, 5))  # both claim (1, 4): the lower index wins
    # (1, 4) heading right: the only way ahead holds a teammate, so it may turn back
    assert env.step(("left", "stay"))[0].pursuers[0] == (1, 3)
    plain = step_state(state(CORRIDOR, [(1, 3)], [(1, 1)]), ("left",), ("stay",))
    assert plain.pursuers == ((1, 2),) and plain.headings == ()  # without the rule nothing is tracked


def test_no_u_turn_allows_turning_back_in_a_dead_end():
    dead_end = state(CORRIDOR, [(1, 4)], [(1, 1)], "no_u_turn")
    at_end = step_state(dead_end, ("right",), ("stay",))
    assert at_end.pursuers == ((1, 5),) and step_state(at_end, ("left",), ("stay",)).pursuers == ((1, 4),)


def test_box_in_catches_by_holding_every_side_not_by_landing():
    landing = state(CORRIDOR, [(1, 2)], [(1, 3)], "box_in")
    assert step_state(landing, ("right",), ("stay",)).captured == (False,)
    assert step_state(state(CORRIDOR, [(1, 2)], [(1, 3)]), ("right",), ("stay",)).captured == (True,)
    boxed = state(CORRIDOR, [(1, 2), (1, 5)], [(1, 3)], "box_in")  # (1, 3) has two sides: (1, 2) and (1, 4)
    assert step_state(boxed, ("stay", "left"), ("stay",)).captured == (True,)
    cornered = state(CORRIDOR, [(1, 3)], [(1, 5)], "box_in")  # a dead end has one side
    assert step_state(cornered, ("right",), ("stay",)).captured == (True,)


def test_the_result_check_refuses_moves_the_rule_forbids():
    grid = bundled_map("arena")
    cell, move, far = zone_edge(grid)
    with pytest.raises(FunctionError, match="enters the closed zone"):
        PursuitTask(PursuitSettings(emergency="closed_zone")).check_result(
            MOVE, move, state(grid, [cell], [far], "closed_zone"), 0
        )
    assert PursuitTask().check_result(MOVE, move, state(grid, [cell], [far]), 0) == move
    heading_right = PursuitState(CORRIDOR, ((1, 3),), ((1, 1),), (False,), rule="no_u_turn", headings=("right",))
    with pytest.raises(FunctionError, match="turns straight back"):
        PursuitTask(PursuitSettings(emergency="no_u_turn")).check_result(MOVE, "left", heading_right, 0)


def test_the_view_shows_what_the_rule_needs():
    normal = PursuitView(state(CORRIDOR, [(1, 3)], [(1, 1)]), 0, {}, {})
    assert (normal.rule, normal.closed, normal.heading) == ("", frozenset(), "")
    turned = PursuitState(CORRIDOR, ((1, 3),), ((1, 1),), (False,), rule="no_u_turn", headings=("right",))
    assert (PursuitView(turned, 0, {}, {}).rule, PursuitView(turned, 0, {}, {}).heading) == ("no_u_turn", "right")
    arena = bundled_map("arena")
    zone_view = PursuitView(state(arena, [(1, 1)], [(11, 17)], "closed_zone"), 0, {}, {})
    assert zone_view.closed == closed_zone(arena)


def test_random_starts_avoid_the_closed_zone():
    for seed in range(20):
        env = make_env(PursuitConfig(map="pillars", emergency="closed_zone"))
        first, _ = env.reset(seed=seed)
        assert not closed_zone(env.grid) & {*first.pursuers, *first.evaders}
