import itertools

import pytest

from logicdistill.errors import UserInputError
from logicdistill.games.pursuit.env import PursuitConfig, PursuitEnv, make_env
from logicdistill.games.pursuit.evaders import EVADER_POLICIES, greedy_evader
from logicdistill.games.pursuit.maps import parse_map

# pursuer and evader far apart; the evader sits in a dead end so greedy keeps it there
FAR = parse_map("#########\n#P.....E#\n#########\n")
# the evader is cornered right next to the pursuer
CORNERED = parse_map("#####\n#.PE#\n#####\n")
CYCLE = ("right", "down", "left", "up", "stay")


def snapshot(state):
    # PursuitState compares its GridMap by identity, and every make_env parses a new one
    return state.pursuers, state.evaders, state.captured, state.step


def episode(evader, seed, steps=12):
    """The trajectory of one episode under a fixed sequence of pursuer moves."""
    env = make_env(PursuitConfig(map="arena", evader=evader, max_steps=steps))
    first, _ = env.reset(seed=seed)
    out = [snapshot(first)]
    moves = itertools.cycle(CYCLE)
    while not env.state.done:
        m = next(moves)
        state, reward, terminated, truncated, info = env.step((m, m, m))
        out.append((snapshot(state), reward, terminated, truncated, info["evader_moves"]))
    return out


def one_on_one(grid, max_steps=10):
    return PursuitEnv(grid, greedy_evader, 1, 1, max_steps, use_fixed_starts=True)


def starts(env, seed):
    state, _ = env.reset(seed=seed)
    return state.pursuers, state.evaders


@pytest.fixture
def arena_env():
    return make_env(PursuitConfig(map="arena", evader="random"))


def test_reset_with_same_seed_is_identical(arena_env):
    first, info = arena_env.reset(seed=5)
    again, _ = arena_env.reset(seed=5)
    assert info == {"map": "arena"}
    assert first == again
    assert first.step == 0 and first.captured == (False, False)
    assert (len(first.pursuers), len(first.evaders)) == (3, 2)


def test_different_seeds_give_different_starts(arena_env):
    assert len({starts(arena_env, seed) for seed in range(5)}) == 5


@pytest.mark.parametrize("evader", sorted(EVADER_POLICIES))
def test_episode_is_deterministic_for_seed_and_actions(evader):
    one, two = episode(evader, seed=3), episode(evader, seed=3)
    assert one == two
    assert len(one) > 1


def test_random_episode_depends_on_the_seed():
    assert episode("random", seed=1) != episode("random", seed=2)


def test_step_before_reset_raises():
    env = one_on_one(FAR)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(("stay",))


def test_truncation_at_max_steps_and_step_after_done_raises():
    env = one_on_one(FAR, max_steps=3)
    state, _ = env.reset(seed=0)
    assert state.pursuers == ((1, 1),) and state.evaders == ((1, 7),)
    flags = [env.step(("stay",))[1:4] for _ in range(3)]
    assert flags == [(0.0, False, False), (0.0, False, False), (0.0, False, True)]
    assert env.state.step == 3 and env.state.done
    with pytest.raises(RuntimeError, match="episode is over"):
        env.step(("stay",))


def test_capture_terminates_with_reward():
    env = one_on_one(CORNERED)
    env.reset(seed=0)
    state, reward, terminated, truncated, info = env.step(("right",))
    assert info["evader_moves"] == ("stay",)
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert state.success and state.step == 1
    with pytest.raises(RuntimeError, match="episode is over"):
        env.step(("stay",))


def test_reset_after_done_starts_over():
    env = one_on_one(CORNERED)
    env.reset(seed=0)
    env.step(("right",))
    state, _ = env.reset()
    assert state.step == 0 and state.captured == (False,) and state.pursuers == ((1, 2),)


@pytest.mark.parametrize("counts", [(0, 1, 5), (1, 0, 5), (1, 1, 0)])
def test_env_rejects_empty_games(counts):
    with pytest.raises(UserInputError, match="at least one pursuer, one evader and one step"):
        PursuitEnv(FAR, greedy_evader, *counts)


def test_make_env_uses_config(tmp_path):
    path = tmp_path / "far.txt"
    path.write_text(FAR.text(), encoding="utf-8")
    config = PursuitConfig(map=str(path), n_pursuers=1, n_evaders=1, max_steps=7, evader="greedy", fixed_starts=True)
    env = make_env(config)
    state, info = env.reset(seed=0)
    assert env.evader_policy is greedy_evader
    assert info == {"map": "far"}
    assert state.max_steps == 7 and state.pursuers == ((1, 1),) and state.evaders == ((1, 7),)


def test_make_env_fixed_starts_needs_marks():
    env = make_env(PursuitConfig(map="generated:1:9x9", fixed_starts=True))
    with pytest.raises(UserInputError, match="needs 3 'P' and 2 'E' marks, the map has 0 and 0"):
        env.reset(seed=0)


def test_make_env_rejects_unknown_evader():
    expected = "unknown evader 'ninja'; choose from random, greedy, smart, llm"
    with pytest.raises(UserInputError, match=expected):
        make_env(PursuitConfig(evader="ninja"))


@pytest.mark.parametrize("model", [None, ""])
def test_make_env_llm_needs_a_model(model):
    with pytest.raises(UserInputError, match="--evader llm needs --evader-model"):
        make_env(PursuitConfig(evader="llm", evader_model=model))
