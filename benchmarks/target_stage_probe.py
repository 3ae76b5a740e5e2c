"""Target-stage probe: how fast does the student learn pursuit's target stage alone?

The When teacher's target choice is a fixed function of the text (the other evader when it is
marked ``trapped`` and has the least territory, or when its preview is marked ``chased``), yet full
runs kept ``nearest_evader`` there. This trains a LoRA adapter, with the real training code, on
target-stage decisions only, and scores the validation split's target decisions, so that a
learning rate, a number of steps or a LoRA rank can be tried in minutes instead of a full run.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/target_stage_probe.py --data runs/s15/data.jsonl \
        --steps 120 --learning-rate 2e-3

Writes benchmarks/results/target_stage_probe.json (or --out). The text is the data file's own:
the task now writes ``trapped`` / ``chased`` as words; older data files read them as numbers, so
the comparison of the two texts (numbers against words at lr 2e-3, docs/experiments.md) comes from
one file of each kind.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from logicdistill.distill.data import read_data
from logicdistill.distill.examples import distinct, draw, make_examples, sample
from logicdistill.distill.train import TrainConfig, fit, with_task_defaults
from logicdistill.evaluation.run import write_json
from logicdistill.student.model import load_student

RESULTS = Path(__file__).parent / "results"


def probe(data: Path, steps: int, seed: int, learning_rate: float | None, lora_r: int) -> dict:
    header, rows, _ = read_data(data)
    rows = [r for r in rows if r.stage == "target"]
    cfg = with_task_defaults(
        TrainConfig(
            max_examples=steps * TrainConfig.batch_size,
            drills=0.0,
            seed=seed,
            learning_rate=learning_rate,
            lora_r=lora_r,
            lora_alpha=2 * lora_r,
        ),
        header.task_class or header.task,
    )
    student = load_student(None)
    train = distinct([r for r in rows if r.split == "train"], "ld")
    drawn = draw(make_examples(header, train, student.tokenizer, "ld"), cfg.max_examples, cfg.balance, seed)
    val = sample(make_examples(header, [r for r in rows if r.split == "val"], student.tokenizer, "ld"), 200, seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        metrics = fit(student, drawn, val, replace(cfg, save_steps=10**6), Path(out))
    tail = sorted(x["loss"] for x in metrics["loss"][-20:])
    return {
        "learning_rate": cfg.learning_rate,
        "lora_r": lora_r,
        "steps": metrics["steps"],
        "val_decisions": len(val),
        "val_exact": metrics["val_accuracy"],
        "val_balanced": metrics["val_balanced_accuracy"],
        "median_loss_last_20_steps": tail[len(tail) // 2],
        "seconds": round(time.perf_counter() - start),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a pursuit data file (logicdistill data)")
    parser.add_argument("--steps", type=int, default=60, help="training steps of 8 draws")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--learning-rate", type=float, help="peak rate; default: the task's")
    parser.add_argument("--lora-r", type=int, default=TrainConfig.lora_r, help="LoRA rank (alpha is twice it)")
    parser.add_argument("--out", type=Path, default=RESULTS / "target_stage_probe.json")
    args = parser.parse_args()
    r = probe(args.data, args.steps, args.seed, args.learning_rate, args.lora_r)
    print(
        f"lr {r['learning_rate']:g}, rank {r['lora_r']}, {r['steps']} steps: validation {r['val_exact']:.3f} exact / "
        f"{r['val_balanced']:.3f} balanced ({r['val_decisions']} decisions), median loss of the last 20 steps "
        f"{r['median_loss_last_20_steps']:.2f}"
    )
    write_json(args.out, {"data": str(args.data), **r})


if __name__ == "__main__":
    main()
