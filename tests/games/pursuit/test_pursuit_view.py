import pytest

from logicdistill.games.pursuit.maps import parse_map
from logicdistill.games.pursuit.rules import PursuitState
from logicdistill.games.pursuit.view import PursuitView

# 5 rows x 8 columns: walls in column 3 (rows 1-2) and column 5 (rows 2-3) force detours
DETOUR = parse_map("########\n#..#...#\n#..#.#.#\n#....#.#\n########\n")
TWO_LANES = parse_map("######\n#....#\n#....#\n######\n")  # 4 x 6
CORRIDOR = parse_map("#########\n#.......#\n#########\n")  # cells (1, 1) .. (1, 7)


def view(grid, pursuers, evaders=(), index=0, captured=None, plan=None):
    captured = captured or (False,) * len(evaders)
    current = PursuitState(grid, tuple(pursuers), tuple(evaders), tuple(captured), 3, max_steps=10)
    return PursuitView(current, index, plan or {}, {})


def test_view_attributes():
    v = view(
        TWO_LANES,
        [(1, 1), (2, 4)],
        [(1, 4), (2, 2)],
        index=1,
        captured=(True, False),
        plan={0: {"target": 1}, 1: {"target": 0}},
    )
    assert v.me == (2, 4) and v.index == 1
    assert v.teammates == {0: (1, 1)}
    assert v.evaders == {1: (2, 2)}
    assert v.plan == {0: {"target": 1}}
    assert (v.step, v.steps_left) == (3, 7)


@pytest.mark.parametrize(
    "a, b, expected",
    [((1, 2), (1, 4), 6), ((1, 1), (3, 6), 11), ([3, 4], [3, 6], 6), ((2, 2), (2, 2), 0)],
)
def test_dist_respects_walls(a, b, expected):
    assert view(DETOUR, [(1, 1)]).dist(a, b) == expected


def test_neighbours_and_exits():
    v = view(DETOUR, [(1, 1)])
    assert sorted(v.neighbours((3, 4))) == [(2, 4), (3, 3)]
    assert v.exits((3, 6)) == 1 and v.exits((3, 2)) == 3


def test_path_goes_around_the_wall():
    path = view(DETOUR, [(1, 1)]).path((1, 2), (1, 4))
    assert path == [(2, 2), (3, 2), (3, 3), (3, 4), (2, 4), (1, 4)]


def test_path_to_self_is_empty():
    assert view(DETOUR, [(1, 1)]).path((2, 4), (2, 4)) == []


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ((1, 2), (1, 4), "down"),  # the wall is to the right: go round it
        ((3, 4), (1, 4), "up"),
        ((1, 4), (3, 6), "right"),
        ((3, 6), (1, 1), "up"),
        ((2, 4), (3, 3), "down"),
        ((2, 4), (2, 4), "stay"),
    ],
)
def test_step_towards(a, b, expected):
    assert view(DETOUR, [(1, 1)]).step_towards(a, b) == expected


def test_step_towards_avoid_detours_around_a_teammate():
    v = view(TWO_LANES, [(1, 1), (1, 2)], [(1, 4)])
    assert v.step_towards(v.me, (1, 4)) == "right"
    assert v.step_towards(v.me, (1, 4), avoid=v.teammates.values()) == "down"


def test_step_towards_avoid_falls_back_when_no_detour_exists():
    v = view(CORRIDOR, [(1, 1), (1, 3)])
    assert v.step_towards(v.me, (1, 6), avoid=[(1, 3)]) == "right"


def test_step_towards_ignores_goal_in_avoid():
    v = view(TWO_LANES, [(1, 1)])
    assert v.step_towards((1, 1), (1, 2), avoid=[(1, 2)]) == "right"


@pytest.mark.parametrize(
    "pursuers, against, expected_cols",
    [
        ([(1, 2)], None, [4, 5, 6, 7]),
        ([(1, 2), (1, 7)], None, [4, 5]),
        ([(1, 2), (1, 7)], [(1, 7)], [1, 2, 3, 4, 5]),
        ([(1, 2)], [], [1, 2, 3, 4, 5, 6, 7]),
        ([(1, 4), (1, 6)], None, [5]),
    ],
)
def test_territory_in_a_corridor(pursuers, against, expected_cols):
    v = view(CORRIDOR, pursuers, [(1, 5)])
    assert v.territory(0, against) == [(1, c) for c in expected_cols]


def test_territory_uses_evader_index_among_active_ones():
    v = view(CORRIDOR, [(1, 4)], [(1, 1), (1, 7)], captured=(True, False))
    assert v.territory(1) == [(1, 6), (1, 7)]
    with pytest.raises(KeyError):
        v.territory(0)


@pytest.mark.parametrize(
    "cell, radius, expected",
    [
        ((1, 2), 0, {(1, 2)}),
        ((1, 2), 1, {(1, 2), (1, 1), (2, 2)}),
        # (1, 4) is only two columns away, but behind the wall
        ((1, 2), 2, {(1, 2), (1, 1), (2, 2), (2, 1), (3, 2)}),
        ((3, 6), 2, {(3, 6), (2, 6), (1, 6)}),
    ],
)
def test_cells_within(cell, radius, expected):
    cells = view(DETOUR, [(1, 1)]).cells_within(cell, radius)
    assert set(cells) == expected and len(cells) == len(expected)
