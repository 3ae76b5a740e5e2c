"""Library entry points behind ``logicdistill play`` and ``logicdistill eval``."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from logicdistill.agent.factory import AgentOptions, build_agent
from logicdistill.evaluation.episodes import EpisodeResult, run_episode, run_episodes, summarise
from logicdistill.functions.base import atomic_write_text
from logicdistill.tasks.pursuit.env import PursuitConfig, make_env
from logicdistill.tasks.pursuit.maps import bundled_map_names
from logicdistill.tasks.pursuit.task import PursuitTask


def benchmark_maps() -> list[str]:
    """The maps ``eval`` uses by default: every bundled map."""
    return bundled_map_names()


def play(agent_name: str, config: PursuitConfig, seed: int, options: AgentOptions,
         on_step: Callable[[Any, Any], None] | None = None) -> EpisodeResult:
    task = PursuitTask(config.emergency)
    env = make_env(config)
    agent = build_agent(agent_name, task, env, replace(options, seed=seed))
    return run_episode(env, agent, seed, keep=True, on_step=on_step)


def evaluate(agent_name: str, config: PursuitConfig, maps: list[str], episodes: int, seed: int,
             options: AgentOptions, on_episode: Callable[[EpisodeResult], None] | None = None,
             data: Path | None = None, accuracy_examples: int = 300, parallel: int = 1) -> dict[str, Any]:
    """``episodes`` games spread round-robin over ``maps``; game i uses seed ``seed + i``, so its
    starts (unless fixed) and every evader tie-break come from that seed. ``parallel`` games
    advance together so the student scores their decisions in shared batches."""
    task = PursuitTask(config.emergency)
    env_for = lambda i: make_env(replace(config, map=maps[i % len(maps)]))  # noqa: E731
    agent = build_agent(agent_name, task, env_for(0), replace(options, seed=seed))
    held = accuracy_data(agent_name, options, data, accuracy_examples)
    start = time.perf_counter()
    results = run_episodes(env_for, agent, [seed + i for i in range(episodes)], parallel, on_episode)
    wall = time.perf_counter() - start
    summary = summarise(results, agent_name, task.name, evader=config.evader, maps=maps, seed=seed,
                        retriever=options.retriever, top_k=options.top_k, parallel=parallel,
                        wall_seconds=wall, stage_decisions_per_s=sum(len(r.stage_ms) for r in results) / wall)
    summary.update(selection_accuracy(agent_name, options, held, accuracy_examples))
    summary["success_rate_by_map"] = {
        m: sum(r.success for r in results if r.map == m) / max(1, sum(r.map == m for r in results)) for m in maps
    }
    return summary


def accuracy_data(agent_name: str, options: AgentOptions, data: Path | None, limit: int) -> tuple[Any, list] | None:
    """The header and rows whose test split scores selection accuracy (``data``, else the run's),
    or None where it is not measured: for selectors only, and not with ``limit`` 0. Read before
    any game is played, so a bad data file fails at once, not after the evaluation."""
    from logicdistill.distill.data import read_data
    from logicdistill.distill.runs import read_run_config

    if agent_name not in ("ld", "zero-shot-ld", "random") or limit < 1:
        return None
    if data is None and options.run is not None:
        data = Path(read_run_config(options.run)["data"])
    if data is None:
        return None
    header, rows, _ = read_data(data)
    return header, rows


def selection_accuracy(agent_name: str, options: AgentOptions, held: tuple[Any, list] | None,
                       limit: int) -> dict[str, Any]:
    """Agreement with the teacher's choices on held-out (test-split) states of ``held``
    (``accuracy_data``; None: not measured).

    ``selection_accuracy`` counts the same function name; ``selection_accuracy_equivalent`` also
    counts a different function that returns the same result in that state.
    """
    if held is None:
        return {"selection_accuracy": None, "selection_accuracy_equivalent": None, "selection_examples": 0}
    header, rows = held
    if agent_name == "random":  # the exact expectation of a uniform choice
        rows = [r for r in rows if r.split == "test" and not r.forced]
        exact = float(np.mean([1 / len(r.candidates) for r in rows])) if rows else None
        same = float(np.mean([r.previews.count(r.previews[r.candidates.index(r.choice)]) / len(r.candidates)
                              for r in rows])) if rows else None
        return {"selection_accuracy": exact, "selection_accuracy_equivalent": same, "selection_examples": len(rows)}
    from logicdistill.agent.factory import student_for
    from logicdistill.distill.train import held_out_accuracy

    acc = held_out_accuracy(student_for(agent_name, options), header, rows, "ld", limit, options.seed)
    return {"selection_accuracy": acc["exact"], "selection_accuracy_equivalent": acc["equivalent"],
            "selection_examples": acc["n"]}


def write_json(path: str | Path, data: Any) -> None:
    atomic_write_text(Path(path), json.dumps(data, indent=2) + "\n")


def write_trace(path: str | Path, result: EpisodeResult) -> None:
    lines = [json.dumps({"step": step.step, "action": list(step.action) if isinstance(step.action, (tuple, list)) else step.action, "decision_ms": round(step.decision_ms, 3),
                         "stages": [s.to_json() for s in step.stages]}) for step in result.trace]
    atomic_write_text(Path(path), "\n".join(lines) + "\n")
