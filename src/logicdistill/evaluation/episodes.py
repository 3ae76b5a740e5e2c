"""Play episodes and turn them into the figures every report uses."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from logicdistill.agent.records import StepRecord


@dataclass
class EpisodeResult:
    seed: int
    success: bool
    steps: int
    captures: int
    decision_ms: list[float]  # per step
    stage_ms: list[float]  # per decision: a stage of one unit (LD agents), else one unit's action
    selector_ms: list[float]  # per stage decision that needed the selector (LD agents only)
    function_errors: int
    map: str = ""
    trace: list[StepRecord] = field(default_factory=list)
    states: list[Any] = field(default_factory=list)


def run_episode(env: Any, agent: Any, seed: int, keep: bool = False,
                on_step: Callable[[Any, StepRecord], None] | None = None) -> EpisodeResult:
    """One episode from ``env.reset(seed=seed)``; ``keep`` stores the trace and every state."""
    state, info = env.reset(seed=seed)
    agent.reset(seed)
    trace, states, decision_ms, stage_ms, selector_ms, errors = [], [state], [], [], [], 0
    done = False
    while not done:
        action, record = agent.act(state)
        state, _, terminated, truncated, _ = env.step(action)
        done = terminated or truncated
        decision_ms.append(record.decision_ms)
        if record.stages:
            stage_ms += [s.decision_ms for s in record.stages]
            selector_ms += [s.select_ms for s in record.stages if not s.forced]
        else:  # agents without stages decide every unit's action at once
            stage_ms += [record.decision_ms / max(1, len(action))] * max(1, len(action))
        errors += sum(s.error is not None for s in record.stages)
        if keep:
            trace.append(record)
            states.append(state)
        if on_step:
            on_step(state, record)
    return EpisodeResult(seed, bool(state.success), state.step, int(sum(state.captured)),
                         decision_ms, stage_ms, selector_ms, errors, info.get("map", ""), trace, states)


def summarise(results: list[EpisodeResult], agent: str, task: str, **extra: Any) -> dict[str, Any]:
    """The JSON summary of ``logicdistill eval``; medians and p95, since machines are noisy."""
    steps_ms = [ms for r in results for ms in r.decision_ms]
    stage_ms = [ms for r in results for ms in r.stage_ms]
    selector_ms = [ms for r in results for ms in r.selector_ms]
    return {
        "task": task,
        "agent": agent,
        "episodes": len(results),
        "success_rate": float(np.mean([r.success for r in results])),
        "mean_steps": float(np.mean([r.steps for r in results])),
        "mean_captures": float(np.mean([r.captures for r in results])),
        "decision_ms_per_step_median": statistics.median(steps_ms) if steps_ms else 0.0,
        "decision_ms_median": statistics.median(stage_ms) if stage_ms else None,
        "decision_ms_p95": float(np.percentile(stage_ms, 95)) if stage_ms else None,
        "selector_ms_median": statistics.median(selector_ms) if selector_ms else None,
        "selector_calls_share": len(selector_ms) / len(stage_ms) if selector_ms else 0.0,
        "function_errors": sum(r.function_errors for r in results),
        "per_episode": [
            {"map": r.map, "seed": r.seed, "success": r.success, "steps": r.steps, "captures": r.captures}
            for r in results
        ],
        **extra,
    }
