"""``summary.json``: the demo's figures read back from its artefacts, and the comparison table that
the terminal and the report both show.

Shape: ``config`` (the sizes), ``tasks.<task>`` with ``data``, ``train.<mode>`` and
``agents.<agent>`` (the metrics of ``logicdistill eval``, plus the policy grid's path at 21 Points),
``emergency`` (each agent's figure under normal rules, the new rule with the stale base, and with
the new functions), ``replay`` (the student's game and its files), ``steps`` (seconds per step,
whether reused). Paths are relative to the demo folder, so the folder can be moved as a whole.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from logicdistill.demo.pipeline import TASKS, DemoConfig, Layout, read_artefact
from logicdistill.distill.data import read_data
from logicdistill.tasks.pursuit.env import TEST_MAPS

FORMAT = "logicdistill-demo-summary/1"
KEYS = {
    "pursuit": ("episodes", "success_rate", "mean_steps", "mean_captures", "selection_accuracy",
                "selection_accuracy_equivalent", "decision_ms_median", "decision_ms_p95", "stage_decisions_per_s",
                "wall_seconds"),
    "twentyone": ("regret", "expected_return_exact", "optimal_return", "mc_return", "mc_stderr", "mc_hands",
                  "policy_agreement", "selection_accuracy", "selection_accuracy_equivalent", "decision_ms_median",
                  "decision_ms_p95", "tabulate_seconds"),
}
TRAIN_KEYS = ("train_examples", "steps", "train_seconds", "val_examples", "val_accuracy", "val_balanced_accuracy")
TASK_LABELS = {"pursuit": "pursuit", "twentyone": "21 Points"}
PHASES = {"normal": "normal rules", "before": "new rule, stale base", "after": "new rule, new function"}


# (task, metric, label, format): the columns of the comparison table; short labels fit a terminal
COLUMNS = (
    ("pursuit", "success_rate", "success", "{:.0%}"),
    ("pursuit", "mean_steps", "steps", "{:.1f}"),
    ("pursuit", "selection_accuracy", "sel. acc.", "{:.0%}"),
    ("pursuit", "decision_ms_median", "ms", "{:.3g}"),
    ("twentyone", "regret", "regret", "{:.4f}"),
    ("twentyone", "policy_agreement", "optimal", "{:.0%}"),
    ("twentyone", "selection_accuracy", "sel. acc.", "{:.0%}"),
    ("twentyone", "decision_ms_median", "ms", "{:.3g}"),
)


def show(value: Any, fmt: str) -> str:
    """A figure as text; "-" where it was not measured or does not apply."""
    return "-" if value is None else fmt.format(value)


def build_summary(layout: Layout, config: DemoConfig, timings: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "config": asdict(config),
        "tasks": {task: _task(layout, task, config) for task in TASKS},
        "emergency": _emergency(layout),
        "replay": _replay(layout),
        "steps": timings,
        "total_seconds": sum(t["seconds"] or 0.0 for t in timings.values()),
        "cpu_count": os.cpu_count(),
    }


def _task(layout: Layout, task: str, config: DemoConfig) -> dict[str, Any]:
    _, rows, episodes = read_data(layout.data(task))
    data = {"episodes": len(episodes), "teacher_success": sum(e.success for e in episodes) / max(1, len(episodes)),
            "decisions": len(rows), "forced": sum(r.forced for r in rows),
            "held_out": list(TEST_MAPS) if task == "pursuit" else [],  # where every pursuit agent is evaluated
            "path": _relative(layout, layout.data(task))}
    train = {}
    for mode in ("ld", "kd"):
        run = layout.run(task, mode)
        metrics = read_artefact(run / "metrics.json")
        train[mode] = {**{k: metrics.get(k) for k in TRAIN_KEYS},
                       "learning_curve": _relative(layout, run / "learning_curve.png")}
    agents = {}
    for agent in config.agents(task):
        result = read_artefact(layout.eval(task, agent))
        agents[agent] = {k: result.get(k) for k in KEYS[task]}
        if task == "twentyone":
            agents[agent] |= {"disagreements": len(result["disagreements"]),
                              "policy_grid": _relative(layout, layout.eval(task, agent, ".png"))}
    return {"data": data, "train": train, "agents": agents}


def _emergency(layout: Layout) -> dict[str, Any]:
    report = read_artefact(layout.emergency())
    metric = report["metric"]
    figures = {report["agent"]: report, **({"teacher": report["teacher"]} if report["agent"] != "teacher" else {})}
    return {
        "task": report["task"], "scenario": report["scenario"], "rule": report["rule"], "metric": metric,
        "retrained": report["retrained"], "base_version": report["base_version"],
        "added_functions": [{"name": f["name"], "stage": f["stage"], "provenance": f["provenance"]["kind"]}
                            for f in report["added_functions"]],
        "new_function_choices": report["new_function_choices"],
        "agents": {who: {phase: phases[phase][metric] for phase in PHASES} for who, phases in figures.items()},
    }


def _replay(layout: Layout) -> dict[str, Any]:
    return {**read_artefact(layout.replay(".json")), "gif": _relative(layout, layout.replay(".gif")),
            "trace": _relative(layout, layout.replay(".jsonl"))}


def comparison(summary: dict[str, Any]) -> tuple[list[tuple[str, str]], list[list[str]]]:
    """``(task, metric label)`` per column after the agent, and one row of text per agent
    ("-" where the agent was not evaluated or the figure does not apply)."""
    tasks = summary["tasks"]
    agents = dict.fromkeys(a for t in tasks.values() for a in t["agents"])
    rows = [[agent, *(show(tasks.get(task, {}).get("agents", {}).get(agent, {}).get(key), fmt)
                      for task, key, _, fmt in COLUMNS)] for agent in agents]
    return [(task, label) for task, _, label, _ in COLUMNS], rows


def _relative(layout: Layout, path: Path) -> str:
    return path.relative_to(layout.root).as_posix()
