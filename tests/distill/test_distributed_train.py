"""Training under `accelerate launch` with two CPU processes (gloo DDP) finishes, writes one run
folder from the main process only, and its adapter scores as well as the single-process run's on
the same validation examples."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from logicdistill.agent.factory import AgentOptions
from logicdistill.distill.data import generate_data
from logicdistill.tasks import make_task

pytestmark = pytest.mark.slow
ACCELERATE = Path(sys.executable).with_name("accelerate")
TRAIN = ("-m", "logicdistill", "train", "--data", "d.jsonl", "--max-examples", "64", "--batch-size", "8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*cmd: str, cwd: Path) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_two_cpu_processes_train_the_same_run_as_one(tmp_path):
    generate_data(tmp_path / "d.jsonl", 200, make_task("twentyone"), options=AgentOptions(retriever="bm25"))
    run(sys.executable, *TRAIN, "--out", "one", cwd=tmp_path)
    # accelerate's --cpu starts several processes only through mpirun; --multi_gpu starts them with
    # torchrun, and on a machine without GPUs each trains on the CPU over gloo
    launch = (
        str(ACCELERATE),
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        str(free_port()),
    )
    stdout = run(*launch, *TRAIN, "--out", "two", cwd=tmp_path)
    assert stdout.count("run: two") == 1  # the main process reports, once
    one, two = (json.loads((tmp_path / r / "metrics.json").read_text()) for r in ("one", "two"))
    assert two["steps"] == (one["steps"] + 1) // 2  # each process took half the batches
    assert (tmp_path / "two" / "adapter" / "adapter_config.json").is_file()
    assert not (tmp_path / "two" / "checkpoints").exists()
    assert json.loads((tmp_path / "two" / "config.json").read_text())["task"] == "twentyone"
    assert two["val_examples"] == one["val_examples"] > 0
    assert two["val_accuracy"] >= one["val_accuracy"] - 0.05
