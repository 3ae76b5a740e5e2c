"""LD against KD and the baselines: distillation data, both trainings, every agent's evaluation.

Pursuit: agents play held-out maps (courtyard, warehouse) against `smart` evaders, all episodes in
lock step (--parallel) so the students score their decisions in shared batches. 21 Points: every
agent's policy over all 280 decision states is valued exactly (regret against the optimum) and
checked by Monte Carlo in Gymnasium's own Blackjack-v1.

Each step reuses what an earlier run left in --work (the data file resumes; finished runs are
kept), so the script can be interrupted and started again.

    .venv/bin/python benchmarks/distillation.py --task pursuit --work runs/bench [--episodes 60] [--demonstrator when]
    .venv/bin/python benchmarks/distillation.py --task twentyone --work runs/bench21 [--episodes 1500]
Writes benchmarks/results/distillation_<task>.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from logicdistill.agent.factory import AgentOptions
from logicdistill.distill.data import generate_data
from logicdistill.distill.train import TrainConfig, train
from logicdistill.evaluation.run import evaluate, write_json
from logicdistill.evaluation.twentyone import evaluate_hands
from logicdistill.tasks import get_task
from logicdistill.tasks.pursuit.env import TEST_MAPS, PursuitConfig, PursuitEpisodes
from logicdistill.tasks.twentyone.env import TwentyOneEpisodes

RESULTS = Path(__file__).parent / "results"
KEYS = {
    "pursuit": ("episodes", "success_rate", "mean_steps", "selection_accuracy", "selection_accuracy_equivalent",
                "decision_ms_median", "decision_ms_p95", "selector_ms_median", "selector_calls_share",
                "stage_decisions_per_s", "wall_seconds"),
    "twentyone": ("regret", "expected_return_exact", "mc_return", "mc_stderr", "policy_agreement",
                  "selection_accuracy", "selection_accuracy_equivalent", "decision_ms_median", "tabulate_seconds"),
}
AGENTS = {
    "pursuit": ["teacher", "ld", "kd", "zero-shot-ld", "zero-shot", "greedy"],
    "twentyone": ["teacher", "ld", "kd", "zero-shot-ld", "zero-shot", "random"],
}


def evaluate_agent(task: str, agent: str, options: AgentOptions, data: Path, args) -> dict:
    if task == "pursuit":
        return evaluate(agent, PursuitConfig(), list(TEST_MAPS), args.eval_episodes, 3000, options, data=data,
                        parallel=args.parallel)
    return evaluate_hands(agent, "classic", "gymnasium", args.hands, 3000, options, data=data,
                          plot=args.work / f"policy_{agent}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=tuple(KEYS), default="pursuit")
    parser.add_argument("--work", type=Path, default=Path("runs/bench"))
    parser.add_argument("--episodes", type=int, help="teacher episodes (21 Points: hands) of data; default: the "
                                                     "task's (pursuit 60, 21 Points 1500)")
    parser.add_argument("--max-examples", type=int, default=TrainConfig.max_examples)
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument("--balance", type=float, default=TrainConfig.balance)
    parser.add_argument("--learning-rate", type=float, default=TrainConfig.learning_rate)
    parser.add_argument("--eval-episodes", type=int, default=20, help="pursuit episodes per agent")
    parser.add_argument("--parallel", type=int, default=10, help="pursuit episodes played in lock step")
    parser.add_argument("--hands", type=int, default=50_000, help="21 Points Monte Carlo hands per agent")
    parser.add_argument("--agents", nargs="+")
    parser.add_argument("--demonstrator", help="the teacher that labels the data and plays as `teacher` "
                                               "(pursuit: rollout, the default, or when)")
    args = parser.parse_args()
    data = args.work / "data.jsonl"
    source = PursuitEpisodes() if args.task == "pursuit" else TwentyOneEpisodes("classic")
    episodes = get_task(args.task).data_episodes if args.episodes is None else args.episodes
    generate_data(data, episodes, source, options=AgentOptions(demonstrator=args.demonstrator))
    runs = {}
    for mode in ("ld", "kd"):
        runs[mode] = args.work / mode
        if not (runs[mode] / "config.json").is_file():
            cfg = TrainConfig(mode=mode, max_examples=args.max_examples, epochs=args.epochs, balance=args.balance,
                              learning_rate=args.learning_rate)
            metrics = train(data, runs[mode], cfg, resume=runs[mode].exists())
            print(f"{mode}: {metrics['train_seconds']:.0f} s, validation accuracy {metrics['val_accuracy']:.3f} "
                  f"(balanced {metrics['val_balanced_accuracy']:.3f})")
    out = RESULTS / f"distillation_{args.task}.json"
    report = json.loads(out.read_text()) if out.is_file() else {}
    report.update({"task": args.task, "held_out": list(source.held_out), "data_episodes": episodes,
                   "demonstrator": args.demonstrator,
                   "train": {m: json.loads((r / "metrics.json").read_text()) for m, r in runs.items()}})
    report.setdefault("agents", {})
    for agent in args.agents or AGENTS[args.task]:
        options = AgentOptions(run=runs.get(agent), seed=3000, demonstrator=args.demonstrator)
        summary = evaluate_agent(args.task, agent, options, data, args)
        report["agents"][agent] = {k: summary.get(k) for k in KEYS[args.task]}
        print(agent, {k: round(v, 4) if isinstance(v, float) else v for k, v in report["agents"][agent].items()},
              flush=True)
        RESULTS.mkdir(exist_ok=True)
        write_json(out, report)  # after every agent: an interrupted run keeps what it measured
    keys = KEYS[args.task]
    print("| agent | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for agent, row in report["agents"].items():
        print(f"| {agent} | " + " | ".join("-" if row.get(k) is None else f"{row[k]:.4g}" for k in keys) + " |")


if __name__ == "__main__":
    main()
