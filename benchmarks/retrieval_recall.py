"""Recall@K of the retrievers: how often the teacher's chosen function is among the top K.

The teacher plays with every candidate of a stage visible (so its choice is not shaped by any
retriever); each retriever then ranks the same queries. Also reports query latency.

    .venv/bin/python benchmarks/retrieval_recall.py --episodes 10
Writes benchmarks/results/retrieval_recall.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from logicdistill.agent.factory import AgentOptions
from logicdistill.agent.loop import make_query
from logicdistill.evaluation.run import play
from logicdistill.retrieval import make_retriever
from logicdistill.tasks import get_task

RESULTS = Path(__file__).parent / "results"


def teacher_decisions(episodes: int, seed: int) -> list[tuple]:
    """(query, stage, teacher's choice) for every stage decision of ``episodes`` games that
    needed a selection."""
    task, out = get_task("pursuit"), []
    maps = task.variants  # every bundled map
    stages = {s.name: s for s in task.stages}
    for i in range(episodes):
        result = play("teacher", task, maps[i % len(maps)], seed + i, AgentOptions(retriever="bm25", top_k=100))
        out += [
            (make_query(task, stages[r.stage], r.state_text), r.stage, r.choice)
            for step in result.trace
            for r in step.stages
            if not r.forced
        ]  # forced: any choice is right
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2000)
    args = parser.parse_args()
    decisions = teacher_decisions(args.episodes, args.seed)
    base = get_task("pursuit").bundled_base()
    stage_size = {s: len(base.by_stage(s)) for s in {d[1] for d in decisions}}
    report = {"decisions": len(decisions), "episodes": args.episodes, "stage_sizes": stage_size, "retrievers": {}}
    for kind in ("dense", "bm25"):
        retriever = make_retriever(kind)
        retriever.index(base)
        ranks, latencies = [], []
        for query, stage, choice in decisions:
            start = time.perf_counter()
            (hits,) = retriever.search([query], stage, 100)
            latencies.append((time.perf_counter() - start) * 1000)
            ranks.append([name for name, _ in hits].index(choice))
        report["retrievers"][kind] = {
            "recall_at_k": {k: sum(r < k for r in ranks) / len(ranks) for k in range(1, 6)},
            "query_ms_median": statistics.median(latencies),
        }
    report["random_ranking_recall_at_k"] = {
        k: statistics.mean(min(1.0, k / stage_size[d[1]]) for d in decisions) for k in range(1, 6)
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "retrieval_recall.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{len(decisions)} teacher stage decisions from {args.episodes} episodes; functions per stage {stage_size}")
    print("| retriever | " + " | ".join(f"R@{k}" for k in range(1, 6)) + " | ms/query |")
    print("|---" * 7 + "|")
    for kind, r in report["retrievers"].items():
        print(
            f"| {kind} | "
            + " | ".join(f"{r['recall_at_k'][k]:.2f}" for k in range(1, 6))
            + f" | {r['query_ms_median']:.1f} |"
        )
    print(
        "| random ranking | "
        + " | ".join(f"{report['random_ranking_recall_at_k'][k]:.2f}" for k in range(1, 6))
        + " | - |"
    )


if __name__ == "__main__":
    main()
