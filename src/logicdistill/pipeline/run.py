"""Run (or resume) every step of a pipeline, then write ``summary.json`` and ``report.html``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from logicdistill.evaluation.run import write_json
from logicdistill.pipeline.report import write_report
from logicdistill.pipeline.steps import (
    Layout,
    OnProgress,
    PipelineConfig,
    clear,
    pipeline_steps,
    plan,
    run_steps,
    sizes,
)
from logicdistill.pipeline.summary import build_summary


def run_pipeline(
    out: str | Path, config: PipelineConfig, fresh: bool = False, on_progress: OnProgress | None = None
) -> dict[str, Any]:
    """Every step of ``config`` under ``out``; ``fresh`` first removes what an earlier run wrote
    there. Returns the summary, also written to ``out/summary.json``; the report is
    ``out/report.html``."""
    layout = Layout(Path(out))
    planned = plan(config)
    steps = pipeline_steps(layout, config, planned)
    if fresh:
        clear(steps, layout)
    summary = build_summary(layout, config, planned, run_steps(steps, layout, sizes(config, planned), on_progress))
    write_json(layout.summary, summary)
    write_report(summary, layout.root, layout.report)
    return summary
