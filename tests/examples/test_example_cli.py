"""The example task used as a user would: named by file reference on every command, never
installed, through the real console script: ``tasks check``, ``data``, ``train`` (a tiny real LoRA
run), ``eval`` of the trained student and ``emergency`` with it, no retraining."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BAKERY = f"{Path(__file__).parents[2] / 'examples' / 'bakery.py'}:BakeryTask"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "logicdistill", *args], capture_output=True, text=True, timeout=900, cwd=cwd
    )


def ok(run: subprocess.CompletedProcess) -> str:
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def test_tasks_check_passes_and_a_wrong_class_name_is_a_listed_problem(tmp_path):
    assert "bakery: conformant" in ok(cli("tasks", "check", BAKERY, cwd=tmp_path))
    wrong = cli("tasks", "check", f"{BAKERY}Typo", cwd=tmp_path)
    assert wrong.returncode == 2 and "has no 'BakeryTaskTypo'" in wrong.stdout and "1 problem" in wrong.stdout


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """Teacher data (episode 5 is the test split) and a tiny LD run on it, shared by the commands that use a student."""
    root = tmp_path_factory.mktemp("bakery")
    ok(cli("data", "--task", BAKERY, "--episodes", "6", "--out", "data.jsonl", cwd=root))
    header = json.loads((root / "data.jsonl").read_text().splitlines()[0])
    assert header["task"] == "bakery"
    stdout = ok(
        cli("train", "--data", "data.jsonl", "--out", "run", "--max-examples", "16", "--batch-size", "8", cwd=root)
    )
    assert "validation accuracy" in stdout and (root / "run").is_dir()
    return root


# the trained student, as every command that plays names it
STUDENT = ("--task", BAKERY, "--agent", "ld", "--run", "run", "--episodes", "2", "--retriever", "bm25")


def test_eval_of_the_trained_student_reports_the_tasks_metrics(trained):
    stdout = ok(cli("eval", *STUDENT, "--accuracy-examples", "8", "--json", "eval.json", cwd=trained))
    summary = json.loads((trained / "eval.json").read_text())
    assert summary["task"] == "bakery" and summary["agent"] == "ld" and summary["episodes"] == 2
    assert 0.0 <= summary["success_rate"] <= 1.0 and summary["selection_accuracy"] is not None
    assert {"mean_stockout_days", "mean_waste"} <= set(summary)  # the task's declared metrics
    assert "stockouts" in stdout and "waste" in stdout


def test_emergency_adds_the_new_function_and_measures_the_same_student(trained):
    extra = ("--scenario", "supplier_cap", "--base-out", "em-base", "--json", "em.json")
    stdout = ok(cli("emergency", *STUDENT, *extra, cwd=trained))
    report = json.loads((trained / "em.json").read_text())
    assert report["scenario"] == "supplier_cap" and report["agent"] == "ld"
    assert {f["stage"] for f in report["added_functions"]} and report["base_version"] >= 2
    assert all(report[phase]["episodes"] == 2 for phase in ("normal", "before", "after"))
    assert "added:" in stdout and (trained / "em-base" / "CURRENT").is_file()
