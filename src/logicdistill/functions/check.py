"""Conformance of a function base with its task: run over every bundled base in one test, and
before any base is used. Problems are listed, not raised one by one, so a user fixes them at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from logicdistill.errors import UserInputError
from logicdistill.functions.base import FunctionBase

if TYPE_CHECKING:  # the task API builds on this package; only type hints look back at it
    from logicdistill.tasks.api import Task


def base_problems(base: FunctionBase, task: Task) -> list[str]:
    problems = []
    stages = {s.name: s for s in task.stages}
    if base.task != task.name:
        problems.append(f"base is for task {base.task!r}, not {task.name!r}")
    for spec in base.functions:
        stage = stages.get(spec.stage)
        if stage is None:
            problems.append(f"{spec.name}: unknown stage {spec.stage!r}; stages: {', '.join(stages)}")
            continue
        expected = "(" + ", ".join(stage.params) + ")"
        if spec.signature != expected:
            problems.append(f"{spec.name}: signature {spec.signature} does not match stage {stage.name}{expected}")
        if not spec.manual.what.strip() or not spec.manual.when.strip():
            problems.append(f"{spec.name}: manual needs both what it does and when to use it")
    for name in stages:
        if not base.by_stage(name):
            problems.append(f"stage {name!r} has no functions")
    return problems


def check_function_base(base: FunctionBase, task: Task) -> FunctionBase:
    """The base itself if it conforms, else one error listing every problem."""
    problems = base_problems(base, task)
    if problems:
        raise UserInputError(f"the {base.task} base v{base.version} does not fit the task:\n- " + "\n- ".join(problems))
    return base
