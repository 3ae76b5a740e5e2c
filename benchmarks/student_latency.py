"""Latency of the student's stage decision, on the decisions the LD loop really asks.

Requests are recorded from When-teacher games on the held-out courtyard map (dense retriever),
exactly as the loop offers them: all three stages, only the candidates that change the move
(``LDAgent._same_as``), previews and all. Exact repeats are dropped, since a student in play
remembers prompts it has scored. Prompts are built by the ``StudentSelector`` and kept in game
order, so consecutive decisions share heads as they do in play.

- single_cold: the head cache is emptied before every decision (a process's first decision);
- single_warm: consecutive decisions, one per call (the agent loop's steady state);
- batch_6, batch_12: that many consecutive decisions in one call, warm;
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

from logicdistill.agent.episodes import run_episode
from logicdistill.agent.factory import AgentOptions, build_agent
from logicdistill.agent.selectors import SelectionRequest, Selector
from logicdistill.agent.students import StudentSelector
from logicdistill.games.pursuit.task import PursuitSettings, PursuitTask
from logicdistill.student import load_student, score_candidates
from logicdistill.student.prompts import Prompt

RESULTS = Path(__file__).parent / "results"


class Recording:
    """Passes requests on to a selector and keeps them."""

    def __init__(self, selector: Selector):
        self.selector, self.name, self.requests = selector, selector.name, []

    def select_batch(self, requests: list[SelectionRequest]):
        self.requests += requests
        return self.selector.select_batch(requests)


def asked_decisions(n: int, student_selector: StudentSelector) -> list[tuple[Prompt, list[str]]]:
    """``n`` distinct asked decisions of When-teacher games on courtyard, in game order."""
    task = PursuitTask(PursuitSettings(evader="smart"))
    agent = build_agent("teacher", task, task.make_env("courtyard"), AgentOptions(demonstrator="when"))
    agent.selector = recording = Recording(agent.selector)
    out: dict[tuple, tuple[Prompt, list[str]]] = {}
    seed = 3000
    while len(out) < n:
        run_episode(task, task.make_env("courtyard"), agent, seed, variant="courtyard")
        for req in recording.requests:
            prompt, names = student_selector.prompt(req), [c.name for c in req.candidates]
            out.setdefault((prompt, tuple(names)), (prompt, names))
        recording.requests, seed = [], seed + 1
    return list(out.values())[:n]


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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: its default)")
    parser.add_argument("--dtype", default="auto", help="student weights: auto, float32 or bfloat16")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    student = load_student(device="cpu", dtype=args.dtype)
    tok = student.tokenizer
    batch_reps = max(3, args.reps // 3)
    decisions = asked_decisions(2 + args.reps + 12 * (batch_reps + 1), StudentSelector(student, PursuitTask()))
    prompts, names = [p for p, _ in decisions], [n for _, n in decisions]
    tails = [len(tok(p.tail, add_special_tokens=False).input_ids) for p in prompts]
    heads = [len(tok(p.head, add_special_tokens=False).input_ids) for p in prompts]

    def score(first: int, count: int) -> list[np.ndarray]:
        return score_candidates(student, prompts[first : first + count], names[first : first + count])

    report = {
        "device": str(student.device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "dtype": str(student.model.dtype),
        "decisions": len(prompts),
        "candidates_mean": statistics.mean(len(n) for n in names),
        "distinct_heads": len(set(p.head for p in prompts)),
        "head_tokens_median": statistics.median(heads),  # read once per candidate list
        "tail_tokens_median": statistics.median(tails),  # what every decision reads
        "tail_tokens_mean": statistics.mean(tails),
        "reps": args.reps,
        "load_average_before": os.getloadavg(),
        "single_cold": timed(lambda i: score(i, 1), args.reps, student.heads.clear),
        "single_warm": timed(lambda i: score(i, 1), args.reps),
    }
    start = 1 + args.reps
    for size in (6, 12):
        r = timed(lambda i, size=size: score(start + i * size, size), batch_reps)
        report[f"batch_{size}"] = {**r, "decisions_per_s": size * 1000 / r["median_ms"]}
    r = timed(lambda i: score(start + i * 12, 12), batch_reps, student.heads.clear)
    report["batch_12_cold"] = {**r, "decisions_per_s": 12 * 1000 / r["median_ms"]}
    fp32 = load_student(device="cpu", dtype="float32")
    reference = score_candidates(fp32, prompts[:20], names[:20])
    student.heads.clear()
    mine = score(0, 20)
    report["max_abs_prob_diff_vs_fp32"] = max(float(np.abs(a - b).max()) for a, b in zip(mine, reference))
    report["argmax_agreement_vs_fp32"] = float(np.mean([a.argmax() == b.argmax() for a, b in zip(mine, reference)]))
    report["load_average_after"] = os.getloadavg()

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"student_latency_{report['dtype'].removeprefix('torch.')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"{report['decisions']} asked decisions: tails {report['tail_tokens_median']:.0f} tokens (median; "
        f"mean {report['tail_tokens_mean']:.1f}), heads {report['head_tokens_median']:.0f} "
        f"({report['distinct_heads']} distinct), {report['candidates_mean']:.1f} candidates; "
        f"{report['threads']} threads, {report['dtype']}, load {report['load_average_before']}"
    )
    print("| case | median ms | p95 ms | CPU ms (median) | decisions/s |")
    print("|---|---|---|---|---|")
    for case in ("single_cold", "single_warm", "batch_6", "batch_12", "batch_12_cold"):
        r = report[case]
        rate = r.get("decisions_per_s", 1000 / r["median_ms"])
        print(f"| {case} | {r['median_ms']:.0f} | {r['p95_ms']:.0f} | {r['cpu_median_ms']:.0f} | {rate:.1f} |")
    print(
        f"vs fp32: max |p - p_fp32| = {report['max_abs_prob_diff_vs_fp32']:.1e}, same choice in "
        f"{report['argmax_agreement_vs_fp32']:.0%} of 20 decisions; wrote {out}"
    )


if __name__ == "__main__":
    main()
