"""TwentyOneTask as a ``tasks.api.Task``: settings, the environment, the surrender emergency and
the exact figures of a whole policy, all from the task alone."""

import dataclasses

import pytest

from logicdistill.errors import UserInputError
from logicdistill.games.twentyone import exact
from logicdistill.games.twentyone.env import GymnasiumTwentyOne, TwentyOneEnv
from logicdistill.games.twentyone.rules import STICK, SURRENDER, TwentyOneState, get_rules
from logicdistill.games.twentyone.task import MC_HANDS, TwentyOneSettings, TwentyOneTask
from logicdistill.tasks import SUCCESS_RATE, Task, make_task

SURRENDER_RULE = TwentyOneTask.emergencies[0]
CLASSIC = TwentyOneTask()


def optimal(rules):
    table = exact.optimal_policy(rules)
    return lambda states: [table[s.key] for s in states]


def test_a_task_with_documented_settings_a_recipe_and_regret_first():
    assert isinstance(CLASSIC, Task) and CLASSIC.rules.name == "classic" and CLASSIC.settings.env == "ours"
    assert all(f.metadata.get("help") for f in dataclasses.fields(TwentyOneSettings))
    assert (CLASSIC.recipe.data_episodes, CLASSIC.recipe.train_examples, CLASSIC.recipe.learning_rate) == (
        1500,
        2560,
        1e-3,
    )
    headline = CLASSIC.metrics[0]
    assert (headline.name, headline.higher_is_better) == ("regret", False)
    assert [m.name for m in CLASSIC.metrics] == ["regret", "policy_agreement", SUCCESS_RATE.name]
    assert make_task("twentyone", {"rules": "natural"}).setting_values() == {"rules": "natural", "env": "ours"}


@pytest.mark.parametrize(
    "settings, message",
    [
        (TwentyOneSettings(rules="vegas"), "unknown 21 Points rule set 'vegas'"),
        (TwentyOneSettings(env="casino"), "unknown 21 Points environment 'casino'; choose from ours, gymnasium"),
        (TwentyOneSettings(rules="surrender", env="gymnasium"), "no surrender"),
    ],
)
def test_bad_settings_are_refused_at_construction(settings, message):
    with pytest.raises(UserInputError, match=message):
        TwentyOneTask(settings)
    with pytest.raises(TypeError, match="TwentyOneTask takes TwentyOneSettings"):
        TwentyOneTask("surrender")


def test_one_variant_the_rules_and_nothing_held_out():
    assert (CLASSIC.variants, CLASSIC.held_out) == (("classic",), ())
    assert isinstance(CLASSIC.make_env("classic"), TwentyOneEnv)
    gym = TwentyOneTask(TwentyOneSettings(rules="sab", env="gymnasium"))
    assert gym.variants == ("sab",) and isinstance(gym.make_env("sab"), GymnasiumTwentyOne)
    with pytest.raises(UserInputError, match="plays classic rules only"):
        CLASSIC.make_env("natural")


def test_success_and_episode_text_of_played_hands():
    env = CLASSIC.make_env("classic")
    state, _ = env.reset(seed=0)
    assert not CLASSIC.success(state) and CLASSIC.episode_figures(state) == {}
    assert CLASSIC.episode_text(state).startswith(f"you {'+'.join(map(str, state.player_cards))} = ")
    assert "reward" not in CLASSIC.episode_text(state)
    final, reward, *_ = env.step(STICK)
    text = CLASSIC.episode_text(final)
    assert CLASSIC.success(final) == (reward > 0) and text.endswith(f", reward {reward:+g}")
    assert "+".join(map(str, final.dealer_cards)) in text
    won = TwentyOneState(20, 10, False, done=True, reward=1.0)
    assert CLASSIC.success(won) and CLASSIC.episode_text(won) == "you 20 hard, dealer 10, reward +1"


def test_the_surrender_emergency_and_its_reference():
    assert SURRENDER_RULE.name == "surrender" and SURRENDER_RULE.rule == get_rules("surrender").new_rule
    assert [origin for origin, _ in SURRENDER_RULE.references] == ["reference:twentyone/surrender.py"]
    assert SURRENDER_RULE.stages == ["decide"]


def test_under_rule_switches_to_the_emergency_rules_and_back():
    ruled = TwentyOneTask(TwentyOneSettings(env="gymnasium")).under_rule(SURRENDER_RULE)
    assert ruled.rules.name == "surrender" and ruled.settings.env == "ours"  # Gymnasium has no surrender
    assert ruled.actions == ("stick", "hit", "surrender") and ruled.variants == ("surrender",)
    assert ruled.under_rule(None).rules.name == "classic"
    natural = TwentyOneTask(TwentyOneSettings(rules="natural"))
    assert natural.under_rule(None) is natural


def test_policy_metrics_of_optimal_play():
    figures = CLASSIC.policy_metrics(optimal("classic"), seed=0)
    assert figures["rules"] == "classic" and figures["decision_states"] == 280
    assert figures["regret"] == 0.0 and figures["policy_agreement"] == 1.0 == figures["policy_agreement_weighted"]
    assert figures["expected_return_exact"] == figures["optimal_return"] == pytest.approx(-0.04656, abs=1e-5)
    assert figures["disagreements"] == [] and figures["mc_hands"] == MC_HANDS and figures["mc_within_2_stderr"]
    assert figures["policy"][0] == [*exact.DECISION_KEYS[0], exact.optimal_policy()[exact.DECISION_KEYS[0]]]
    assert "plot" not in figures


def test_policy_metrics_of_always_sticking_with_the_grid(tmp_path):
    figures = CLASSIC.policy_metrics(lambda states: ["stick"] * len(states), seed=1, out=tmp_path)
    assert figures["regret"] > 0.1 and figures["policy_agreement"] < 1
    assert [4, 1, 0] in figures["disagreements"] and all(row[-1] == STICK for row in figures["policy"])
    assert figures["plot"] == str(tmp_path / "policy.png") and (tmp_path / "policy.png").stat().st_size > 0


def test_policy_metrics_under_the_surrender_rule():
    surrender = CLASSIC.under_rule(SURRENDER_RULE)
    assert surrender.policy_metrics(optimal("surrender"), seed=2)["regret"] == 0.0
    stale = surrender.policy_metrics(optimal("classic"), seed=2)
    assert stale["regret"] == pytest.approx(0.00849, abs=1e-5) and len(stale["disagreements"]) == 8
    with pytest.raises(ValueError, match="decide gave 1 actions for 280 states"):
        surrender.policy_metrics(lambda states: [SURRENDER], seed=0)
