"""The teacher: the real LD loop (BM25 retrieval, no model) with the exact demonstrator."""

import pytest

from logicdistill.agent.factory import AgentOptions, build_agent
from logicdistill.agent.loop import LDAgent
from logicdistill.games.twentyone import exact
from logicdistill.games.twentyone.env import make_env
from logicdistill.games.twentyone.rules import TwentyOneState
from logicdistill.games.twentyone.task import TwentyOneSettings, TwentyOneTask


def teacher(rules: str, min_gain: float | None = None) -> LDAgent:
    """Built as the CLI builds it: the task's own demonstrator and min_gain."""
    task = TwentyOneTask(TwentyOneSettings(rules=rules))
    return build_agent("teacher", task, make_env(rules), AgentOptions(retriever="bm25", min_gain=min_gain))


@pytest.mark.parametrize("rules", ["classic", "natural", "sab"])
def test_teacher_regret_is_below_two_thousandths(rules):
    policy = exact.tabulate(teacher(rules), rules)
    assert exact.regret(policy, rules) < 0.002
    assert exact.policy_agreement(policy) == 1.0


def test_keeping_every_default_is_the_imperfect_baseline():
    always_default = exact.tabulate(teacher("classic", min_gain=float("inf")))
    assert exact.regret(always_default) == pytest.approx(0.0327, abs=1e-4)


@pytest.mark.parametrize(
    "key, estimate, decide",
    [
        ((15, 10, 0), "stand_on_17", "stick_at_total"),
        ((16, 3, 0), "stand_on_15", "stick_at_total"),
        ((14, 2, 0), "stand_on_13", "stick_at_total"),
        ((12, 5, 0), "stand_on_12", "stick_at_total"),
        ((12, 3, 0), "stand_on_17", "stick_at_total"),
        ((17, 6, 1), "stand_on_17", "hit_soft_17"),
        ((18, 9, 1), "stand_on_17", "hit_soft_18_against_strong_dealer"),
    ],
)
def test_teacher_leaves_a_default_where_the_manuals_say(key, estimate, decide):
    agent = teacher("classic")
    _, record = agent.act(exact.decision_state(key))
    choices = {s.stage: s.choice for s in record.stages}  # a forced stage runs its default
    assert choices == {"estimate": estimate, "decide": decide}
    estimated = next(s for s in record.stages if s.stage == "estimate")
    if estimate != "stand_on_17":
        assert estimated.outcomes[estimate] - estimated.outcomes["stand_on_17"] >= TwentyOneTask.min_gain


def test_the_estimate_is_asked_only_where_the_total_changes_hit_or_stick():
    """Hard 11 hits and 20 sticks whatever total is estimated: no selection is needed there;
    hard 14 against a 4 sticks on 13 or 12 but hits on 15 or 17: the teacher is asked."""
    agent = teacher("classic")
    for key, asked in (((11, 4, 0), False), ((20, 4, 0), False), ((14, 4, 0), True)):
        _, record = agent.act(exact.decision_state(key))
        estimated = next(s for s in record.stages if s.stage == "estimate")
        assert estimated.forced is not asked and (estimated.outcomes is not None) is asked


@pytest.mark.parametrize("env", ["ours", "gymnasium"])
def test_teacher_plays_whole_hands(env):
    agent, game = teacher("natural"), make_env("natural", env)
    for seed in range(5):
        state, _ = game.reset(seed=seed)
        agent.reset(seed)
        while not state.done:
            action, record = agent.act(state)
            assert action in (0, 1) and all(s.error is None for s in record.stages)
            state, *_ = game.step(action)
        assert isinstance(state, TwentyOneState) and state.step >= 1
