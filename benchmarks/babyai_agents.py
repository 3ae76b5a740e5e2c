"""Every BabyAI agent on the held-out levels of BALROG's five task kinds, beside BALROG's LLM agents.

Each agent plays the same episodes (seeds ``--seed`` onwards, spread round-robin over the five
``:test`` variants, so ``--episodes 100`` is 20 per kind): success per kind and on average, mean
steps, decision latency. ``ld`` and ``kd`` need trained runs (``--ld RUN``, ``--kd RUN``); an agent
whose run is not given is skipped. BALROG's figures are its leaderboard's (naive agent, zero-shot,
``BabyAI-MixedTrainLocal-v0``, 100 steps), copied with their source below; the harnesses differ
(plugins/babyai/README.md lists how), so they are context, not a head-to-head.

    python benchmarks/babyai_agents.py --ld runs/babyai-ld --kd runs/babyai-kd --episodes 100
Writes benchmarks/results/babyai_agents.json (``--json`` for another path).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from logicdistill.agent.factory import AgentOptions
from logicdistill.evaluation.run import evaluate
from logicdistill.student.model import cpu_kind
from logicdistill.tasks import make_task

RESULTS = Path(__file__).parent / "results"
AGENTS = ("teacher", "bot", "ld", "kd", "zero-shot-ld", "zero-shot", "random")
KINDS = ("goto", "pickup", "open", "putnext", "pick_up_seq_go_to")

# BALROG's LLM leaderboard, BabyAI column: success % (standard error, episodes). Source: the
# leaderboard data of github.com/balrog-ai/experiments, data.json and
# submissions/LLM/*/babyai/babyai_summary.json (per kind where a submission published it).
BALROG = {
    "GPT-4o": {"success": 77.6, "stderr": 3.73, "episodes": 125},
    "Llama-3.1-70B": {"success": 73.2, "stderr": 3.96, "episodes": 125},
    "Gemini-1.5-Pro": {"success": 58.4, "stderr": 4.41, "episodes": 125},
    "Llama-3.2-90B": {"success": 55.2, "stderr": 4.45, "episodes": 125},
    "Claude-3.5-Sonnet": {
        "success": 52.0,
        "stderr": 7.07,
        "episodes": 50,
        "mean_steps": 62.96,
        "by_kind": {"goto": 80.0, "pickup": 50.0, "open": 50.0, "putnext": 10.0, "pick_up_seq_go_to": 70.0},
    },
    "GPT-4o-mini": {"success": 50.4, "stderr": 4.47, "episodes": 125},
    "Llama-3.2-11B": {"success": 32.8, "stderr": 4.19, "episodes": 125},
    "Llama-3.1-8B": {"success": 30.0, "stderr": 6.48, "episodes": 50},
    "Gemini-1.5-Flash": {"success": 25.6, "stderr": 3.9, "episodes": 125},
    "Llama-3.2-3B": {
        "success": 10.0,
        "stderr": 4.24,
        "episodes": 50,
        "mean_steps": 97.9,
        "by_kind": {"goto": 40.0, "pickup": 10.0, "open": 0.0, "putnext": 0.0, "pick_up_seq_go_to": 0.0},
    },
    "Llama-3.2-1B": {"success": 6.0, "stderr": 3.36, "episodes": 50},
}


def measure(agent: str, episodes: int, seed: int, run: Path | None) -> dict:
    task = make_task("babyai")
    start = time.perf_counter()
    summary = evaluate(agent, task, episodes, seed, AgentOptions(seed=seed, run=run))
    wall = time.perf_counter() - start
    row = {
        "success_rate": summary["success_rate"],
        "success_by_kind": summary["success_by_kind"],
        "mean_steps": summary["mean_steps"],
        "decision_ms_per_step_median": summary["decision_ms_per_step_median"],
        "episodes": summary["episodes"],
        "wall_seconds": wall,
        "run": str(run) if run else None,
    }
    kinds = " ".join(f"{k} {row['success_by_kind'].get(k, 0):.0%}" for k in KINDS)
    print(f"  {agent:13} success {row['success_rate']:.0%} ({kinds}); {wall:.0f} s", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", nargs="+", default=list(AGENTS), choices=AGENTS)
    parser.add_argument("--episodes", type=int, default=100, help="per agent, round-robin over the five kinds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ld", type=Path, help="run folder of an ld student (logicdistill train --mode ld)")
    parser.add_argument("--kd", type=Path, help="run folder of a kd student (logicdistill train --mode kd)")
    parser.add_argument("--json", type=Path, default=RESULTS / "babyai_agents.json")
    args = parser.parse_args()
    runs = {"ld": args.ld, "kd": args.kd}
    previous = json.loads(args.json.read_text()) if args.json.exists() else {}
    agents = dict(previous.get("agents", {}))  # a rerun of some agents keeps the others' rows
    for agent in args.agents:
        if agent in runs and runs[agent] is None:
            print(f"  {agent:13} skipped: no --{agent} run given", flush=True)
            continue
        agents[agent] = measure(agent, args.episodes, args.seed, runs.get(agent))
    report = {
        "episodes": args.episodes,
        "seed": args.seed,
        "variants": [f"{k}:test" for k in KINDS],
        "cpu": cpu_kind(),
        "threads": os.environ.get("OMP_NUM_THREADS"),
        "agents": agents,
        "balrog_llm_leaderboard": BALROG,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
