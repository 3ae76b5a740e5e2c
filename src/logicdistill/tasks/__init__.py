"""The task API (``api.Task``, the one extension point) and where tasks come from
(``registry``: entry points and ``file.py:Class`` / ``module:Class`` references)."""

from logicdistill.tasks.api import SUCCESS_RATE, Emergency, Env, Metric, NoSettings, Recipe, Task
from logicdistill.tasks.registry import get_task, make_task, registered, task_class

__all__ = [
    "SUCCESS_RATE",
    "Emergency",
    "Env",
    "Metric",
    "NoSettings",
    "Recipe",
    "Task",
    "get_task",
    "make_task",
    "registered",
    "task_class",
]
