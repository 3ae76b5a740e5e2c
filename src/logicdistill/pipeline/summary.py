"""``summary.json``: the pipeline's figures read back from its artefacts, and the comparison table
that the terminal and the report both show.

Shape: ``title`` and ``about`` (what the report says of the run), ``config`` (every setting, flat),
``tasks.<task>`` with ``label``, ``reference``, ``settings``, ``eval_variants`` and ``held_out``
(whether those are variants no student trained on), ``metrics`` (the table's columns: name, label,
format, higher_is_better, from the task's own metrics), ``base`` (bundled or written by the
teacher LLM: its fingerprint and functions by stage), ``data`` (with its demonstrator, and what a
teacher LLM's labels took), ``train.<mode>`` (the students trained) and ``agents.<agent>`` (every
figure of ``logicdistill eval``'s summary, plus ``figures``: what the task drew of the policy, by
its key in that summary); ``emergencies`` (per task and scenario: each agent's headline figure under
normal rules, the new rule with the stale base, and with the new functions); ``replay`` (the
student's game and its files, or None); ``steps`` (seconds per step, whether reused) and
``total_seconds``; ``claims`` (each claim of the config checked against these figures:
``claims.check``). Paths are relative to the output folder, so the folder can be moved as a whole.
Nothing here knows any particular task: names, labels and formats of the figures come from each
task's ``metrics``.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from logicdistill.distill.data import read_data
from logicdistill.pipeline.claims import check
from logicdistill.pipeline.steps import Layout, PipelineConfig, Planned, base_of, read_artefact, sizes
from logicdistill.student.model import cpu_kind
from logicdistill.tasks.api import Metric

FORMAT = "logicdistill-summary/4"  # 4: claims checked; 3: bases, demonstrators, several emergencies per task
TRAIN_KEYS = ("train_examples", "steps", "train_seconds", "val_examples", "val_accuracy", "val_balanced_accuracy")
PHASES = {"normal": "normal rules", "before": "new rule, stale base", "after": "new rule, new function"}
# what every evaluation measures, after each task's own metrics; short labels fit a terminal
COMMON_COLUMNS = (
    Metric("mean_steps", False, "steps", "{:.1f}"),
    Metric("selection_accuracy", True, "sel. acc.", "{:.0%}"),
    Metric("decision_ms_median", False, "ms", "{:.3g}"),
)


def show(value: Any, fmt: str) -> str:
    """A figure as text; "-" where it was not measured or does not apply."""
    if value is None:
        return "-"
    return fmt.format(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def columns_of(planned: Planned) -> list[dict[str, Any]]:
    """The task's metrics, headline first, then the common ones it does not list itself."""
    metrics = {m.name: m for m in (*planned.task.metrics, *COMMON_COLUMNS)}
    return [asdict(m) for m in metrics.values()]


