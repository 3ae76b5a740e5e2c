"""Success rate of every pursuit agent on the bundled maps against `smart` evaders.

The foundation's claim: logic matters in this game. The teacher (outcome-verified function
choices) must beat greedy chasers by >= 30 points of success rate.

    .venv/bin/python benchmarks/pursuit_agents.py --episodes-per-map 10
Writes benchmarks/results/pursuit_agents.json.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from logicdistill.agent.factory import AgentOptions
from logicdistill.evaluation.run import evaluate
from logicdistill.games.pursuit.task import PursuitSettings, PursuitTask

RESULTS = Path(__file__).parent / "results"


def benchmark_maps() -> list[str]:
    """The maps of the default pursuit task: every bundled map."""
    return list(PursuitTask().variants)


def single_threaded() -> None:
    """Workers share the 2 cores; torch's own thread pool per worker would oversubscribe them."""
    import torch

    torch.set_num_threads(1)


def one(job: tuple[str, str, int, str, int]) -> dict:
    agent, map_name, episodes, evader, seed = job
    start = time.perf_counter()
    task = PursuitTask(PursuitSettings(evader=evader))
    summary = evaluate(agent, task, episodes, seed, AgentOptions(seed=seed), variants=[map_name])
    summary["wall_s"] = time.perf_counter() - start
    print(f"  {agent:12} {map_name:10} success {summary['success_rate']:.0%} ({summary['wall_s']:.0f} s)", flush=True)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", nargs="+", default=["teacher", "greedy", "random", "random-moves"])
    parser.add_argument("--episodes-per-map", type=int, default=10)
    parser.add_argument("--evader", default="smart")
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    jobs = [(a, m, args.episodes_per_map, args.evader, args.seed) for a in args.agents for m in benchmark_maps()]
    with ProcessPoolExecutor(args.workers, initializer=single_threaded) as pool:
        runs = list(pool.map(one, jobs))
    table: dict[str, dict] = {}
    for (agent, map_name, *_), run in zip(jobs, runs):
        row = table.setdefault(agent, {"by_map": {}, "episodes": 0, "wins": 0, "steps": 0.0, "step_ms": []})
        row["by_map"][map_name] = run["success_rate"]
        row["episodes"] += run["episodes"]
        row["wins"] += round(run["success_rate"] * run["episodes"])
        row["steps"] += run["mean_steps"] * run["episodes"]
        row["step_ms"].append(run["decision_ms_per_step_median"])
    report = {
        "evader": args.evader,
        "episodes_per_map": args.episodes_per_map,
        "seed": args.seed,
        "maps": benchmark_maps(),
        "agents": {
            a: {
                "success_rate": r["wins"] / r["episodes"],
                "mean_steps": r["steps"] / r["episodes"],
                "decision_ms_per_step_median_of_maps": sorted(r["step_ms"])[len(r["step_ms"]) // 2],
                "success_rate_by_map": r["by_map"],
            }
            for a, r in table.items()
        },
    }
    if "teacher" in table and "greedy" in table:
        report["teacher_minus_greedy_points"] = 100 * (
            report["agents"]["teacher"]["success_rate"] - report["agents"]["greedy"]["success_rate"]
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pursuit_agents.json").write_text(json.dumps(report, indent=2) + "\n")
    maps = benchmark_maps()
    print("| agent | success | mean steps | ms/step | " + " | ".join(maps) + " |")
    print("|---" * (4 + len(maps)) + "|")
    for a, r in report["agents"].items():
        cells = " | ".join(f"{r['success_rate_by_map'][m]:.0%}" for m in maps)
        print(
            f"| {a} | {r['success_rate']:.0%} | {r['mean_steps']:.1f} | "
            f"{r['decision_ms_per_step_median_of_maps']:.1f} | {cells} |"
        )
    if "teacher_minus_greedy_points" in report:
        print(f"teacher - greedy: {report['teacher_minus_greedy_points']:+.0f} points")


if __name__ == "__main__":
    main()
