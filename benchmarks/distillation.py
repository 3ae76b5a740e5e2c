"""LD against KD and the baselines: distillation data, both trainings, every agent's evaluation.

Pursuit: agents play held-out maps (courtyard, warehouse) against `smart` evaders, all episodes in
lock step (--parallel) so the students score their decisions in shared batches. 21 Points: every
agent plays --eval-episodes hands in Gymnasium's own Blackjack-v1, then its policy over all 280
decision states is valued exactly (regret against the optimum) and checked by Monte Carlo in the
same environment (``TwentyOneTask.policy_metrics``, through ``evaluate``: its hands are fixed at
20,000, so this script no longer takes --hands; nor does it report tabulate_seconds, which only the
removed ``evaluate_hands`` measured). Each agent's policy figure goes to --work/policy_AGENT/.

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
from logicdistill.games.pursuit.task import PursuitTask
from logicdistill.games.twentyone.task import TwentyOneSettings, TwentyOneTask
from logicdistill.tasks import Task

RESULTS = Path(__file__).parent / "results"
KEYS = {
    "pursuit": (
        "episodes",
        "success_rate",
        "mean_steps",
        "selection_accuracy",
        "selection_accuracy_equivalent",
        "decision_ms_median",
        "decision_ms_p95",
        "selector_ms_median",
        "selector_calls_share",
        "stage_decisions_per_s",
        "wall_seconds",
    ),
    "twentyone": (
        "regret",
        "expected_return_exact",
        "mc_return",
        "mc_stderr",
        "policy_agreement",
        "selection_accuracy",
        "selection_accuracy_equivalent",
        "decision_ms_median",
    ),
}
AGENTS = {
    "pursuit": ["teacher", "ld", "kd", "zero-shot-ld", "zero-shot", "greedy"],
    "twentyone": ["teacher", "ld", "kd", "zero-shot-ld", "zero-shot", "random"],
}


def data_task(name: str) -> Task:
    """The task the data is recorded in: pursuit on every bundled map (the held-out ones for the
    test split), 21 Points under the classic rules in our environment."""
    return PursuitTask() if name == "pursuit" else TwentyOneTask(TwentyOneSettings(rules="classic"))


def evaluate_agent(task: Task, agent: str, options: AgentOptions, data: Path, args) -> dict:
    """Pursuit: the held-out maps. 21 Points: Gymnasium's Blackjack-v1, the policy figure drawn
    under --work/policy_AGENT/."""
    if task.name == "pursuit":
        return evaluate(
            agent,
            task,
            args.eval_episodes,
            3000,
            options,
            variants=list(task.held_out),
            data=data,
            parallel=args.parallel,
        )
    gym = TwentyOneTask(TwentyOneSettings(rules="classic", env="gymnasium"))
    return evaluate(
        agent,
        gym,
        args.eval_episodes,
        3000,
        options,
        data=data,
        parallel=args.parallel,
        out=args.work / f"policy_{agent}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=tuple(KEYS), default="pursuit")
    parser.add_argument("--work", type=Path, default=Path("runs/bench"))
    parser.add_argument(
        "--episodes",
        type=int,
        help="teacher episodes (21 Points: hands) of data; default: the task's (pursuit 60, 21 Points 1500)",
    )
    parser.add_argument("--max-examples", type=int, default=TrainConfig.max_examples)
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument("--balance", type=float, default=TrainConfig.balance)
    parser.add_argument("--learning-rate", type=float, default=TrainConfig.learning_rate)
    parser.add_argument(
        "--eval-episodes",
        type=int,
        default=20,
        help="episodes (21 Points: hands, besides the exact valuation) per agent",
    )
    parser.add_argument("--parallel", type=int, default=10, help="episodes played in lock step")
    parser.add_argument("--agents", nargs="+")
    parser.add_argument(
        "--demonstrator",
        help="the teacher that labels the data and plays as `teacher` (pursuit: rollout, the default, or when)",
    )
    args = parser.parse_args()
    data = args.work / "data.jsonl"
    task = data_task(args.task)
    episodes = task.recipe.data_episodes if args.episodes is None else args.episodes
    generate_data(data, episodes, task, options=AgentOptions(demonstrator=args.demonstrator))
    runs = {}
    for mode in ("ld", "kd"):
        runs[mode] = args.work / mode
        if not (runs[mode] / "config.json").is_file():
            cfg = TrainConfig(
                mode=mode,
                max_examples=args.max_examples,
                epochs=args.epochs,
                balance=args.balance,
                learning_rate=args.learning_rate,
            )
            metrics = train(data, runs[mode], cfg, resume=runs[mode].exists())
            print(
                f"{mode}: {metrics['train_seconds']:.0f} s, validation accuracy {metrics['val_accuracy']:.3f} "
                f"(balanced {metrics['val_balanced_accuracy']:.3f})"
            )
    out = RESULTS / f"distillation_{args.task}.json"
    report = json.loads(out.read_text()) if out.is_file() else {}
    report.update(
        {
            "task": args.task,
            "held_out": list(task.held_out),
            "data_episodes": episodes,
            "demonstrator": args.demonstrator,
            "train": {m: json.loads((r / "metrics.json").read_text()) for m, r in runs.items()},
        }
    )
    report.setdefault("agents", {})
    for agent in args.agents or AGENTS[args.task]:
        options = AgentOptions(run=runs.get(agent), seed=3000, demonstrator=args.demonstrator)
        summary = evaluate_agent(task, agent, options, data, args)
        report["agents"][agent] = {k: summary.get(k) for k in KEYS[args.task]}
        print(
            agent,
            {k: round(v, 4) if isinstance(v, float) else v for k, v in report["agents"][agent].items()},
            flush=True,
        )
        RESULTS.mkdir(exist_ok=True)
        write_json(out, report)  # after every agent: an interrupted run keeps what it measured
    keys = KEYS[args.task]
    print("| agent | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for agent, row in report["agents"].items():
        print(f"| {agent} | " + " | ".join("-" if row.get(k) is None else f"{row[k]:.4g}" for k in keys) + " |")


if __name__ == "__main__":
    main()
