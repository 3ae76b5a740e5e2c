"""Target-stage probe: can the student learn pursuit's target stage alone, and in which text?

The ld student never leaves ``nearest_evader`` in play although the When teacher's target choice is
a fixed function of the text (the other evader when it has at most 4 cells of territory and the
least, or when it is last step's target and at most 2 moves farther than the nearest). This trains
a LoRA adapter, with the real training code, on target-stage decisions only, and scores the
validation split's target decisions, for three versions of the same rows:

- ``plain``: the text as the task writes it (``E1 d12 terr3 chased``);
- ``marked``: the When lines' comparisons as words, ``trapped`` after a territory of at most 4 and
  ``chased`` only on a chase worth keeping, so that no arithmetic is left;
- ``named``: ``marked``, and each preview starts with its candidate's name, so that the answer sits
  next to its mark in the prompt's tail instead of in the listing of the head.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/target_stage_probe.py --data runs/s13/data.jsonl
Writes benchmarks/results/target_stage_probe.json (or --out).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from logicdistill.distill.data import DecisionRow, read_data
from logicdistill.distill.examples import distinct, draw, make_examples, sample
from logicdistill.distill.train import TrainConfig, fit, with_task_defaults
from logicdistill.evaluation.run import write_json
from logicdistill.student.model import load_student

RESULTS = Path(__file__).parent / "results"
EVADER = re.compile(r"E(\d+) d(\d+) terr(\d+)")
VARIANTS = ("plain", "marked", "named")


def rewrite(row: DecisionRow, variant: str) -> DecisionRow:
    """``row`` in the text of ``variant`` (the When rules of ``tasks/pursuit/when.py`` as words)."""
    if variant == "plain":
        return row
    dist = {int(e): int(d) for e, d, _ in EVADER.findall(row.state_text)}
    nearest = min(dist, key=lambda e: (dist[e], e))

    def trapped(text: str) -> str:
        return EVADER.sub(lambda m: m[0] + (" trapped" if int(m[3]) <= 4 else ""), text)

    previews = []
    for preview in row.previews:
        evader = int(EVADER.match(preview)[1])
        kept = preview.endswith(" chased") and dist[evader] <= dist[nearest] + 2
        previews.append(trapped(preview.removesuffix(" chased")) + (" chased" if kept else ""))
    if variant == "named":
        previews = [f"{name} {p}" for name, p in zip(row.candidates, previews)]
    return row.model_copy(update={"state_text": trapped(row.state_text), "previews": previews})


def probe(data: Path, variant: str, steps: int, seed: int) -> dict:
    header, rows, _ = read_data(data)
    rows = [rewrite(r, variant) for r in rows if r.stage == "target"]
    cfg = with_task_defaults(TrainConfig(max_examples=steps * TrainConfig.batch_size, drills=0.0, seed=seed),
                             header.task)
    student = load_student(None)
    train = distinct([r for r in rows if r.split == "train"], "ld")
    drawn = draw(make_examples(header, train, student.tokenizer, "ld"), cfg.max_examples, cfg.balance, seed)
    val = sample(make_examples(header, [r for r in rows if r.split == "val"], student.tokenizer, "ld"), 200, seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        metrics = fit(student, drawn, val, replace(cfg, save_steps=10**6), Path(out))
    losses = [x["loss"] for x in metrics["loss"]]
    tail = sorted(losses[-20:])
    return {"variant": variant, "steps": metrics["steps"], "val_decisions": len(val),
            "val_exact": metrics["val_accuracy"], "val_balanced": metrics["val_balanced_accuracy"],
            "median_loss_last_20_steps": tail[len(tail) // 2], "seconds": round(time.perf_counter() - start)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a pursuit data file (logicdistill data)")
    parser.add_argument("--variant", action="append", choices=VARIANTS, help="repeatable; default: all")
    parser.add_argument("--steps", type=int, default=60, help="training steps of 8 draws per variant")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "target_stage_probe.json")
    args = parser.parse_args()
    results = [probe(args.data, v, args.steps, args.seed) for v in args.variant or VARIANTS]
    for r in results:
        print(f"{r['variant']:>7}: validation {r['val_exact']:.3f} exact / {r['val_balanced']:.3f} balanced "
              f"({r['val_decisions']} decisions), median loss of the last 20 steps {r['median_loss_last_20_steps']:.2f}")
    write_json(args.out, {"data": str(args.data), "results": results})


if __name__ == "__main__":
    main()
