"""Reading a run folder back: its config, and the student with its trained adapter.

A run folder is user input (``--run``, ``--kd-run``): it may be unfinished, hand-edited or damaged.
Every part is checked here, cheaply and before any model loads, so each problem is one clear line.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from logicdistill.errors import UserInputError
from logicdistill.userfiles import MiB, open_user_file, read_json_object

RUN_FORMAT = "logicdistill-run/1"
MAX_CONFIG_BYTES = 1 * MiB  # a run config is under 2 KiB, an adapter config under 4 KiB
ADAPTER_WEIGHTS = "adapter_model.safetensors"  # what peft's save_pretrained writes


def read_run_config(run: str | Path) -> dict[str, Any]:
    """The run's config.json, once the folder is known to be a finished, readable run."""
    run = Path(run)
    path = run / "config.json"
    if not run.is_dir():
        if run.exists():
            raise UserInputError(f"run folder {run} is a file, not a folder")
        raise UserInputError(f"run folder not found: {run}; train one with `logicdistill train --out {run}`")
    if not path.exists() or not (run / "adapter").is_dir():
        raise UserInputError(
            f"{run} is not a finished run (no config.json or adapter/); "
            "finish it with `logicdistill train ... --resume`"
        )
    config = read_json_object(path, MAX_CONFIG_BYTES, "run config")
    if config.get("format") != RUN_FORMAT:
        raise UserInputError(f"{path} is not a {RUN_FORMAT} run config")
    problem = _config_problem(config)
    if problem:
        raise UserInputError(f"{path}: {problem}; the run folder is damaged, train it again")
    check_adapter(run / "adapter")
    return config


def _config_problem(config: dict[str, Any]) -> str | None:
    """What readers of the config need and it lacks, or None."""
    train = config.get("train")
    if not isinstance(train, dict):
        return "no 'train' section"
    if train.get("mode") not in ("ld", "kd"):
        return f"train.mode is {train.get('mode')!r}, not ld or kd"
    if not isinstance(train.get("student"), (str, type(None))):
        return "train.student is not a model name or null"
    if not isinstance(config.get("data"), str):
        return "no 'data' path"
    return None


def check_adapter(adapter: Path) -> None:
    """The LoRA adapter's config is a LoRA config and its weights file is a readable safetensors
    file (its header parses; the tensors are read when the model loads)."""
    config = read_json_object(adapter / "adapter_config.json", MAX_CONFIG_BYTES, "adapter config")
    if config.get("peft_type") != "LORA":
        raise UserInputError(
            f"{adapter / 'adapter_config.json'} is not a LoRA adapter config "
            f"(peft_type {config.get('peft_type')!r}); the run folder is damaged, train it again"
        )
    weights = adapter / ADAPTER_WEIGHTS
    with open_user_file(weights, "adapter weights file"):  # a regular file, not a pipe or device
        pass
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(weights), framework="numpy") as tensors:
            if not list(tensors.keys()):
                raise UserInputError(f"{weights} holds no tensors; the run folder is damaged, train it again")
    except (SafetensorError, OSError) as exc:
        raise UserInputError(
            f"{weights} is not a readable safetensors file ({exc}); the run folder is damaged, train it again"
        ) from None


def check_run(run: str | Path, mode: str | None = None) -> dict[str, Any]:
    """The config of a usable run, trained with ``mode`` (ld or kd) where one is given."""
    config = read_run_config(run)
    trained = config["train"]["mode"]
    if mode is not None and trained != mode:
        raise UserInputError(f"{run} was trained with --mode {trained}; agent needs a --mode {mode} run")
    return config


def load_run_student(run: str | Path, mode: str | None = None, dtype: str = "auto"):
    """The run's student with its adapter; ``mode`` (ld or kd) must match how it was trained."""
    config = check_run(run, mode)
    return _load(str(Path(run).resolve()), config["train"]["student"], dtype)


@lru_cache(maxsize=4)
def _load(run: str, student: str | None, dtype: str):
    from logicdistill.student.model import load_student

    return load_student(student, adapter=Path(run) / "adapter", dtype=dtype)
