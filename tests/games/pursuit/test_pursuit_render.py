import pytest
from PIL import Image

from logicdistill.errors import UserInputError
from logicdistill.games.pursuit.maps import parse_map
from logicdistill.games.pursuit.render import render_ascii, render_frame, save_replay
from logicdistill.games.pursuit.rules import PursuitState, step_state

# 4 rows x 7 columns, inner wall at (2, 3)
GRID = parse_map("#######\n#.....#\n#..#..#\n#######\n", name="wide")


def state(pursuers=((1, 1), (2, 5)), evaders=((1, 4), (2, 1)), captured=(False, True), step=2):
    return PursuitState(GRID, tuple(pursuers), tuple(evaders), tuple(captured), step, max_steps=9)


def episode(n_steps):
    states = [state(pursuers=((1, 1),), evaders=((2, 5),), captured=(False,), step=0)]
    for _ in range(n_steps):
        states.append(step_state(states[-1], ("right",), ("stay",)))
    return states


def test_render_ascii_places_walls_pursuers_and_free_evaders():
    header, *rows = render_ascii(state()).split("\n")
    assert header == "step 2/9  captured 1/2"
    assert rows == ["#######", "#0..E.#", "#..#.1#", "#######"]


def test_render_ascii_pursuer_digit_covers_evader_cell():
    caught = state(pursuers=((1, 4), (2, 5)), evaders=((1, 4), (2, 1)), captured=(True, False))
    text = render_ascii(caught)
    assert text.split("\n")[2:4] == ["#...0.#", "#E.#.1#"]


def test_render_frame_size_and_colours():
    img = render_frame(state(), cell=10)
    assert img.size == (7 * 10, 4 * 10 + 18)
    wall, free = img.getpixel((5, 18 + 5)), img.getpixel((2 * 10 + 5, 18 + 2 * 10 + 5))
    assert wall == (60, 60, 70) and free == (245, 245, 240)
    assert img.getpixel((3 * 10 + 5, 18 + 2 * 10 + 5)) == wall  # the inner wall


@pytest.mark.parametrize("suffix", [".gif", ".png"])
def test_save_replay_writes_one_frame_per_state(tmp_path, suffix):
    states = episode(3)
    path = save_replay(states, tmp_path / "sub" / f"replay{suffix}", ms_per_step=100)
    assert path == tmp_path / "sub" / f"replay{suffix}" and path.exists()
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary file left
    with Image.open(path) as img:
        assert img.format == suffix[1:].upper()
        assert img.n_frames == len(states) == 4
        assert img.size == (7 * 24, 4 * 24 + 18)


def test_save_replay_holds_the_last_frame_longer(tmp_path):
    path = save_replay(episode(2), tmp_path / "replay.gif", ms_per_step=100)
    durations = []
    with Image.open(path) as img:
        for i in range(img.n_frames):
            img.seek(i)
            durations.append(img.info["duration"])
    assert durations == [100, 100, 500]


def test_save_replay_rejects_other_suffixes(tmp_path):
    with pytest.raises(UserInputError, match=r"must be a \.gif or \.png file, got replay\.txt"):
        save_replay(episode(1), tmp_path / "replay.txt")
    assert not (tmp_path / "replay.txt").exists()


def test_save_replay_rejects_empty_episode(tmp_path):
    with pytest.raises(UserInputError, match="no states"):
        save_replay([], tmp_path / "replay.gif")
