"""``eval --processes N``: an evaluation's episodes spread over N worker processes.

Each worker is started with ``spawn`` (a fresh interpreter: no forked model, thread or sandbox
state), builds its agent once, exactly as ``evaluate`` builds it in one process, and plays its
share of the episodes: episode i goes to worker i mod N, with seed ``seed + i`` and variant
``variants[i % len(variants)]`` as always. ``parallel`` of a worker's episodes still advance in lock
step. Results come back as episodes end (``on_episode`` sees them in the order they end, as with
lock step) and are returned in episode order, so the summary is the one process's for any agent
whose episodes do not depend on each other: not ``random``, whose one random stream runs on from
episode to episode (each worker's starts afresh), nor a function quarantined in one worker only.

What a worker reports besides its episodes: its sandbox counts (added to this process's, which
``summarise`` reports) and, for a teacher LLM, what labelling took (``LLMTeacher.tally``). A
worker's ``LogicDistillError`` is raised here as the same one-line error; a worker that dies
without a word (killed, out of memory) is an error naming its exit code.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import queue as queues
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from logicdistill.agent.episodes import EpisodeResult, run_episodes
from logicdistill.agent.factory import AgentOptions, build_agent
from logicdistill.agent.llm_teacher import LabelExchange, LabelUsage, LLMTeacher
from logicdistill.errors import LogicDistillError
from logicdistill.functions.runtime import configure_runtime, get_runtime
from logicdistill.plugins import load_object, reference_of
from logicdistill.tasks.api import Task

POLL_S = 1.0  # how often the parent looks for a worker that died without a word

Tally = tuple[LabelUsage, dict[str, LabelExchange]]


@dataclass
class Job:
    """What every worker needs, pickled once in the parent (a task loaded from a file unpickles
    only after the worker has loaded that file: ``_work``)."""

    agent: str
    task: Task
    variants: list[str]
    episodes: int
    seed: int
    options: AgentOptions
    parallel: int
    processes: int
    runtime: tuple[Any, bool]  # this process's sandbox limits and isolate_all


def play_in_processes(
    agent_name: str,
    task: Task,
    variants: Sequence[str],
    episodes: int,
    seed: int,
    options: AgentOptions,
    processes: int,
    parallel: int = 1,
    on_episode: Callable[[EpisodeResult], None] | None = None,
    on_usage: Callable[[list[LabelUsage]], None] | None = None,
) -> tuple[list[EpisodeResult], list[Tally]]:
    """Episodes ``0 .. episodes - 1`` over ``processes`` workers: their results in episode order,
    and each teacher-LLM worker's tally. ``on_usage`` hears every worker's running labelling
    counts (the latest of each) whenever one changes."""
    processes = max(1, min(processes, episodes))
    runtime = get_runtime()
    llm = options.llm
    job = Job(
        agent_name,
        task,
        list(variants),
        episodes,
        seed,
        replace(options, llm=llm and replace(llm, on_usage=None)),  # a callback cannot travel
        parallel,
        processes,
        (runtime.limits, runtime.isolate_all),
    )
    blob = pickle.dumps(job)
    context = mp.get_context("spawn")
    messages = context.Queue()
    workers = [
        context.Process(
            target=_work,
            args=(reference_of(type(task)), blob, k, messages),
            name=f"logicdistill-eval-{k}",
        )
        for k in range(processes)
    ]
    results: dict[int, EpisodeResult] = {}
    tallies: dict[int, Tally] = {}
    usage: dict[int, LabelUsage] = {}
    try:
        for worker in workers:
            worker.start()
        quiet = 0  # polls in a row without a message
        while len(tallies) < processes:
            try:
                kind, k, payload = messages.get(timeout=POLL_S)
            except queues.Empty:
                quiet += 1
                dead = [w for i, w in enumerate(workers) if i not in tallies and not w.is_alive()]
                if dead and quiet > 1:  # a worker puts its last message before it ends: allow one more poll
                    raise RuntimeError(
                        f"evaluation process {dead[0].name} ended with exit code {dead[0].exitcode} "
                        "before its episodes were done"
                    ) from None
                continue
            quiet = 0
            if kind == "episode":
                results[payload.seed - seed] = payload
                if on_episode:
                    on_episode(payload)
            elif kind == "usage":
                usage[k] = payload
                if on_usage:
                    on_usage(list(usage.values()))
            elif kind == "done":
                tallies[k], counts = payload
                runtime.counts.add(counts)
            else:  # "error"
                raise _error(k, *payload)
        for worker in workers:
            worker.join()
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
                worker.join(timeout=10)
        messages.close()
    missing = [i for i in range(episodes) if i not in results]
    if missing:
        raise RuntimeError(f"evaluation processes did not return episode {missing[0]}")
    return [results[i] for i in range(episodes)], [tallies[k] for k in sorted(tallies) if tallies[k] is not None]


def _error(k: int, cls: type[BaseException] | None, message: str) -> BaseException:
    """A worker's error, raised in the parent: ours as the same class and line, others with the
    worker's traceback."""
    if cls is not None:
        try:
            return cls(message)
        except TypeError:  # an error class of a plug-in's own that takes other arguments
            pass
    return RuntimeError(f"evaluation process {k} failed:\n{message}")


def _work(task_reference: str, blob: bytes, k: int, messages: Any) -> None:
    """One worker: load the task's code, build the agent once, play episodes k, k + N, ..."""
    try:
        load_object(task_reference)  # a task from a file: its module, before the task unpickles
        job: Job = pickle.loads(blob)
        configure_runtime(*job.runtime)
        options = replace(job.options, seed=job.seed)
        if options.llm is not None:
            options = replace(options, llm=replace(options.llm, on_usage=lambda u: messages.put(("usage", k, u))))
        task, variants = job.task, job.variants
        agent = build_agent(job.agent, task, task.make_env(variants[0]), options)
        _share_threads(job.processes)
        mine = list(range(k, job.episodes, job.processes))
        run_episodes(
            task,
            lambda i: (task.make_env(variants[mine[i] % len(variants)]), variants[mine[i] % len(variants)]),
            agent,
            [job.seed + i for i in mine],
            job.parallel,
            lambda result: messages.put(("episode", k, result)),
        )
        selector = getattr(agent, "selector", None)
        tally = selector.tally() if isinstance(selector, LLMTeacher) else None
        messages.put(("done", k, (tally, get_runtime().counts)))
    except LogicDistillError as exc:
        messages.put(("error", k, (type(exc), str(exc))))
    except BaseException:  # anything else is a bug: its traceback goes to the parent
        messages.put(("error", k, (None, traceback.format_exc())))


def _share_threads(processes: int) -> None:
    """A model's CPU threads shared out among the workers, unless OMP_NUM_THREADS says otherwise."""
    if "torch" in sys.modules and "OMP_NUM_THREADS" not in os.environ:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // processes))
