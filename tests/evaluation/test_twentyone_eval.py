"""21 Points evaluation: an agent's table valued exactly, checked by Monte Carlo, and plotted."""

from logicdistill.agent.factory import AgentOptions
from logicdistill.evaluation.twentyone import evaluate_hands
from logicdistill.tasks.twentyone import exact


def test_random_selection_is_valued_exactly_and_its_mistakes_listed(tmp_path):
    summary = evaluate_hands("random", "classic", "ours", 4000, 1, AgentOptions(retriever="bm25"),
                             plot=tmp_path / "grid.png")
    assert summary["optimal_return"] == exact.optimal_return("classic")
    assert summary["regret"] == summary["optimal_return"] - summary["expected_return_exact"] > 0.005
    assert summary["decision_states"] == len(exact.DECISION_KEYS)
    assert len(summary["disagreements"]) == round((1 - summary["policy_agreement"]) * len(exact.DECISION_KEYS))
    assert abs(summary["mc_return"] - summary["expected_return_exact"]) < 4 * summary["mc_stderr"]
    assert (tmp_path / "grid.png").stat().st_size > 1000
    assert summary["selection_accuracy"] is None  # no data given


def test_the_teachers_table_is_the_optimal_one():
    summary = evaluate_hands("teacher", "sab", "ours", 100, 0, AgentOptions(retriever="bm25"))
    assert summary["regret"] < 0.002 and summary["disagreements"] == [] and summary["rules"] == "sab"
    assert 0 < summary["selector_calls_share"] < 1  # hard hands need no choice at the decide stage
