"""The demo: Logic Distillation end to end at small sizes, resumable, ending in one HTML report.
See ``pipeline`` (the steps and their sizes), ``summary`` (what was measured), ``report`` (the page)."""

from logicdistill.demo.pipeline import DemoConfig
from logicdistill.demo.run import run_demo
from logicdistill.demo.summary import TASK_LABELS, comparison

__all__ = ["TASK_LABELS", "DemoConfig", "comparison", "run_demo"]
