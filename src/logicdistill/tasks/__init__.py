"""Task registry: every task the CLI and the decision loop know by name."""

from __future__ import annotations

from logicdistill.errors import UserInputError
from logicdistill.tasks.protocol import Task

TASK_NAMES = ("pursuit", "twentyone")


def get_task(name: str) -> Task:
    if name == "pursuit":
        from logicdistill.tasks.pursuit.task import PursuitTask

        return PursuitTask()
    if name == "twentyone":
        from logicdistill.tasks.twentyone.task import TwentyOneTask

        return TwentyOneTask()  # classic rules; TwentyOneTask(rules) for the others
    raise UserInputError(f"unknown task {name!r}; tasks: {', '.join(TASK_NAMES)}")
