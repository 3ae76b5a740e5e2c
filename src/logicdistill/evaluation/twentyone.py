"""Evaluation of an agent at 21 Points: its exact expected return, regret and a Monte Carlo check.

An agent here sees what Gymnasium's ``Blackjack-v1`` shows (player sum, dealer card, usable ace),
so its policy is a table over the 280 decision states. The table is built by asking the agent in
every state (in one batch for the student), valued exactly by dynamic programming, and played for
``hands`` hands in the chosen environment (ours or Gymnasium's own) as an independent check.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from logicdistill.agent.factory import AgentOptions, build_agent
from logicdistill.agent.loop import act_on_states
from logicdistill.evaluation.episodes import function_choices
from logicdistill.tasks.twentyone import exact
from logicdistill.tasks.twentyone.env import make_env
from logicdistill.tasks.twentyone.rules import as_action, get_rules
from logicdistill.tasks.twentyone.task import TwentyOneTask


def evaluate_hands(agent_name: str, rules: str, env: str, hands: int, seed: int, options: AgentOptions,
                   data: Path | None = None, accuracy_examples: int = 300, plot: Path | None = None) -> dict[str, Any]:
    """The JSON summary of ``logicdistill eval --task twentyone``."""
    from logicdistill.evaluation.run import accuracy_data, selection_accuracy

    rules = get_rules(rules).name
    task = TwentyOneTask(rules)
    agent = build_agent(agent_name, task, make_env(rules, env), replace(options, seed=seed))
    held = accuracy_data(agent_name, options, data, accuracy_examples)
    start = time.perf_counter()
    decided = act_on_states(agent, [exact.decision_state(key, rules) for key in exact.DECISION_KEYS])
    tabulate_seconds = time.perf_counter() - start
    policy = {key: as_action(action, task.rules.surrender) for key, (action, _) in zip(exact.DECISION_KEYS, decided)}
    optimal_policy = exact.optimal_policy(rules)
    records = [stage for _, step in decided for stage in step.stages]
    stage_ms = [s.decision_ms for s in records] or [step.decision_ms for _, step in decided]
    optimal, achieved = exact.optimal_return(rules), exact.policy_return(policy, rules)
    mc = exact.monte_carlo_return(policy, rules, hands, seed, env=env)
    summary = {
        "task": task.name,
        "agent": agent_name,
        "rules": rules,
        "env": env,
        "expected_return_exact": achieved,
        "optimal_return": optimal,
        "regret": optimal - achieved,
        "mc_return": mc.mean,
        "mc_stderr": mc.stderr,
        "mc_hands": mc.hands,
        "mc_within_2_stderr": abs(mc.mean - achieved) <= 2 * mc.stderr,
        "policy_agreement": exact.policy_agreement(policy, optimal_policy),
        "policy_agreement_weighted": exact.policy_agreement(policy, optimal_policy, weighted=True),
        "decision_states": len(policy),
        "tabulate_seconds": tabulate_seconds,
        "decision_ms_median": statistics.median(stage_ms),
        "decision_ms_p95": float(np.percentile(stage_ms, 95)),
        "selector_calls_share": sum(not s.forced for s in records) / len(records) if records else 0.0,
        "function_choices": function_choices(Counter(s.choice for s in records if not s.forced),
                                             Counter(s.choice for s in records if s.forced)),
        "disagreements": [list(k) for k in exact.DECISION_KEYS if policy[k] != optimal_policy[k]],
        "seed": seed,
        "retriever": options.retriever,
        "top_k": options.top_k,
    }
    summary.update(selection_accuracy(agent_name, options, held, accuracy_examples))
    if plot is not None:
        from logicdistill.tasks.twentyone.plots import plot_policy

        summary["plot"] = str(plot_policy(policy, plot, title=f"{agent_name}, {rules} rules", rules=rules))
    return summary
