"""Pursuit emergencies: the rules of ``rules.EMERGENCY_RULES``, switched on by
``PursuitConfig(emergency=NAME)``, each answered by reference functions in
``emergency_functions/NAME.py`` (or the files ``REFERENCES`` names). Measured by success rate over
seeded games (``evaluation.run``)."""

from __future__ import annotations

from typing import Any

from logicdistill.agent.factory import STUDENT_AGENTS, AgentOptions
from logicdistill.emergency.scenario import Emergency
from logicdistill.emergency.trial import Trial
from logicdistill.tasks.pursuit.rules import EMERGENCY_RULES
from logicdistill.tasks.pursuit.task import PursuitTask

# Reference files per scenario, one stage each (default: NAME.py). box_in changes how a game is won,
# so it is answered at two stages: the whole team after one evader, and a side of it for each pursuer.
REFERENCES = {"box_in": ("box_in_target.py", "box_in.py")}
SCENARIOS = tuple(Emergency("pursuit", name, name, rule, REFERENCES.get(name, (f"{name}.py",)))
                  for name, rule in EMERGENCY_RULES.items())
METRIC = "success_rate"  # higher is better
KEYS = ("episodes", "success_rate", "mean_steps", "mean_captures", "function_errors", "function_choices",
        "success_rate_by_map", "decision_ms_median", "selector_calls_share")


def task_for(scenario: Emergency | None) -> PursuitTask:
    return PursuitTask(scenario.setting if scenario else None)


def measure(agent: str, scenario: Emergency | None, options: AgentOptions, trial: Trial) -> dict[str, Any]:
    """``trial.episodes`` games against ``trial.evader`` evaders, spread over ``trial.maps``; in
    lock step for the students only: batching helps a model, while the teacher's rollout cache
    works per game."""
    from logicdistill.evaluation.run import benchmark_maps, evaluate
    from logicdistill.tasks.pursuit.env import PursuitConfig

    config = PursuitConfig(evader=trial.evader, emergency=scenario.setting if scenario else None)
    summary = evaluate(agent, config, list(trial.maps) or benchmark_maps(), trial.episodes, trial.seed, options,
                       accuracy_examples=0, parallel=trial.parallel if agent in STUDENT_AGENTS else 1)
    return {key: summary[key] for key in KEYS}
