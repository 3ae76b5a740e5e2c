"""``logicdistill emergency``: measure an agent under a new rule with the stale base, add the
verified new functions as a new base version, and measure the same agent again, no retraining.

Besides ``before`` and ``after`` the report holds ``normal`` (the agent with the stale base under
the old rules: what it should recover), the teacher in all three phases and, given a KD run, the
KD student under both rules (it has no base, so new functions cannot help it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from logicdistill.agent.factory import LLM, STUDENT_AGENTS, AgentOptions
from logicdistill.emergency.respond import add_version, new_functions
from logicdistill.emergency.trial import Trial
from logicdistill.evaluation.run import evaluate
from logicdistill.functions.base import FunctionBase, load_base
from logicdistill.functions.spec import FunctionSpec
from logicdistill.tasks.api import Emergency, Metric, Task

BULKY = ("per_episode", "policy_grid", "disagreements")  # left out of each phase's summary; counted instead


def run_emergency(
    task: Task,
    scenario: Emergency,
    agent: str,
    options: AgentOptions,
    trial: Trial,
    base_out: str | Path,
    client=None,
    retries: int = 2,
    kd_run: Path | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The whole flow; ``task`` is the task under its normal rules, ``options.base`` the stale
    base (default: the task's bundled one), and the new version is written under ``base_out``.
    ``client``: a teacher LLM writes the new functions instead of the reference ones."""
    normal_task, rule_task = task.under_rule(None), task.under_rule(scenario)
    stale = options.base or normal_task.bundled_base()
    headline = task.metrics[0]

    def measure(
        label: str, who: str, under_rule: bool, base: FunctionBase | None, run: Path | None = None
    ) -> dict[str, Any]:
        if on_phase:
            on_phase(label)
        return measure_agent(who, rule_task if under_rule else normal_task, replace(options, base=base, run=run), trial)

    phases = {"normal": (False, stale), "before": (True, stale)}
    mine = {
        phase: measure(f"{agent}: {phase}", agent, rule, base, options.run) for phase, (rule, base) in phases.items()
    }
    if on_phase:
        on_phase("new functions: " + (f"teacher {client.config.model}" if client else "reference") + ", verifying")
    specs = new_functions(scenario, rule_task, stale, client, retries)
    note = f"{scenario.name} emergency: " + ", ".join(f.name for f in specs)
    saved = add_version(base_out, stale, specs, rule_task, note)
    new = load_base(base_out, task=task)  # the version on disk is what the agent now reads and the retriever indexes
    phases["after"] = (True, new)
    mine["after"] = measure(f"{agent}: after", agent, True, new, options.run)
    teacher = (
        mine
        if agent == "teacher"
        else {phase: measure(f"teacher: {phase}", "teacher", rule, base) for phase, (rule, base) in phases.items()}
    )
    kd = (
        None
        if kd_run is None
        else {
            phase: measure(f"kd: {phase}", "kd", rule, None, kd_run)
            for phase, rule in (("normal", False), ("under_rule", True))
        }
    )
    return {
        "task": task.name,
        "scenario": scenario.name,
        "rule": scenario.rule,
        "agent": agent,
        "run": str(options.run) if options.run else None,
        "retrained": False,
        "metric": headline.name,
        "higher_is_better": headline.higher_is_better,
        "retriever": options.retriever,
        "top_k": options.top_k,
        "seed": trial.seed,
        "episodes": trial.episodes,
        "demonstrator": options.demonstrator,  # the teacher's kind (None: the task's default)
        "base_dir": str(base_out),
        "stale_base_version": saved.parent,
        "base_version": saved.version,
        "added_functions": [_describe(f) for f in specs],
        **{phase: mine[phase] for phase in ("normal", "before", "after")},
        "recovery": recovery(headline, mine["normal"], mine["before"], mine["after"]),
        "new_function_choices": {
            f.name: mine["after"]["function_choices"].get(f.name, {"selected": 0, "forced": 0}) for f in specs
        },
        "teacher": {phase: teacher[phase] for phase in ("normal", "before", "after")},
        "kd": kd,
    }


def measure_agent(agent: str, task: Task, options: AgentOptions, trial: Trial) -> dict[str, Any]:
    """One phase: ``trial.episodes`` episodes over the trial's variants (default: every variant of
    the task, not only ``eval``'s held-out ones: the rule is new everywhere), in lock step for the
    students only (batching helps a model, while a teacher's look-ahead caches work per episode),
    and for a teacher LLM, whose ``concurrency`` episodes advance together so that their requests
    run at once (as in ``data``); summarised without the per-episode lists."""
    parallel = trial.parallel if agent in STUDENT_AGENTS else 1
    if agent == "teacher" and options.demonstrator == LLM and options.llm is not None:
        parallel = options.llm.concurrency
    summary = evaluate(
        agent,
        task,
        trial.episodes,
        trial.seed,
        options,
        variants=trial.variants or task.variants,
        accuracy_examples=0,
        parallel=parallel,
    )
    if isinstance(summary.get("disagreements"), list):
        summary["disagreement_count"] = len(summary["disagreements"])
    return {key: value for key, value in summary.items() if key not in BULKY}


def recovery(metric: Metric, normal: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> float | None:
    """How much of the normal-rules figure the new functions bring back under the new rule.
    A figure where higher is better (a success rate): the share of its normal value reached
    after. One where lower is better (regret, which is 0 at best, so a ratio to it means nothing):
    the share of what the rule added, with the stale base, that the new functions win back; 1
    when ``after`` is back at ``normal``. None where there is nothing to recover."""
    name = metric.name
    if metric.higher_is_better:
        return after[name] / normal[name] if normal[name] else None
    lost = before[name] - normal[name]
    return (before[name] - after[name]) / lost if lost > 0 else None


def _describe(spec: FunctionSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "stage": spec.stage,
        "manual": spec.manual.model_dump(),
        "provenance": spec.provenance.model_dump(exclude_none=True),
        "verification": spec.verification.model_dump(),
    }
