"""Latency of the student's stage decision: one prompt scored against 5 candidate names.

Prompts are the pursuit strategy stage's, as the LD agent builds them: the task instruction, the
first 5 bundled strategy functions with their manuals, then real state texts and the candidates'
previews from greedy games on the ring map (a new state for every decision, so the head cache
reuses only what consecutive real prompts share: the listing).

- single_cold: the head cache is emptied before every decision (a process's first decision);
- single_warm: consecutive decisions, each on a new state (the agent loop's steady state);
- batch_6, batch_12: that many decisions (different states) in one call, warm;
- batch_12_cold: the same with the head cache emptied first.

    .venv/bin/python benchmarks/student_latency.py [--reps 15] [--threads N] [--dtype auto|float32|bfloat16]
Writes benchmarks/results/student_latency_<dtype>.json. Also records CPU time per call and the
load average: on a shared machine wall time is noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from logicdistill.agent.loop import execute_stage, stage_line
from logicdistill.student import load_student, score_candidates, selection_prompt
from logicdistill.student.answers import answer_paths
from logicdistill.tasks import get_task
from logicdistill.tasks.pursuit.baselines import GreedyChaseAgent
from logicdistill.tasks.pursuit.env import PursuitConfig, make_env

RESULTS = Path(__file__).parent / "results"


def strategy_requests(n: int, names: list[str]) -> list[tuple[str, list[str]]]:
    """``n`` distinct (state text, previews) pairs of the strategy stage: every pursuer at every
    step of greedy games on the ring map, targeting its nearest evader as the default does."""
    task, agent, out, seed = get_task("pursuit"), GreedyChaseAgent(), {}, 0
    base, stage = task.bundled_base(), next(s for s in task.stages if s.name == "strategy")
    env = make_env(PursuitConfig(map="ring"))
    while len(out) < n:
        state, _ = env.reset(seed=seed)
        done = False
        while not done and len(out) < n:
            for u in task.units(state):
                plan = {v: {} for v in task.units(state)}
                plan[u]["target"], _ = execute_stage(task, base, state, task.stages[0], u, "nearest_evader", plan, {})
                previews = [task.result_text(stage, execute_stage(task, base, state, stage, u, name, plan, {})[0],
                                             state, u, plan[u]) for name in names]
                out.setdefault(task.state_text(state, u, plan[u]), previews)
            state, _, terminated, truncated, _ = env.step(agent.act(state)[0])
            done = terminated or truncated
        seed += 1
    return list(out.items())[:n]


def timed(fn, reps: int, before=lambda: None) -> dict[str, float]:
    """Median and p95 wall milliseconds, and median CPU milliseconds, of ``fn(1..reps)``, after
    one untimed warm-up call ``fn(0)``; ``before`` runs untimed before every call."""
    before()
    fn(0)
    wall, cpu = [], []
    for i in range(1, reps + 1):
        before()
        w, c = time.perf_counter(), time.process_time()
        fn(i)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return {
        "median_ms": statistics.median(wall),
        "p95_ms": float(np.percentile(wall, 95)),
        "cpu_median_ms": statistics.median(cpu),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: its default)")
    parser.add_argument("--dtype", default="auto", help="student weights: auto, float32 or bfloat16")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    task = get_task("pursuit")
    stage = next(s for s in task.stages if s.name == "strategy")
    specs = task.bundled_base().by_stage("strategy")[:5]
    names = [s.name for s in specs]
    student = load_student(device="cpu", dtype=args.dtype)
    tok = student.tokenizer
    batch_reps = max(3, args.reps // 3)
    requests = strategy_requests(2 + args.reps + 12 * (batch_reps + 1), names)
    manuals = [(s.name, s.manual.text()) for s in specs]
    line = stage_line(stage)
    prompts = [selection_prompt(tok, task.instruction, line, text, manuals, previews) for text, previews in requests]
    head, tail = (len(tok(part, add_special_tokens=False).input_ids) for part in (prompts[0].head, prompts[0].tail))
    fed = sum(len(a.fed) for a in answer_paths(tok, names))

    def score(first: int, count: int) -> list[np.ndarray]:
        return score_candidates(student, prompts[first : first + count], [names] * count)

    report = {
        "device": str(student.device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "dtype": str(student.model.dtype),
        "candidates": names,
        "prompt_tokens": head + tail,
        "head_tokens": head,  # read once per candidate list: what a warm decision does not read
        "answer_tokens_fed": fed,  # only those before a branch deeper than the first token
        "reps": args.reps,
        "load_average_before": os.getloadavg(),
        "single_cold": timed(lambda i: score(i, 1), args.reps, student.heads.clear),
        "single_warm": timed(lambda i: score(i, 1), args.reps),
    }
    start = 1 + args.reps
    for size in (6, 12):
        r = timed(lambda i: score(start + i * size, size), batch_reps)
        report[f"batch_{size}"] = {**r, "decisions_per_s": size * 1000 / r["median_ms"]}
    r = timed(lambda i: score(start + i * 12, 12), batch_reps, student.heads.clear)
    report["batch_12_cold"] = {**r, "decisions_per_s": 12 * 1000 / r["median_ms"]}
    fp32 = load_student(device="cpu", dtype="float32")
    reference = score_candidates(fp32, prompts[:20], [names] * 20)
    student.heads.clear()
    mine = score(0, 20)
    report["max_abs_prob_diff_vs_fp32"] = max(float(np.abs(a - b).max()) for a, b in zip(mine, reference))
    report["argmax_agreement_vs_fp32"] = float(np.mean([a.argmax() == b.argmax() for a, b in zip(mine, reference)]))
    report["load_average_after"] = os.getloadavg()

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"student_latency_{report['dtype'].removeprefix('torch.')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"prompt {report['prompt_tokens']} tokens ({report['head_tokens']} in the head every "
        f"decision shares), 5 candidates ({fed} answer tokens fed), "
        f"{report['threads']} threads, {report['dtype']}, load {report['load_average_before']}"
    )
    print("| case | median ms | p95 ms | CPU ms (median) | decisions/s |")
    print("|---|---|---|---|---|")
    for case in ("single_cold", "single_warm", "batch_6", "batch_12", "batch_12_cold"):
        r = report[case]
        rate = r.get("decisions_per_s", 1000 / r["median_ms"])
        print(f"| {case} | {r['median_ms']:.0f} | {r['p95_ms']:.0f} | {r['cpu_median_ms']:.0f} "
              f"| {rate:.1f} |")
    print(f"vs fp32: max |p - p_fp32| = {report['max_abs_prob_diff_vs_fp32']:.1e}, same choice in "
          f"{report['argmax_agreement_vs_fp32']:.0%} of 20 decisions; wrote {out}")


if __name__ == "__main__":
    main()
