import numpy as np
import pytest

from logicdistill.errors import UserInputError
from logicdistill.games.pursuit.maps import (
    UNREACHABLE,
    MapError,
    bundled_map,
    bundled_map_names,
    draw_starts,
    fixed_starts,
    generate_map,
    load_map,
    parse_map,
    resolve_map,
)

# 5 rows x 8 columns; the wall in columns 3 (rows 1-2) and 5 (rows 2-3) forces detours.
DETOUR = """\
########
#..#...#
#..#.#.#
#....#.#
########
"""


# --- parse_map ---------------------------------------------------------------------------


def test_parse_valid_map_turns_marks_into_starts_and_free_cells():
    text = "; a comment\n#######\n#P..E.#\n#.P...#\n#######\n"
    grid = parse_map(text, name="tiny", source="tiny.txt")
    assert (grid.height, grid.width) == (4, 7)
    assert grid.rows == ("#######", "#.....#", "#.....#", "#######")
    assert grid.pursuer_starts == ((1, 1), (2, 2))
    assert grid.evader_starts == ((1, 4),)
    assert {(1, 1), (2, 2), (1, 4)} <= set(grid.free_cells)
    assert len(grid.free_cells) == 10
    assert (grid.name, grid.source) == ("tiny", "tiny.txt")
    assert grid.text() == "#######\n#P..E.#\n#.P...#\n#######\n"


def test_parse_accepts_crlf_and_trailing_spaces():
    grid = parse_map("####  \r\n#PE#\r\n####\r\n")
    assert grid.rows == ("####", "#..#", "####")
    assert grid.pursuer_starts == ((1, 1),) and grid.evader_starts == ((1, 2),)


def test_bad_character_error_names_line_and_column():
    text = "; header comment\n######\n#...x#\n######\n"
    with pytest.raises(MapError, match=r"^bad\.txt:3:5: unexpected character 'x'"):
        parse_map(text, source="bad.txt")


def test_bad_character_error_names_the_character_at_the_reported_column():
    with pytest.raises(MapError, match=r"^m:1:2: unexpected character 'b'"):
        parse_map("#b.a#\n#...#\n#####\n", source="m")


def test_map_errors_are_user_input_errors():
    with pytest.raises(UserInputError):
        parse_map("#?#\n")


def test_ragged_rows_error_names_the_line():
    expected = r"^r\.txt:3: row has width 4, but the first row \(line 2\) has width 5"
    with pytest.raises(MapError, match=expected):
        parse_map("; c\n#####\n#..#\n#####\n", source="r.txt")


@pytest.mark.parametrize("text", ["", "\n\n", "; only\n\n; comments\n"])
def test_empty_or_comment_only_map_is_rejected(text):
    with pytest.raises(MapError, match=r"^e\.txt: no map rows found"):
        parse_map(text, source="e.txt")


def test_map_with_one_free_cell_is_rejected():
    with pytest.raises(MapError, match="at least two free cells"):
        parse_map("###\n#.#\n###\n")


def test_disconnected_map_error_names_the_unreachable_cell():
    text = "; two pockets\n#####\n#.#.#\n#####\n"
    expected = r"^d:3: free cell at column 4 cannot be reached from line 3 column 2"
    with pytest.raises(MapError, match=expected):
        parse_map(text, source="d")


# --- load_map ------------------------------------------------------------------------------


def test_load_map_reads_file_and_uses_stem_and_path(tmp_path):
    path = tmp_path / "little.txt"
    path.write_text(DETOUR, encoding="utf-8")
    grid = load_map(path)
    assert (grid.name, grid.source) == ("little", str(path))
    assert grid.rows == tuple(DETOUR.splitlines())


def test_load_map_missing_file(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(MapError, match=r"^map file not found: .*nope\.txt$"):
        load_map(missing)


def test_load_map_errors_name_the_file(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_text("####\n#.x#\n####\n", encoding="utf-8")
    with pytest.raises(MapError, match=r"broken\.txt:2:3: unexpected character 'x'"):
        load_map(path)


# --- bundled maps ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", bundled_map_names())
def test_bundled_map_is_usable(name):
    grid = bundled_map(name)
    assert grid.name == name
    assert grid.is_connected()
    assert len(grid.pursuer_starts) >= 3
    assert len(grid.evader_starts) >= 2
    starts = grid.pursuer_starts + grid.evader_starts
    assert len(set(starts)) == len(starts)
    assert all(grid.is_free(c) for c in starts)


def test_bundled_maps_exist_and_include_a_non_square_one():
    names = bundled_map_names()
    assert len(names) >= 5 and "arena" in names
    assert any(bundled_map(n).height != bundled_map(n).width for n in names)


def test_unknown_bundled_map():
    with pytest.raises(MapError, match=r"no bundled map 'atlantis'; bundled maps: .*arena"):
        bundled_map("atlantis")


# --- geometry on a non-square map -------------------------------------------------------------


@pytest.fixture(scope="module")
def detour():
    return parse_map(DETOUR)


def test_detour_map_shape_and_free_cells(detour):
    assert (detour.height, detour.width) == (5, 8)
    assert len(detour.free_cells) == 14
    assert detour.is_free((1, 4)) and detour.is_free((3, 6))
    assert not detour.is_free((1, 3)) and not detour.is_free((3, 5))
    assert not detour.is_free((-1, 1)) and not detour.is_free((1, 8)) and not detour.is_free((5, 1))


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ((1, 1), (1, 1), 0),
        ((1, 1), (1, 2), 1),
        ((1, 2), (1, 4), 6),  # around the wall in column 3, not 2
        ((1, 1), (3, 6), 11),
        ((3, 4), (3, 6), 6),  # around the wall in column 5
        ((2, 6), (1, 1), 10),
    ],
)
def test_distances_follow_detours(detour, a, b, expected):
    assert detour.distance(a, b) == expected
    assert detour.distance(b, a) == expected


