"""Memory peak of the student: loading, scoring decisions (inference) and LoRA training.

Each phase runs in a fresh process, so its peak resident set (``ru_maxrss``) is its own:

- imports: Python with torch and transformers imported, nothing loaded (the floor);
- load: the bundled student loaded (the dequantized copy is cached after the first load);
- inference: the bundled student scores --decisions test-split decisions of --data, 16 per batch,
  in the dtype agents use (bf16 where the CPU has it);
- inference_run: the same with the trained student of --run, which keeps the base weights beside
  the merged ones (they read the prompt heads: ``student/heads.py``);
- train_ld, train_kd: a LoRA training run of --train-examples examples (steps of 8) on --data.

On a GPU the peak of torch's CUDA allocator is reported too.

    .venv/bin/python benchmarks/memory_peak.py --data runs/b21/data.jsonl [--run runs/b21/ld]
Writes benchmarks/results/memory_peak.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
PHASES = ("imports", "load", "inference", "inference_run", "train_ld", "train_kd")


def work(phase: str, args: argparse.Namespace) -> None:
    import torch  # noqa: F401  (the floor every phase shares)
    import transformers  # noqa: F401

    from logicdistill.distill.data import read_data
    from logicdistill.distill.train import TrainConfig, held_out_accuracy, train
    from logicdistill.student import load_student
    from logicdistill.student.runs import load_run_student

    if phase == "load":
        load_student()
    elif phase.startswith("inference"):
        student = load_run_student(args.run, "ld") if phase == "inference_run" else load_student(dtype="auto")
        header, rows, _ = read_data(args.data)
        held_out_accuracy(student, header, rows, "ld", args.decisions, 0)
    elif phase.startswith("train_"):
        with tempfile.TemporaryDirectory() as tmp:
            cfg = TrainConfig(mode=phase.removeprefix("train_"), max_examples=args.train_examples, val_examples=16)
            train(args.data, Path(tmp) / "run", cfg)


def measure(phase: str, args: argparse.Namespace) -> dict:
    """Runs in the child process: the phase, then its own peak."""
    import torch

    start = time.perf_counter()
    work(phase, args)
    row = {
        "phase": phase,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "seconds": time.perf_counter() - start,
    }
    if torch.cuda.is_available():
        row["cuda_peak_mib"] = torch.cuda.max_memory_allocated() / 2**20
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a data file from `logicdistill data`")
    parser.add_argument("--run", type=Path, help="a trained ld run (the inference_run phase needs one)")
    parser.add_argument("--decisions", type=int, default=64)
    parser.add_argument("--train-examples", type=int, default=64)
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES))
    args = parser.parse_args()
    rows = []
    for phase in [p for p in args.phases if args.run or p != "inference_run"]:
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            rows.append(pool.submit(measure, phase, args).result())
        print({k: round(v, 1) if isinstance(v, float) else v for k, v in rows[-1].items()}, flush=True)
    report = {
        "data": str(args.data),
        "run": str(args.run) if args.run else None,
        "decisions": args.decisions,
        "train_examples": args.train_examples,
        "machine": platform.machine(),
        "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "memory_peak.json").write_text(json.dumps(report, indent=2) + "\n")
    print("| phase | peak RSS (MiB) | seconds |\n|---|---|---|")
    for r in rows:
        print(f"| {r['phase']} | {r['peak_rss_mib']:.0f} | {r['seconds']:.1f} |")


if __name__ == "__main__":
    main()
