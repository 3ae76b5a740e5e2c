"""Sample efficiency: training time and held-out accuracy against the training budget, LD against KD.

For every budget (--sizes, training examples drawn from the train split) and both modes, one run is
trained on the same data file, then scored on the data's test split at real frequencies: `ld`
against the teacher's function choice, `kd` against the teacher's action (what each was trained to
answer). At 21 Points each policy is also valued exactly over all 280 states (regret), which
compares the two modes on the same scale (``evaluate``, which plays --hands-played hands under the
classic rules in our environment, then ``TwentyOneTask.policy_metrics``: exact regret and a Monte
Carlo check whose hands it fixes at 20,000, where this script used to ask for 2,000); pursuit
games are left to `distillation.py` (an evaluation takes tens of minutes here).

--learning-rate and --lora-layers (adapt only the last N decoder layers: cheaper steps) set what
every run of the call uses; --tag names the result files, so that settings can be compared side by
side (seconds per training example, accuracy and regret against the budget).

Finished runs in --work are reused, so the script can be stopped and started again.

    .venv/bin/python benchmarks/sample_efficiency.py --data runs/b21/data.jsonl --work runs/sample21
    .venv/bin/python benchmarks/sample_efficiency.py --data runs/b2/data.jsonl --work runs/sample --sizes 160 640
    .venv/bin/python benchmarks/sample_efficiency.py --data runs/t21.jsonl --work runs/se21-l8 --sizes 1024 \
        --modes ld --learning-rate 2e-3 --lora-layers 8 --tag lr2e-3_l8
Writes benchmarks/results/sample_efficiency_<task>[_<tag>].json and .png.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from logicdistill.agent.factory import AgentOptions
from logicdistill.distill.data import read_data
from logicdistill.distill.train import TrainConfig, held_out_accuracy, train
from logicdistill.evaluation.run import evaluate, write_json
from logicdistill.games.twentyone.task import TwentyOneSettings, TwentyOneTask
from logicdistill.student.model import cpu_kind
from logicdistill.student.runs import load_run_student

RESULTS = Path(__file__).parent / "results"
MODES = ("ld", "kd")


def measure(data: Path, run: Path, mode: str, size: int, task: str, args) -> dict:
    if not (run / "config.json").is_file():
        cfg = TrainConfig(
            mode=mode,
            max_examples=size,
            balance=args.balance,
            seed=args.seed,
            learning_rate=args.learning_rate,
            lora_layers=args.lora_layers,
        )
        train(data, run, cfg, resume=run.exists())
    metrics = json.loads((run / "metrics.json").read_text())
    header, rows, _ = read_data(data)
    acc = held_out_accuracy(load_run_student(run, mode), header, rows, mode, args.test_examples, args.seed)
    row = {
        "mode": mode,
        "examples": size,
        "train_seconds": metrics["train_seconds"],
        "seconds_per_example": metrics["train_seconds"] / max(1, metrics["train_examples"]),
        "steps": metrics["steps"],
        "test_accuracy": acc["exact"],
        "test_balanced_accuracy": acc["balanced"],
        "test_examples": acc["n"],
    }
    if task == "twentyone":
        task21 = TwentyOneTask(TwentyOneSettings(rules="classic", env="ours"))
        summary = evaluate(
            mode,
            task21,
            args.hands_played,
            3000,
            AgentOptions(run=run, seed=3000),
            accuracy_examples=0,
            parallel=args.hands_played,
        )
        row.update(regret=summary["regret"], policy_agreement=summary["policy_agreement"])
    return row


def plot(rows: list[dict], task: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = ["test_accuracy", "train_seconds"] + (["regret"] if task == "twentyone" else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.3))
    for ax, key in zip(axes, panels):
        for mode in sorted({r["mode"] for r in rows}):
            pts = sorted((r["examples"], r[key]) for r in rows if r["mode"] == mode)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=mode)
        ax.set_xscale("log", base=2)
        if key == "regret":
            ax.set_yscale("symlog", linthresh=1e-3)  # 0.0005 and 0.9 on one axis
            ax.set_ylim(bottom=0)
        ax.set_xlabel("training examples")
        ax.set_title(key.replace("_", " "))
    axes[0].legend()
    fig.suptitle(f"{task}: sample efficiency")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a data file from `logicdistill data`")
    parser.add_argument("--work", type=Path, required=True, help="folder for the runs (reused when rerun)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[160, 640, 1280])
    parser.add_argument("--balance", type=float, default=TrainConfig.balance)
    parser.add_argument("--test-examples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--learning-rate", type=float, default=None, help="peak rate (default: the task's recipe)")
    parser.add_argument("--lora-layers", type=int, default=None, help="adapt only the last N layers (default: all)")
    parser.add_argument("--tag", default="", help="suffix of the result files, for runs with other settings")
    parser.add_argument(
        "--hands-played",
        type=int,
        default=20,
        help="21 Points hands each run plays (in lock step) before its policy is valued exactly",
    )
    args = parser.parse_args()
    task = read_data(args.data)[0].task
    out = RESULTS / f"sample_efficiency_{task}{'_' + args.tag if args.tag else ''}.json"
    settings = {"balance": args.balance, "learning_rate": args.learning_rate, "lora_layers": args.lora_layers}
    rows = []
    for size in args.sizes:
        for mode in args.modes:
            rows.append(measure(args.data, args.work / f"{mode}_{size}", mode, size, task, args))
            print({k: round(v, 4) if isinstance(v, float) else v for k, v in rows[-1].items()}, flush=True)
            RESULTS.mkdir(exist_ok=True)
            write_json(out, {"task": task, "data": str(args.data), **settings, "cpu": cpu_kind(), "rows": rows})
    plot(rows, task, out.with_suffix(".png"))
    keys = [k for k in rows[0] if k != "mode"]
    print("| mode | " + " | ".join(keys) + " |\n" + "|---" * (len(keys) + 1) + "|")
    for r in rows:
        print(f"| {r['mode']} | " + " | ".join(f"{r[k]:.4g}" for k in keys) + " |")


if __name__ == "__main__":
    main()