def test_neighbours_and_diameter(detour):
    assert set(detour.neighbours[(1, 2)]) == {(1, 1), (2, 2)}
    assert set(detour.neighbours[(3, 4)]) == {(3, 3), (2, 4)}
    assert detour.neighbours[(3, 6)] == ((2, 6),)
    assert detour.diameter == 11


def test_distances_from_matches_distance(detour):
    row = detour.distances_from((1, 1))
    assert row.shape == (14,)
    assert all(row[detour.cell_index[c]] == detour.distance((1, 1), c) for c in detour.free_cells)


# --- generate_map ---------------------------------------------------------------------------


def test_generate_map_is_deterministic_for_a_seed():
    assert generate_map(7).rows == generate_map(7).rows


@pytest.mark.parametrize("seed", range(21))
def test_generated_maps_are_connected_and_walled(seed):
    grid = generate_map(seed)
    assert (grid.height, grid.width) == (15, 21)
    assert grid.is_connected() and grid.diameter < UNREACHABLE
    assert grid.rows[0] == grid.rows[-1] == "#" * 21
    assert all(row[0] == row[-1] == "#" for row in grid.rows)
    assert len(grid.free_cells) > 100


def test_generated_maps_differ_across_seeds():
    assert len({generate_map(seed).rows for seed in range(6)}) == 6


def test_generate_map_rejects_tiny_sizes():
    with pytest.raises(MapError, match="at least 5x5 cells, got 4x9"):
        generate_map(0, height=4, width=9)


# --- starts ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def arena():
    return bundled_map("arena")


@pytest.mark.parametrize("seed", range(5))
def test_draw_starts_keeps_distinct_cells_and_min_distance(arena, seed):
    pursuers, evaders = draw_starts(arena, 3, 2, np.random.default_rng(seed), min_distance=6)
    assert (len(pursuers), len(evaders)) == (3, 2)
    cells = pursuers + evaders
    assert len(set(cells)) == 5
    assert all(arena.is_free(c) for c in cells)
    assert min(arena.distance(p, e) for p in pursuers for e in evaders) >= 6


def test_draw_starts_is_reproducible_and_varies_with_seed(arena):
    def draw(seed):
        return draw_starts(arena, 3, 2, np.random.default_rng(seed))

    assert draw(11) == draw(11)
    assert len({draw(seed) for seed in range(5)}) > 1


def test_draw_starts_rejects_too_many_agents():
    grid = parse_map("#####\n#...#\n#####\n", name="small")
    with pytest.raises(MapError, match="small: 3 free cells cannot hold 4 agents"):
        draw_starts(grid, 2, 2, np.random.default_rng(0))


def test_fixed_starts_uses_marks_in_order(arena):
    pursuers, evaders = fixed_starts(arena, 2, 1)
    assert pursuers == arena.pursuer_starts[:2] == ((1, 1), (1, 9))
    assert evaders == ((6, 9),)


def test_fixed_starts_errors_when_marks_are_missing():
    grid = parse_map("######\n#P..E#\n######\n", source="few.txt")
    expected = r"few\.txt: --fixed-starts needs 2 'P' and 1 'E' marks, the map has 1 and 1"
    with pytest.raises(MapError, match=expected):
        fixed_starts(grid, 2, 1)


# --- resolve_map ----------------------------------------------------------------------------


def test_resolve_bundled_name():
    grid = resolve_map("maze")
    assert grid.name == "maze" and grid.source == "bundled:maze.txt"


@pytest.mark.parametrize(
    "spec, shape",
    [("generated:3:9x13", (9, 13)), ("generated:3:9X13", (9, 13)), ("generated:3", (15, 21))],
)
def test_resolve_generated(spec, shape):
    grid = resolve_map(spec)
    assert (grid.height, grid.width) == shape
    assert grid.rows == generate_map(3, *shape).rows


def test_resolve_file_path(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text(DETOUR, encoding="utf-8")
    grid = resolve_map(str(path))
    assert grid.name == "mine" and grid.distance((1, 2), (1, 4)) == 6


@pytest.mark.parametrize(
    "spec",
    ["generated:", "generated:x", "generated:3:9by13", "generated:3:9x", "generated:3:9x9x9"],
)
def test_resolve_bad_generated_spec(spec):
    with pytest.raises(MapError, match="bad generated map spec"):
        resolve_map(spec)


def test_resolve_unknown_name_is_a_missing_file():
    with pytest.raises(MapError, match="map file not found: no_such_map"):
        resolve_map("no_such_map")
