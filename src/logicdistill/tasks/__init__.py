"""Task registry: every task the CLI and the decision loop know by name."""

from __future__ import annotations

from logicdistill.errors import UserInputError
from logicdistill.tasks.protocol import Task

TASK_NAMES = ("pursuit",)


def get_task(name: str) -> Task:
    if name == "pursuit":
        from logicdistill.tasks.pursuit.task import PursuitTask

        return PursuitTask()
    raise UserInputError(f"unknown task {name!r}; tasks: {', '.join(TASK_NAMES)}")
