"""Latency of the student's stage decision: one prompt scored against 5 candidate names.

Prompts are the pursuit strategy stage's: the task instruction, the first 5 bundled strategy
functions with their manuals, and real state texts from greedy games on the ring map (a new state
for every decision, so the prefix cache reuses only what consecutive real prompts share).

- single_cold: the prefix cache is emptied before every decision (a process's first decision);
- single_warm: consecutive decisions, each on a new state (the agent loop's steady state);
- batch_6, batch_12: that many decisions (different states) in one call, warm;
- batch_12_cold: the same with the prefix cache emptied first.

    .venv/bin/python benchmarks/student_latency.py [--reps 15] [--threads N] [--bf16]
Writes benchmarks/results/student_latency.json (student_latency_bf16.json with --bf16). Also
records CPU time per call and the load average: on a shared machine wall time is noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from logicdistill.student import answer_text, load_student, score_candidates, selection_prompt
from logicdistill.student.prefix import common_prefix
from logicdistill.tasks import get_task
from logicdistill.tasks.pursuit.baselines import GreedyChaseAgent
from logicdistill.tasks.pursuit.env import PursuitConfig, make_env

RESULTS = Path(__file__).parent / "results"


def state_texts(n: int) -> list[str]:
    """``n`` distinct state texts: every pursuer at every step of greedy games on the ring map."""
    task, agent, texts, seed = get_task("pursuit"), GreedyChaseAgent(), {}, 0
    env = make_env(PursuitConfig(map="ring"))
    while len(texts) < n:
        state, _ = env.reset(seed=seed)
        done = False
        while not done and len(texts) < n:
            texts.update(dict.fromkeys(task.state_text(state, u, {}) for u in task.units(state)))
            state, _, terminated, truncated, _ = env.step(agent.act(state)[0])
            done = terminated or truncated
        seed += 1
    return list(texts)[:n]


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
    parser.add_argument("--bf16", action="store_true", help="score under bf16 autocast (CPU)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    task = get_task("pursuit")
    stage = next(s for s in task.stages if s.name == "strategy")
    specs = task.bundled_base().by_stage("strategy")[:5]
    names = [s.name for s in specs]
    student = load_student(device="cpu")
    tok = student.tokenizer
    batch_reps = max(3, args.reps // 3)
    texts = state_texts(2 + args.reps + 12 * (batch_reps + 1))
    manuals = [(s.name, s.manual.text()) for s in specs]
    line = f"Stage {stage.name}: {stage.description}"
    prompts = [selection_prompt(tok, task.instruction, line, text, manuals) for text in texts]
    ids = [tok(p, add_special_tokens=False).input_ids for p in prompts[:2]]
    fed = sum(len(tok(answer_text(tok, n), add_special_tokens=False).input_ids) - 1 for n in names)
    bf16 = torch.autocast("cpu", dtype=torch.bfloat16)
    autocast = bf16 if args.bf16 else contextlib.nullcontext()

    def score(first: int, count: int) -> list[np.ndarray]:
        with autocast:
            return score_candidates(student, prompts[first : first + count], [names] * count)

    report = {
        "device": str(student.device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "bf16_autocast": args.bf16,
        "candidates": names,
        "prompt_tokens": len(ids[0]),
        "shared_prefix_tokens": len(common_prefix(ids)),  # what a warm decision does not read
        "answer_tokens_fed": fed,  # every answer but its last token
        "reps": args.reps,
        "load_average_before": os.getloadavg(),
        "single_cold": timed(lambda i: score(i, 1), args.reps, student.prefixes.clear),
        "single_warm": timed(lambda i: score(i, 1), args.reps),
    }
    start = 1 + args.reps
    for size in (6, 12):
        r = timed(lambda i: score(start + i * size, size), batch_reps)
        report[f"batch_{size}"] = {**r, "decisions_per_s": size * 1000 / r["median_ms"]}
    r = timed(lambda i: score(start + i * 12, 12), batch_reps, student.prefixes.clear)
    report["batch_12_cold"] = {**r, "decisions_per_s": 12 * 1000 / r["median_ms"]}
    student.prefixes.clear()
    reference = score_candidates(student, prompts[:3], [names] * 3)
    student.prefixes.clear()
    report["max_abs_logp_diff_vs_fp32"] = max(
        float(np.abs(np.log(a) - np.log(b)).max()) for a, b in zip(score(0, 3), reference)
    )
    report["load_average_after"] = os.getloadavg()

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("student_latency_bf16.json" if args.bf16 else "student_latency.json")
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"prompt {report['prompt_tokens']} tokens ({report['shared_prefix_tokens']} shared by "
        f"consecutive prompts), 5 candidates ({fed} answer tokens fed), "
        f"{report['threads']} threads, bf16 {args.bf16}, load {report['load_average_before']}"
    )
    print("| case | median ms | p95 ms | CPU ms (median) | decisions/s |")
    print("|---|---|---|---|---|")
    for case in ("single_cold", "single_warm", "batch_6", "batch_12", "batch_12_cold"):
        r = report[case]
        rate = r.get("decisions_per_s", 1000 / r["median_ms"])
        print(f"| {case} | {r['median_ms']:.0f} | {r['p95_ms']:.0f} | {r['cpu_median_ms']:.0f} "
              f"| {rate:.1f} |")
    print(f"max |log p - log p_fp32| = {report['max_abs_logp_diff_vs_fp32']:.1e}; wrote {out}")


if __name__ == "__main__":
    main()
