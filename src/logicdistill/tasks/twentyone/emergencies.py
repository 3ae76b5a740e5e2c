"""21 Points emergency: the surrender rule set (``rules.RULE_SETS["surrender"]``, our environment
only), answered by the reference function in ``emergency_functions/surrender.py``. Measured by the
exact regret against the optimal play of the rules in force (``evaluation.twentyone``)."""

from __future__ import annotations

from typing import Any

from logicdistill.agent.factory import AgentOptions
from logicdistill.emergency.scenario import Emergency
from logicdistill.emergency.trial import Trial
from logicdistill.tasks.twentyone.rules import get_rules
from logicdistill.tasks.twentyone.task import TwentyOneTask

SCENARIOS = (Emergency("twentyone", "surrender", "surrender", get_rules("surrender").new_rule, ("surrender.py",)),)
METRIC = "regret"  # lower is better
KEYS = ("rules", "regret", "expected_return_exact", "optimal_return", "policy_agreement", "mc_return", "mc_stderr",
        "mc_hands", "function_choices", "decision_ms_median", "selector_calls_share")


def task_for(scenario: Emergency | None) -> TwentyOneTask:
    return TwentyOneTask(scenario.setting if scenario else "classic")


def measure(agent: str, scenario: Emergency | None, options: AgentOptions, trial: Trial) -> dict[str, Any]:
    """The agent's policy in all 280 decision states, valued exactly; ``trial.episodes`` hands of
    it in our environment as a Monte Carlo check (at least 2, for a standard error)."""
    from logicdistill.evaluation.twentyone import evaluate_hands

    summary = evaluate_hands(agent, scenario.setting if scenario else "classic", "ours", max(2, trial.episodes),
                             trial.seed, options, accuracy_examples=0)
    summary["disagreements"] = len(summary["disagreements"])
    return {key: summary[key] for key in (*KEYS, "disagreements")}
