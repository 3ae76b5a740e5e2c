"""LD against KD on held-out maps: data, both trainings and every agent's evaluation.

Each step reuses what an earlier run left in --work (the data file resumes; finished runs are
kept), so the script can be interrupted and started again.

    .venv/bin/python benchmarks/distillation.py --work runs/bench --episodes 60 --eval-episodes 20
Writes benchmarks/results/distillation.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from logicdistill.agent.factory import AgentOptions
from logicdistill.distill.data import TEST_MAPS, generate_data
from logicdistill.distill.train import TrainConfig, train
from logicdistill.evaluation.run import evaluate
from logicdistill.tasks.pursuit.env import PursuitConfig

RESULTS = Path(__file__).parent / "results"
KEYS = ("success_rate", "mean_steps", "selection_accuracy", "selection_accuracy_equivalent",
        "decision_ms_median", "decision_ms_p95", "selector_ms_median", "selector_calls_share")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("runs/bench"))
    parser.add_argument("--episodes", type=int, default=60, help="teacher episodes of distillation data")
    parser.add_argument("--max-examples", type=int, default=320)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--eval-episodes", type=int, default=20)
    parser.add_argument("--agents", nargs="+", default=["teacher", "ld", "kd", "zero-shot-ld", "zero-shot", "greedy"])
    args = parser.parse_args()
    data = args.work / "data.jsonl"
    generate_data(data, args.episodes)
    runs = {}
    for mode in ("ld", "kd"):
        runs[mode] = args.work / mode
        if not (runs[mode] / "config.json").is_file():
            metrics = train(data, runs[mode], TrainConfig(mode=mode, max_examples=args.max_examples,
                                                          epochs=args.epochs), resume=runs[mode].exists())
            print(f"{mode}: {metrics['train_seconds']:.0f} s, validation accuracy {metrics['val_accuracy']:.3f}")
    report = {"test_maps": list(TEST_MAPS), "eval_episodes": args.eval_episodes, "agents": {},
              "train": {m: json.loads((r / "metrics.json").read_text()) for m, r in runs.items()}}
    for agent in args.agents:
        options = AgentOptions(run=runs.get(agent), seed=3000)
        summary = evaluate(agent, PursuitConfig(), list(TEST_MAPS), args.eval_episodes, 3000, options, data=data)
        report["agents"][agent] = {k: summary.get(k) for k in KEYS}
        print(agent, {k: round(v, 3) if isinstance(v, float) else v for k, v in report["agents"][agent].items()},
              flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "distillation.json").write_text(json.dumps(report, indent=2) + "\n")
    print("| agent | " + " | ".join(KEYS) + " |")
    print("|---" * (len(KEYS) + 1) + "|")
    for agent, row in report["agents"].items():
        print(f"| {agent} | " + " | ".join("-" if row[k] is None else f"{row[k]:.3g}" for k in KEYS) + " |")


if __name__ == "__main__":
    main()
