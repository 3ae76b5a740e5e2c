"""Play episodes and turn them into the figures every report uses."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from logicdistill.agent.loop import EpisodeMemory
from logicdistill.agent.records import StepRecord
from logicdistill.functions.runtime import get_runtime
from logicdistill.tasks.api import Task


@dataclass
class EpisodeResult:
    seed: int
    success: bool  # as the task judges the final state (``Task.success``)
    steps: int
    total_reward: float  # the environment's rewards summed over the episode
    figures: dict[str, float]  # the task's own per-episode figures (``Task.episode_figures``)
    decision_ms: list[float]  # per step
    stage_ms: list[float]  # per decision: a stage of one unit (LD agents), else one unit's action
    selector_ms: list[float]  # per stage decision that needed the selector (LD agents only)
    function_errors: int
    variant: str = ""
    selected: Counter = field(default_factory=Counter)  # function name -> times the selector chose it
    forced: Counter = field(default_factory=Counter)  # function name -> times it ran as the moot default
    trace: list[StepRecord] = field(default_factory=list)
    states: list[Any] = field(default_factory=list)


class _Episode:
    """One episode in progress: its environment, state and the figures collected so far."""

    def __init__(self, task: Task, env: Any, seed: int, keep: bool, variant: str = ""):
        self.task, self.env, self.seed, self.keep, self.variant = task, env, seed, keep, variant
        self.state, _ = env.reset(seed=seed)
        self.trace: list[StepRecord] = []
        self.states = [self.state] if keep else []
        self.steps = 0
        self.total_reward = 0.0
        self.decision_ms: list[float] = []
        self.stage_ms: list[float] = []
        self.selector_ms: list[float] = []
        self.errors = 0
        self.selected: Counter = Counter()
        self.forced: Counter = Counter()
        self.done = False

    def step(self, action: Any, record: StepRecord) -> None:
        record.step = self.steps  # the runner numbers steps: agents need not read them from states
        for stage in record.stages:
            stage.step = self.steps
        self.state, reward, terminated, truncated, _ = self.env.step(action)
        self.steps += 1
        self.total_reward += float(reward)
        self.done = terminated or truncated
        self.decision_ms.append(record.decision_ms)
        if record.stages:
            self.stage_ms += [s.decision_ms for s in record.stages]
            self.selector_ms += [s.select_ms for s in record.stages if not s.forced]
        else:  # agents without stages decide every unit's action at once
            units = max(1, len(action)) if isinstance(action, (tuple, list)) else 1
            self.stage_ms += [record.decision_ms / units] * units
        self.errors += sum(s.error is not None for s in record.stages)
        for s in record.stages:
            (self.forced if s.forced else self.selected)[s.choice] += 1
        if self.keep:
            self.trace.append(record)
            self.states.append(self.state)

    def result(self) -> EpisodeResult:
        return EpisodeResult(
            self.seed,
            bool(self.task.success(self.state)),
            self.steps,
            self.total_reward,
            dict(self.task.episode_figures(self.state)),
            self.decision_ms,
            self.stage_ms,
            self.selector_ms,
            self.errors,
            self.variant,
            self.selected,
            self.forced,
            self.trace,
            self.states,
        )


def run_episode(
    task: Task,
    env: Any,
    agent: Any,
    seed: int,
    keep: bool = False,
    on_step: Callable[[Any, StepRecord], None] | None = None,
    variant: str = "",
) -> EpisodeResult:
    """One episode of ``task`` from ``env.reset(seed=seed)``; ``keep`` stores the trace and every state."""
    episode = _Episode(task, env, seed, keep, variant)
    agent.reset(seed)
    while not episode.done:
        action, record = agent.act(episode.state)
        episode.step(action, record)
        if on_step:
            on_step(episode.state, record)
    return episode.result()


def run_episodes(
    task: Task,
    env_for: Callable[[int], tuple[Any, str]],
    agent: Any,
    seeds: list[int],
    parallel: int = 1,
    on_episode: Callable[[EpisodeResult], None] | None = None,
    keep: bool = False,
) -> list[EpisodeResult]:
    """Episode i plays in the environment and variant ``env_for(i)`` from ``seeds[i]``; results in
    episode order (``on_episode`` sees them as they end); ``keep`` stores traces and states.

    With ``parallel`` > 1 and an agent that has ``act_batch`` (the LD agents), up to ``parallel``
    episodes advance in lock step and every stage's selections of all of them form one batch,
    so a model selector reads one batch per stage instead of one per episode. Each episode keeps
    its own memory, so its result is the one it would have had alone (up to the batch's
    floating-point rounding in the model's scores).
    """
    if parallel <= 1 or not hasattr(agent, "act_batch"):
        results = []
        for i, seed in enumerate(seeds):
            env, variant = env_for(i)
            results.append(run_episode(task, env, agent, seed, keep, variant=variant))
            if on_episode:
                on_episode(results[-1])
        return results
    results: dict[int, EpisodeResult] = {}
    waiting = list(range(len(seeds)))[::-1]
    active: dict[int, tuple[_Episode, EpisodeMemory]] = {}
    while waiting or active:
        while waiting and len(active) < parallel:
            i = waiting.pop()
            env, variant = env_for(i)
            active[i] = (_Episode(task, env, seeds[i], keep, variant), EpisodeMemory(seeds[i]))
        order = list(active)
        decided = agent.act_batch([active[i][0].state for i in order], [active[i][1] for i in order])
        for i, (action, record) in zip(order, decided):
            episode = active[i][0]
            episode.step(action, record)
            if episode.done:
                results[i] = episode.result()
                del active[i]
                if on_episode:
                    on_episode(results[i])
    return [results[i] for i in range(len(seeds))]


def function_choices(selected: Counter, forced: Counter) -> dict[str, dict[str, int]]:
    """How often each function ran: chosen by the selector, or as the default of a moot choice."""
    return {name: {"selected": selected[name], "forced": forced[name]} for name in sorted(selected | forced)}


def summarise(results: list[EpisodeResult], agent: str, task: Task, **extra: Any) -> dict[str, Any]:
    """The JSON summary of ``logicdistill eval``; medians and p95, since machines are noisy."""
    steps_ms = [ms for r in results for ms in r.decision_ms]
    stage_ms = [ms for r in results for ms in r.stage_ms]
    selector_ms = [ms for r in results for ms in r.selector_ms]
    variants = list(dict.fromkeys(r.variant for r in results))
    figures = list(dict.fromkeys(name for r in results for name in r.figures))
    per_episode = [
        {"variant": r.variant, "seed": r.seed, "success": r.success, "steps": r.steps, "return": r.total_reward}
        | r.figures
        for r in results
    ]
    return {
        "task": task.name,
        "agent": agent,
        "settings": task.setting_values(),
        "episodes": len(results),
        "success_rate": float(np.mean([r.success for r in results])),
        "mean_steps": float(np.mean([r.steps for r in results])),
        "mean_return": float(np.mean([r.total_reward for r in results])),
        **{f"mean_{name}": float(np.mean([r.figures.get(name, 0.0) for r in results])) for name in figures},
        "success_rate_by_variant": {
            v: float(np.mean([r.success for r in results if r.variant == v])) for v in variants
        },
        "decision_ms_per_step_median": statistics.median(steps_ms) if steps_ms else 0.0,
        "decision_ms_median": statistics.median(stage_ms) if stage_ms else None,
        "decision_ms_p95": float(np.percentile(stage_ms, 95)) if stage_ms else None,
        "decision_ms_mean": float(np.mean(stage_ms)) if stage_ms else None,
        "selector_ms_median": statistics.median(selector_ms) if selector_ms else None,
        "selector_calls_share": len(selector_ms) / len(stage_ms) if selector_ms else 0.0,
        "function_errors": sum(r.function_errors for r in results),
        "sandbox": get_runtime().counts.as_dict(),  # untrusted functions' calls, failures, quarantines
        "function_choices": function_choices(
            sum((r.selected for r in results), Counter()), sum((r.forced for r in results), Counter())
        ),
        **task.summary_figures(per_episode),  # the task's figures of the episodes together
        "per_episode": per_episode,
        **extra,
    }
