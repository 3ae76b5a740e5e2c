"""Reading a run folder back: its config, and the student with its trained adapter."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from logicdistill.errors import UserInputError

RUN_FORMAT = "logicdistill-run/1"


def read_run_config(run: str | Path) -> dict[str, Any]:
    run = Path(run)
    path = run / "config.json"
    if not run.is_dir():
        raise UserInputError(f"run folder not found: {run}; train one with `logicdistill train --out {run}`")
    if not path.is_file() or not (run / "adapter").is_dir():
        raise UserInputError(f"{run} is not a finished run (no config.json or adapter/); "
                             "finish it with `logicdistill train ... --resume`")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UserInputError(f"cannot read {path}: {exc}") from None
    if config.get("format") != RUN_FORMAT:
        raise UserInputError(f"{path} is not a {RUN_FORMAT} run config")
    return config


def load_run_student(run: str | Path, mode: str | None = None, dtype: str = "auto"):
    """The run's student with its adapter; ``mode`` (ld or kd) must match how it was trained."""
    config = read_run_config(run)
    trained = config["train"]["mode"]
    if mode is not None and trained != mode:
        raise UserInputError(f"{run} was trained with --mode {trained}; agent needs a --mode {mode} run")
    return _load(str(Path(run).resolve()), config["train"]["student"], dtype)


@lru_cache(maxsize=4)
def _load(run: str, student: str | None, dtype: str):
    from logicdistill.student.model import load_student

    return load_student(student, adapter=Path(run) / "adapter", dtype=dtype)
