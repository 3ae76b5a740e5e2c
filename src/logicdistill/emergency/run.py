"""``logicdistill emergency``: measure an agent under a new rule with the stale base, add the
verified new functions as a new base version, and measure the same agent again, no retraining.

Besides ``before`` and ``after`` the report holds ``normal`` (the agent with the stale base under
the old rules: what it should recover), the teacher in all three phases and, given a KD run, the
KD student under both rules (it has no base, so new functions cannot help it).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from logicdistill.agent.factory import AgentOptions
from logicdistill.emergency.respond import add_version, new_functions
from logicdistill.emergency.scenario import Emergency, task_module
from logicdistill.emergency.trial import Trial
from logicdistill.functions.base import load_base
from logicdistill.functions.spec import FunctionSpec


def run_emergency(scenario: Emergency, agent: str, options: AgentOptions, trial: Trial, base_out: str | Path,
                  client=None, retries: int = 2, kd_run: Path | None = None,
                  on_phase: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The whole flow; ``options.base`` is the stale base (default: the task's bundled one) and the
    new version is written under ``base_out``. ``client``: a teacher LLM writes the new functions
    instead of the reference ones."""
    module = task_module(scenario.task)
    task = module.task_for(scenario)
    stale = options.base or task.bundled_base()

    def measure(label: str, who: str, under_rule: bool, base, run: Path | None = None) -> dict[str, Any]:
        if on_phase:
            on_phase(label)
        return module.measure(who, scenario if under_rule else None, replace(options, base=base, run=run), trial)

    phases = {"normal": (False, stale), "before": (True, stale)}
    mine = {phase: measure(f"{agent}: {phase}", agent, rule, base, options.run)
            for phase, (rule, base) in phases.items()}
    if on_phase:
        on_phase("new functions: " + (f"teacher {client.config.model}" if client else "reference") + ", verifying")
    specs = new_functions(scenario, task, stale, client, retries)
    note = f"{scenario.name} emergency: " + ", ".join(f.name for f in specs)
    saved = add_version(base_out, stale, specs, task, note)
    new = load_base(base_out)  # the version on disk is what the agent now reads and the retriever indexes
    phases["after"] = (True, new)
    mine["after"] = measure(f"{agent}: after", agent, True, new, options.run)
    teacher = mine if agent == "teacher" else {
        phase: measure(f"teacher: {phase}", "teacher", rule, base) for phase, (rule, base) in phases.items()}
    kd = None if kd_run is None else {phase: measure(f"kd: {phase}", "kd", rule, None, kd_run)
                                      for phase, rule in (("normal", False), ("under_rule", True))}
    return {
        "task": scenario.task, "scenario": scenario.name, "rule": scenario.rule, "agent": agent,
        "run": str(options.run) if options.run else None, "retrained": False, "metric": module.METRIC,
        "retriever": options.retriever, "top_k": options.top_k, "seed": trial.seed, "episodes": trial.episodes,
        "demonstrator": options.demonstrator,  # the teacher's kind (None: the task's default)
        "base_dir": str(base_out), "stale_base_version": saved.parent, "base_version": saved.version,
        "added_functions": [_describe(f) for f in specs],
        **{phase: mine[phase] for phase in ("normal", "before", "after")},
        "recovery": _recovery(module.METRIC, mine["normal"], mine["before"], mine["after"]),
        "new_function_choices": {f.name: mine["after"]["function_choices"].get(f.name, {"selected": 0, "forced": 0})
                                 for f in specs},
        "teacher": {phase: teacher[phase] for phase in ("normal", "before", "after")},
        "kd": kd,
    }


def _recovery(metric: str, normal: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> float | None:
    """Pursuit: the share of its old-rules success rate the agent reaches under the new rule with
    the new functions. 21 Points (regret, lower is better, and returns are negative so ratios of
    them mean nothing): the share of the regret the rule change added with the stale base that
    the new functions win back, 1 when ``after`` is back at ``normal``. None where there is
    nothing to recover."""
    if metric == "success_rate":
        return after["success_rate"] / normal["success_rate"] if normal["success_rate"] else None
    lost = before[metric] - normal[metric]
    return (before[metric] - after[metric]) / lost if lost > 0 else None


def _describe(spec: FunctionSpec) -> dict[str, Any]:
    return {"name": spec.name, "stage": spec.stage, "manual": spec.manual.model_dump(),
            "provenance": spec.provenance.model_dump(exclude_none=True),
            "verification": spec.verification.model_dump()}
