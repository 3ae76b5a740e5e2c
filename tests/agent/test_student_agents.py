"""The untrained student inside the decision loop (zero-shot-ld) and as a direct actor (zero-shot)."""

import pytest

from logicdistill.agent.episodes import run_episode
from logicdistill.agent.factory import AgentOptions, build_agent
from logicdistill.errors import UserInputError
from logicdistill.games.pursuit.env import PursuitEnv
from logicdistill.games.pursuit.evaders import smart_evader
from logicdistill.games.pursuit.maps import bundled_map
from logicdistill.tasks import get_task

pytestmark = pytest.mark.slow


def short_env():
    return PursuitEnv(bundled_map("ring"), smart_evader, max_steps=2)


def test_zero_shot_ld_selects_among_candidates_with_a_distribution():
    task, env = get_task("pursuit"), short_env()
    agent = build_agent("zero-shot-ld", task, env, AgentOptions(retriever="bm25"))
    result = run_episode(task, env, agent, seed=0, keep=True)
    asked = [r for step in result.trace for r in step.stages if not r.forced]
    assert asked
    for r in asked:
        assert set(r.probabilities) == set(r.offered) and len(r.offered) > 1
        assert abs(sum(r.probabilities.values()) - 1) < 1e-6
        assert r.choice == max(r.probabilities, key=r.probabilities.get)
        assert r.select_ms > 0


def test_zero_shot_actor_names_one_legal_action_per_pursuer():
    task, env = get_task("pursuit"), short_env()
    agent = build_agent("zero-shot", task, env, AgentOptions())
    state, _ = env.reset(seed=0)
    action, record = agent.act(state)
    assert len(action) == len(state.pursuers) and set(action) <= set(task.actions)
    assert record.decision_ms > 0


@pytest.mark.parametrize("agent", ["ld", "kd"])
def test_trained_agents_need_a_run(agent):
    with pytest.raises(UserInputError, match="needs a trained run"):
        build_agent(agent, get_task("pursuit"), short_env(), AgentOptions())
