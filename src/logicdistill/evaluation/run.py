"""Library entry points behind ``logicdistill play`` and ``logicdistill eval``: one evaluation
path for every task (episodes in lock step, success rate and the task's own figures)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from logicdistill.agent.episodes import EpisodeResult, run_episode, run_episodes, summarise
from logicdistill.agent.factory import AgentOptions, build_agent, student_for
from logicdistill.agent.llm_teacher import LabelUsage, LLMTeacher
from logicdistill.agent.loop import act_on_states
from logicdistill.distill.data import read_data
from logicdistill.distill.train import held_out_accuracy
from logicdistill.evaluation.processes import play_in_processes
from logicdistill.functions.base import atomic_write_text
from logicdistill.student.runs import read_run_config
from logicdistill.tasks.api import Task


def play(
    agent_name: str,
    task: Task,
    variant: str | None,
    seed: int,
    options: AgentOptions,
    on_step: Callable[[Any, Any], None] | None = None,
) -> EpisodeResult:
    """One episode of ``variant`` (default: the task's first), its trace and states kept."""
    variant = variant or task.variants[0]
    env = task.make_env(variant)
    agent = build_agent(agent_name, task, env, replace(options, seed=seed))
    return run_episode(task, env, agent, seed, keep=True, on_step=on_step, variant=variant)


def evaluate(
    agent_name: str,
    task: Task,
    episodes: int,
    seed: int,
    options: AgentOptions,
    variants: Sequence[str] | None = None,
    on_episode: Callable[[EpisodeResult], None] | None = None,
    data: Path | None = None,
    accuracy_examples: int = 300,
    parallel: int = 1,
    out: Path | None = None,
    processes: int = 1,
) -> dict[str, Any]:
    """``episodes`` episodes spread round-robin over ``variants`` (default: the task's
    ``eval_variants``, its held-out variants where it has any); episode i
    uses seed ``seed + i``. ``parallel`` episodes advance together so a student scores their
    decisions in shared batches; ``processes`` > 1 spreads the episodes over that many worker
    processes, each with its own agent (``evaluation.processes``), the results in episode order.
    Then the task's figures of the whole policy (``Task.policy_metrics``, drawn under ``out``)
    and, for selectors, agreement with the teacher on held-out data. A teacher LLM's token usage
    and cost (``--demonstrator llm``) is ``teacher_llm``."""
    variants = list(variants or task.eval_variants)
    agent = build_agent(agent_name, task, task.make_env(variants[0]), replace(options, seed=seed))
    held = accuracy_data(agent_name, options, data, accuracy_examples)

    def env_for(i: int) -> tuple[Any, str]:
        variant = variants[i % len(variants)]
        return task.make_env(variant), variant

    # the whole policy first: a random agent's table then does not depend on how many episodes were played
    policy = task.policy_metrics(lambda states: [action for action, _ in act_on_states(agent, states)], seed, out)
    labeller = getattr(agent, "selector", None)
    labeller = labeller if isinstance(labeller, LLMTeacher) else None  # a teacher LLM: its usage is reported
    processes = max(1, min(processes, episodes))
    start = time.perf_counter()
    if processes > 1:
        tallies = [labeller.tally()] if labeller else []  # what the policy figures asked, here
        live = options.llm.on_usage if labeller and options.llm else None

        def running(parts: list[LabelUsage]) -> None:  # the workers' counts so far, each as it stands
            live(labeller.usage.merged([*tallies, *((usage, None) for usage in parts)]))

        results, more = play_in_processes(
            agent_name,
            task,
            variants,
            episodes,
            seed,
            options,
            processes,
            parallel,
            on_episode,
            running if live else None,
        )
        tallies += more
    else:
        results = run_episodes(task, env_for, agent, [seed + i for i in range(episodes)], parallel, on_episode)
        tallies = [labeller.tally()] if labeller else []
    wall = time.perf_counter() - start
    summary = summarise(
        results,
        agent_name,
        task,
        variants=variants,
        seed=seed,
        retriever=options.retriever,
        top_k=options.top_k,
        parallel=parallel,
        processes=processes,
        wall_seconds=wall,
        stage_decisions_per_s=sum(len(r.stage_ms) for r in results) / wall if wall else None,
    )
    if labeller:
        summary["teacher_llm"] = labeller.usage.merged(tallies).model_dump()
    summary.update(policy)
    summary.update(selection_accuracy(agent_name, options, held, accuracy_examples))
    return summary


def accuracy_data(agent_name: str, options: AgentOptions, data: Path | None, limit: int) -> tuple[Any, list] | None:
    """The header and rows whose test split scores selection accuracy (``data``, else the run's),
    or None where it is not measured: for selectors only, and not with ``limit`` 0. Read before
    any game is played, so a bad data file fails at once, not after the evaluation."""
    if agent_name not in ("ld", "zero-shot-ld", "random") or limit < 1:
        return None
    if data is None and options.run is not None:
        data = Path(read_run_config(options.run)["data"])
    if data is None:
        return None
    header, rows, _ = read_data(data)
    return header, rows


def selection_accuracy(
    agent_name: str, options: AgentOptions, held: tuple[Any, list] | None, limit: int
) -> dict[str, Any]:
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
        same = (
            float(
                np.mean([r.previews.count(r.previews[r.candidates.index(r.choice)]) / len(r.candidates) for r in rows])
            )
            if rows
            else None
        )
        return {"selection_accuracy": exact, "selection_accuracy_equivalent": same, "selection_examples": len(rows)}
    acc = held_out_accuracy(student_for(agent_name, options), header, rows, "ld", limit, options.seed)
    return {
        "selection_accuracy": acc["exact"],
        "selection_accuracy_equivalent": acc["equivalent"],
        "selection_examples": acc["n"],
    }


def write_json(path: str | Path, data: Any) -> None:
    atomic_write_text(Path(path), json.dumps(data, indent=2) + "\n")


def write_trace(path: str | Path, result: EpisodeResult) -> None:
    lines = [
        json.dumps(
            {
                "step": step.step,
                "action": list(step.action) if isinstance(step.action, (tuple, list)) else step.action,
                "decision_ms": round(step.decision_ms, 3),
                "stages": [s.to_json() for s in step.stages],
            }
        )
        for step in result.trace
    ]
    atomic_write_text(Path(path), "\n".join(lines) + "\n")
