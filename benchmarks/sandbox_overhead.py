"""What the sandbox costs: a stage decision over sandboxed functions against the same decision in
process, measured side by side on the same states, and the cost of one sandboxed call.

States come from a seeded pursuit game on a held-out map played by the LD loop with a random
selector and the BM25 retriever (no model: the figure is the functions' execution, which is all
the sandbox changes). For every state the same agent decides once with the in-process runtime and
once with every function sent to the sandbox (``FunctionRuntime(isolate_all=True)``), alternating
which goes first, so both see the same machine load. A stage decision is one step's ``act`` time
divided by its units times stages: retrieval, every candidate's preview, the look-ahead through
later defaults, and the execution of the choice.

    .venv/bin/python benchmarks/sandbox_overhead.py [--steps 60] [--map courtyard] [--calls 2000]

Writes benchmarks/results/sandbox_overhead.json. Target (security issue): the median sandboxed
stage decision within 2 ms of the in-process one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from logicdistill.agent.loop import EpisodeMemory, LDAgent
from logicdistill.agent.selectors import RandomSelector
from logicdistill.functions import runtime as runtimes
from logicdistill.functions.runtime import FunctionRuntime
from logicdistill.games.pursuit.task import PursuitSettings, PursuitTask
from logicdistill.retrieval.bm25 import BM25Retriever
from logicdistill.student.model import cpu_kind

RESULTS = Path(__file__).parent / "results"


def game_states(task: PursuitTask, map_name: str, seed: int) -> list:
    """Every state of one game on ``map_name`` but the last (the task's max_steps bound it)."""
    env = task.make_env(map_name)
    agent = LDAgent(task, task.bundled_base(), BM25Retriever(), RandomSelector(seed), top_k=5)
    state, _ = env.reset(seed=seed)
    states = [state]
    while not state.done:
        action, _ = agent.act(state)
        state, *_ = env.step(action)
        states.append(state)
    return states[:-1]


def decide_ms(agent: LDAgent, state, runtime: FunctionRuntime) -> float:
    """One step's decision with ``runtime`` in force, per stage decision, in ms."""
    runtimes._runtime = runtime
    start = time.perf_counter()
    agent.act_batch([state], [EpisodeMemory(seed=state.step)])
    return (time.perf_counter() - start) * 1000 / (len(agent.task.units(state)) * len(agent.task.stages))


def call_us(runtime: FunctionRuntime, task: PursuitTask, state, calls: int) -> float:
    """Median time of one function call (the first target function) through ``runtime``, in µs."""
    spec = task.bundled_base().by_stage("target")[0]
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        runtime.run(task, state, 0, {}, [(spec, {}, ())])
        times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--map", default="courtyard")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    task = PursuitTask(PursuitSettings(max_steps=args.steps))
    here, isolated = FunctionRuntime(), FunctionRuntime(isolate_all=True)
    states = game_states(task, args.map, args.seed)
    agent = LDAgent(task, task.bundled_base(), BM25Retriever(), RandomSelector(args.seed), top_k=5)
    decide_ms(agent, states[0], isolated)  # start the worker and compile the functions: not measured
    in_process, sandboxed = [], []
    for i, state in enumerate(states):
        pair = [(in_process, here), (sandboxed, isolated)]
        for out, runtime in pair if i % 2 else pair[::-1]:
            out.append(decide_ms(agent, state, runtime))
    result = {
        "cpu": cpu_kind(),
        "map": args.map,
        "states": len(states),
        "stage_decision_ms_median": {
            "in_process": statistics.median(in_process),
            "sandboxed": statistics.median(sandboxed),
        },
        "overhead_ms_median": statistics.median(s - h for s, h in zip(sandboxed, in_process)),
        "call_us_median": {
            "in_process": call_us(here, task, states[0], args.calls),
            "sandboxed": call_us(isolated, task, states[0], args.calls),
        },
        "sandboxed_calls": isolated.counts.sandboxed_calls,
        "failures": dict(isolated.counts.failures),
    }
    isolated.close()
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sandbox_overhead.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
