"""The whole method as one resumable pipeline, ending in one HTML report: ``logicdistill distill``
runs it for one task, ``logicdistill demo`` for the demo's tasks at small sizes. See ``steps``
(the task entries, their steps and sizes), ``demo`` (the demo's entries), ``summary`` (what was
measured), ``report`` (the page)."""

from logicdistill.pipeline.demo import DEMO, DEMO_TASKS
from logicdistill.pipeline.run import run_pipeline
from logicdistill.pipeline.steps import PipelineConfig, TaskEntry
from logicdistill.pipeline.summary import comparison

__all__ = ["DEMO", "DEMO_TASKS", "PipelineConfig", "TaskEntry", "comparison", "run_pipeline"]
