"""Library entry points behind ``logicdistill play`` and ``logicdistill eval``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from logicdistill.agent.factory import AgentOptions, build_agent
from logicdistill.evaluation.episodes import EpisodeResult, run_episode, summarise
from logicdistill.functions.base import atomic_write_text
from logicdistill.tasks import get_task
from logicdistill.tasks.pursuit.env import PursuitConfig, make_env
from logicdistill.tasks.pursuit.maps import bundled_map_names


def benchmark_maps() -> list[str]:
    """The maps ``eval`` uses by default: every bundled map."""
    return bundled_map_names()


def play(agent_name: str, config: PursuitConfig, seed: int, options: AgentOptions,
         on_step: Callable[[Any, Any], None] | None = None) -> EpisodeResult:
    task = get_task("pursuit")
    env = make_env(config)
    agent = build_agent(agent_name, task, env, replace(options, seed=seed))
    return run_episode(env, agent, seed, keep=True, on_step=on_step)


def evaluate(agent_name: str, config: PursuitConfig, maps: list[str], episodes: int, seed: int,
             options: AgentOptions, on_episode: Callable[[EpisodeResult], None] | None = None) -> dict[str, Any]:
    """``episodes`` games spread round-robin over ``maps``; game i uses seed ``seed + i``, so its
    starts (unless fixed) and every evader tie-break come from that seed."""
    task = get_task("pursuit")
    envs, agents = {}, {}
    results = []
    for i in range(episodes):
        name = maps[i % len(maps)]
        if name not in envs:
            envs[name] = make_env(replace(config, map=name))
            agents[name] = build_agent(agent_name, task, envs[name], replace(options, seed=seed))
        result = run_episode(envs[name], agents[name], seed + i)
        results.append(result)
        if on_episode:
            on_episode(result)
    summary = summarise(results, agent_name, task.name, evader=config.evader, maps=maps, seed=seed,
                        retriever=options.retriever, top_k=options.top_k)
    summary["success_rate_by_map"] = {
        m: sum(r.success for r in results if r.map == m) / max(1, sum(r.map == m for r in results)) for m in maps
    }
    return summary


def write_json(path: str | Path, data: Any) -> None:
    atomic_write_text(Path(path), json.dumps(data, indent=2) + "\n")


def write_trace(path: str | Path, result: EpisodeResult) -> None:
    lines = [json.dumps({"step": step.step, "action": list(step.action), "decision_ms": round(step.decision_ms, 3),
                         "stages": [s.to_json() for s in step.stages]}) for step in result.trace]
    atomic_write_text(Path(path), "\n".join(lines) + "\n")