def build_summary(
    layout: Layout, config: PipelineConfig, planned: list[Planned], timings: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    summary = {
        "format": FORMAT,
        "title": config.title,
        "about": config.about,
        "config": sizes(config, planned),
        "tasks": {p.key: _task(layout, p) for p in planned},
        "emergencies": [_emergency(layout, p, s.name) for p in planned for s in p.scenarios()],
        "replay": next((_replay(layout, p) for p in planned if p.entry.replay), None),
        "steps": timings,
        "total_seconds": sum(t["seconds"] or 0.0 for t in timings.values()),
        "cpu_count": os.cpu_count(),
        "cpu": cpu_kind(),  # bf16 is fast only where native: the times depend on it
    }
    return {**summary, "claims": [check(claim, summary) for claim in config.claims]}


def _task(layout: Layout, planned: Planned) -> dict[str, Any]:
    key = planned.key
    header, rows, episodes = read_data(layout.data(key))
    data = {
        "demonstrator": planned.entry.demonstrator,
        "episodes": len(episodes),
        "teacher_success": sum(e.success for e in episodes) / max(1, len(episodes)),
        "decisions": len(rows),
        "forced": sum(r.forced for r in rows),
        "labels": header.labels.model_dump() if header.labels else None,
        "path": _relative(layout, layout.data(key)),
    }
    train = {}
    for mode in planned.modes:
        run = layout.run(key, mode)
        metrics = read_artefact(run / "metrics.json")
        train[mode] = {
            **{k: metrics.get(k) for k in TRAIN_KEYS},
            "learning_curve": _relative(layout, run / "learning_curve.png"),
        }
    agents = {agent: _agent(layout, key, agent) for agent in planned.entry.agents}
    return {
        "label": planned.label,
        "reference": planned.entry.task,
        "settings": planned.task.setting_values(),
        "eval_variants": planned.eval_variants or list(planned.task.variants),
        "held_out": planned.eval_variants is not None,
        "metrics": columns_of(planned),
        "base": _base(layout, planned),
        "data": data,
        "train": train,
        "agents": agents,
    }


def _agent(layout: Layout, key: str, agent: str) -> dict[str, Any]:
    """Every figure of the agent's evaluation (its single numbers) and the files the task drew."""
    result = read_artefact(layout.eval(key, agent))
    figures = layout.figures(key, agent).resolve()
    drawn = {
        k: _relative(layout, Path(v))
        for k, v in result.items()
        if isinstance(v, str) and Path(v).is_file() and Path(v).resolve().is_relative_to(figures)
    }
    numbers = {k: v for k, v in result.items() if v is None or isinstance(v, (int, float))}
    return {**numbers, "figures": drawn}


def _base(layout: Layout, planned: Planned) -> dict[str, Any]:
    base = base_of(layout, planned)
    return {
        "source": "bundled" if planned.entry.teacher is None else "teacher",
        "teacher": planned.entry.teacher,
        "fingerprint": base.fingerprint,
        "functions": {s.name: [f.name for f in base.by_stage(s.name)] for s in planned.task.stages},
        "path": None if planned.entry.teacher is None else _relative(layout, layout.base(planned.key)),
    }


def _emergency(layout: Layout, planned: Planned, scenario: str) -> dict[str, Any]:
    report = read_artefact(layout.emergency(planned.key, scenario))
    name = report["metric"]
    metric = next(
        (m for m in planned.task.metrics if m.name == name),
        Metric(name, report.get("higher_is_better", True), name.replace("_", " ")),
    )
    agent = report["agent"]
    figures = {agent: report, **({"teacher": report["teacher"]} if agent != "teacher" else {})}
    return {
        "task": planned.key,
        "label": planned.label,
        "scenario": report["scenario"],
        "rule": report["rule"],
        "metric": asdict(metric),
        "retrained": report["retrained"],
        "base_version": report["base_version"],
        "recovery": report.get("recovery"),
        "agent": agent,
        "added_functions": [
            {"name": f["name"], "stage": f["stage"], "provenance": f["provenance"]["kind"]}
            for f in report["added_functions"]
        ],
        "new_function_choices": report["new_function_choices"],
        "agents": {who: {phase: phases[phase][name] for phase in PHASES} for who, phases in figures.items()},
    }


def _replay(layout: Layout, planned: Planned) -> dict[str, Any]:
    meta = read_artefact(layout.replay(planned.key, ".json"))
    drawing = layout.replay(planned.key, ".gif").with_name(meta.get("drawing", "replay.gif"))
    return {
        **meta,
        "label": planned.label,
        "gif": _relative(layout, drawing),
        "trace": _relative(layout, layout.replay(planned.key, ".jsonl")),
    }


def comparison(summary: dict[str, Any]) -> tuple[list[tuple[str, str]], list[list[str]]]:
    """``(task label, metric label)`` per column after the agent, and one row of text per agent
    ("-" where the agent was not evaluated or the figure does not apply)."""
    tasks = summary["tasks"].values()
    agents = dict.fromkeys(a for t in tasks for a in t["agents"])
    columns = [(t, m) for t in tasks for m in t["metrics"]]
    rows = [
        [agent, *(show(t["agents"].get(agent, {}).get(m["name"]), m["format"]) for t, m in columns)] for agent in agents
    ]
    return [(t["label"], m["label"]) for t, m in columns], rows


def _relative(layout: Layout, path: Path) -> str:
    return path.resolve().relative_to(layout.root.resolve()).as_posix()
