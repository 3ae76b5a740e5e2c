"""PursuitTask as a ``tasks.api.Task``: settings, variants, the environment, emergencies, baselines
and the figures generic code reads, all from the task alone."""

import dataclasses

import pytest

from logicdistill.errors import UserInputError
from logicdistill.functions import Provenance, Verification, functions_from_source
from logicdistill.games.pursuit.env import TEST_MAPS, PursuitEnv
from logicdistill.games.pursuit.maps import bundled_map_names
from logicdistill.games.pursuit.rules import EMERGENCY_RULES
from logicdistill.games.pursuit.task import INSTRUCTION, PursuitSettings, PursuitTask
from logicdistill.tasks import SUCCESS_RATE, Task, make_task
from logicdistill.tasks.registry import describe_settings

EMERGENCIES = {e.name: e for e in PursuitTask.emergencies}


def test_a_task_with_documented_settings_and_a_recipe():
    task = PursuitTask()
    assert isinstance(task, Task) and task.settings == PursuitSettings()
    assert all(f.metadata.get("help") for f in dataclasses.fields(PursuitSettings))
    assert "maps=  maps episodes are played on" in "\n".join(describe_settings(PursuitTask))
    assert (task.recipe.data_episodes, task.recipe.train_examples, task.recipe.learning_rate) == (60, 2560, 5e-4)
    assert task.metrics == (SUCCESS_RATE,) and task.demonstrators[0] == "rollout"


@pytest.mark.parametrize(
    "settings, message",
    [
        (PursuitSettings(evader="sleepy"), "unknown evader 'sleepy'; choose from random, greedy, smart, llm"),
        (PursuitSettings(emergency="lava"), "unknown pursuit emergency rule 'lava'"),
        (PursuitSettings(evader="llm"), "evader=llm needs evader_model"),
        (PursuitSettings(n_pursuers=0), "at least one pursuer"),
    ],
)
def test_bad_settings_are_refused_at_construction(settings, message):
    with pytest.raises(UserInputError, match=message):
        PursuitTask(settings)


def test_the_old_positional_emergency_is_a_clear_type_error():
    with pytest.raises(TypeError, match="PursuitTask takes PursuitSettings"):
        PursuitTask("closed_zone")


def test_variants_are_the_maps_and_held_out_those_among_them():
    task = PursuitTask()
    assert task.variants == tuple(bundled_map_names()) and task.held_out == TEST_MAPS
    chosen = make_task("pursuit", ["maps=ring, maze,courtyard", "held_out=courtyard,warehouse", "max_steps=12"])
    assert chosen.variants == ("ring", "maze", "courtyard") and chosen.held_out == ("courtyard",)
    assert PursuitTask(PursuitSettings(maps=("ring",))).held_out == ()  # then every fifth episode is test


def test_setting_values_join_tuples_as_set_takes_them():
    values = make_task("pursuit", ["maps=ring,maze", "emergency=box_in"]).setting_values()
    assert values["maps"] == "ring,maze" and values["held_out"] == ",".join(TEST_MAPS)
    assert values["emergency"] == "box_in" and values["evader"] == "smart" and values["max_steps"] == "100"


def test_make_env_plays_the_settings_on_a_variant():
    task = PursuitTask(PursuitSettings(max_steps=7, n_pursuers=2, n_evaders=1, evader="greedy", emergency="no_u_turn"))
    env = task.make_env("generated:3:9x11")
    state, info = env.reset(seed=1)
    assert isinstance(env, PursuitEnv) and info["map"] == "generated-3-9x11" and state.grid.height == 9
    assert (len(state.pursuers), len(state.evaders), state.max_steps, state.rule) == (2, 1, 7, "no_u_turn")
    with pytest.raises(UserInputError, match="no bundled map|not found"):
        task.make_env("atlantis")


def test_success_and_figures_of_a_final_state():
    task = PursuitTask(PursuitSettings(max_steps=3))
    state, _ = task.make_env("ring").reset(seed=0)
    assert not task.success(state) and task.episode_figures(state) == {"captures": 0.0}
    won = dataclasses.replace(state, captured=(True, True))
    assert task.success(won) and task.episode_figures(won) == {"captures": 2.0}
    assert task.episode_figures(dataclasses.replace(state, captured=(True, False))) == {"captures": 1.0}


def test_every_emergency_rule_with_references_that_parse_and_name_their_stages():
    assert list(EMERGENCIES) == list(EMERGENCY_RULES)
    assert {name: e.stages for name, e in EMERGENCIES.items()} == {
        "closed_zone": ["move"],
        "no_u_turn": ["move"],
        "box_in": ["target", "strategy"],
    }
    assert [origin for origin, _ in EMERGENCIES["box_in"].references] == [
        "reference:pursuit/box_in_target.py",
        "reference:pursuit/box_in.py",
    ]
    for emergency in EMERGENCIES.values():
        assert emergency.rule == EMERGENCY_RULES[emergency.name]
        for origin, text in emergency.references:
            specs = functions_from_source(
                text, Provenance(kind="reference"), Verification(status="unverified"), origin=origin
            )
            assert specs and all(s.provenance.kind == "reference" for s in specs)


def test_under_rule_switches_the_rule_on_and_off():
    task = PursuitTask(PursuitSettings(max_steps=9))
    ruled = task.under_rule(EMERGENCIES["closed_zone"])
    assert ruled.settings == PursuitSettings(max_steps=9, emergency="closed_zone")
    assert ruled.instruction == f"{INSTRUCTION} New rule: {EMERGENCY_RULES['closed_zone']}"
    assert ruled.make_env("arena").reset(seed=0)[0].rule == "closed_zone"
    normal = ruled.under_rule(None)
    assert normal.settings == task.settings and normal.instruction == INSTRUCTION


def test_baselines_play_the_game():
    task = PursuitTask(PursuitSettings(max_steps=5))
    env = task.make_env("ring")
    state, _ = env.reset(seed=2)
    for name in task.baselines:
        agent = task.baseline(name, 3, env)
        agent.reset(3)
        moves, record = agent.act(state)
        assert len(moves) == len(state.pursuers) and record.step == 0
    with pytest.raises(UserInputError, match="no baseline 'lazy'; baselines: greedy, random-moves"):
        task.baseline("lazy", 0, env)


def test_verification_samples_are_played_under_the_rule_in_force():
    samples = PursuitTask(PursuitSettings(emergency="no_u_turn")).verification_samples()
    assert len(samples.samples) > 20 and all(s.state.rule == "no_u_turn" for s in samples.samples)
    state = samples.samples[0].state
    assert samples.is_legal(state, ("stay",) * len(state.pursuers)) and not samples.is_legal(state, "stay")


def test_episode_text_and_replay(tmp_path):
    task = PursuitTask(PursuitSettings(max_steps=4))
    env = task.make_env("ring")
    states = [env.reset(seed=0)[0]]
    states.append(env.step(("stay",) * 3)[0])
    assert task.episode_text(states[0]).startswith("step 0/4  captured 0/2\n")
    assert task.save_replay(states, tmp_path / "game.gif").stat().st_size > 0
