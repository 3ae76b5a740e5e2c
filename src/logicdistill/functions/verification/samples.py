"""Sample decisions from the real game, on which untrusted functions are run before admission.

Each task keeps its own sampler in ``logicdistill.tasks.<name>.samples`` (a function
``verification_samples(task) -> SampleSet``), because only the task knows how to reach realistic
states and what a legal final action is.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any, Callable

from logicdistill.errors import UserInputError
from logicdistill.tasks.protocol import Task


@dataclass(frozen=True)
class Sample:
    label: str  # where the state comes from, named in rejection reasons
    state: Any
    memory: dict[int, dict[str, Any]]  # each unit's results from the previous step ({} on the first)


@dataclass(frozen=True)
class SampleSet:
    samples: tuple[Sample, ...]
    is_legal: Callable[[Any, Any], bool]  # (state, action) -> legal; module-level, so it pickles by name


def task_samples(task: Task) -> SampleSet:
    try:
        module = import_module(f"logicdistill.tasks.{task.name}.samples")
    except ModuleNotFoundError:
        raise UserInputError(f"task {task.name!r} has no verification samples (logicdistill.tasks.{task.name}.samples)") from None
    return module.verification_samples(task)
