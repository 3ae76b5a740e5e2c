"""One evaluation path for every task: episodes spread over variants, success and the task's own
figures; 21 Points adds its exact figures of the whole policy (regret over all 280 states)."""

from pathlib import Path

import pytest

from logicdistill.agent.factory import AgentOptions
from logicdistill.evaluation.run import evaluate, play
from logicdistill.games.twentyone import exact
from logicdistill.tasks import make_task, registered

OPTIONS = AgentOptions(retriever="bm25")


def test_random_selection_is_valued_exactly_and_its_mistakes_listed(tmp_path):
    task = make_task("twentyone")
    summary = evaluate("random", task, 40, 1, OPTIONS, out=tmp_path)
    assert summary["episodes"] == 40 and summary["variants"] == ["classic"]
    assert summary["optimal_return"] == exact.optimal_return("classic")
    assert summary["regret"] == summary["optimal_return"] - summary["expected_return_exact"] > 0.005
    assert summary["decision_states"] == len(exact.DECISION_KEYS)
    assert len(summary["disagreements"]) == round((1 - summary["policy_agreement"]) * len(exact.DECISION_KEYS))
    assert abs(summary["mc_return"] - summary["expected_return_exact"]) < 4 * summary["mc_stderr"]
    assert (tmp_path / "policy.png").stat().st_size > 1000
    assert summary["selection_accuracy"] is None  # no data given
    wins = [e["success"] for e in summary["per_episode"]]
    assert summary["success_rate"] == sum(wins) / 40
    assert summary["mean_return"] == pytest.approx(sum(e["return"] for e in summary["per_episode"]) / 40)


def test_the_teachers_table_is_the_optimal_one():
    summary = evaluate("teacher", make_task("twentyone", {"rules": "sab"}), 10, 0, OPTIONS)
    assert summary["regret"] < 0.002 and summary["disagreements"] == [] and summary["rules"] == "sab"
    assert summary["settings"] == {"rules": "sab", "env": "ours"}


def test_pursuit_episodes_spread_over_the_variants_with_the_tasks_figures():
    task = make_task("pursuit", {"max_steps": "12"})
    summary = evaluate("greedy", task, 4, 3, OPTIONS, variants=["ring", "maze"])
    assert [e["variant"] for e in summary["per_episode"]] == ["ring", "maze", "ring", "maze"]
    assert [e["seed"] for e in summary["per_episode"]] == [3, 4, 5, 6]
    assert set(summary["success_rate_by_variant"]) == {"ring", "maze"}
    assert summary["mean_captures"] == sum(e["captures"] for e in summary["per_episode"]) / 4
    assert all(e["steps"] <= 12 for e in summary["per_episode"])


@pytest.mark.parametrize("name", list(registered()))
def test_every_registered_task_plays_one_episode_in_its_first_variant(name):
    task = make_task(name)
    result = play("random", task, None, 0, OPTIONS)
    assert result.variant == task.variants[0] and result.steps >= 1
    assert len(result.states) == result.steps + 1 and result.success == task.success(result.states[-1])


BAKERY = f"{Path(__file__).resolve().parents[2] / 'examples' / 'bakery.py'}:BakeryTask"


@pytest.mark.parametrize(
    "reference, settings, variants",
    [(BAKERY, {"days": "5"}, None), ("pursuit", {"max_steps": "6"}, ["ring", "maze", "arena"])],
)
def test_episodes_over_processes_give_the_one_process_result(reference, settings, variants):
    """A task from a file and a registered one, the teacher agent: episode i in worker i mod 2, every
    figure as in one process (the decision times aside), the episodes in seed order."""
    task = make_task(reference, settings)
    one = evaluate("teacher", task, 7, 4, OPTIONS, variants=variants, parallel=2)
    seen = []
    two = evaluate("teacher", task, 7, 4, OPTIONS, variants=variants, parallel=2, processes=2, on_episode=seen.append)
    assert two["processes"] == 2 and one["processes"] == 1
    assert [e["seed"] for e in two["per_episode"]] == sorted(r.seed for r in seen) == list(range(4, 11))
    timing = {"wall_seconds", "stage_decisions_per_s", "processes"} | {k for k in one if "_ms" in k}
    assert {k: v for k, v in two.items() if k not in timing} == {k: v for k, v in one.items() if k not in timing}
