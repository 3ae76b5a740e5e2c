"""The demo: Logic Distillation end to end at small sizes, resumable, ending in one HTML report.
See ``pipeline`` (the tasks, their steps and sizes), ``summary`` (what was measured), ``report``
(the page)."""

from logicdistill.demo.pipeline import DEFAULT_TASKS, DemoConfig, DemoTask
from logicdistill.demo.run import run_demo
from logicdistill.demo.summary import comparison

__all__ = ["DEFAULT_TASKS", "DemoConfig", "DemoTask", "comparison", "run_demo"]
