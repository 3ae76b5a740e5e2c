"""``logicdistill demo``: run (or resume) every step, then write ``summary.json`` and ``report.html``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from logicdistill.demo.pipeline import DemoConfig, Layout, OnProgress, clear, demo_steps, plan, run_steps
from logicdistill.demo.report import write_report
from logicdistill.demo.summary import build_summary
from logicdistill.evaluation.run import write_json


def run_demo(
    out: str | Path, config: DemoConfig | None = None, fresh: bool = False, on_progress: OnProgress | None = None
) -> dict[str, Any]:
    """The whole demo under ``out``; ``fresh`` first removes what an earlier demo wrote there.
    Returns the summary, also written to ``out/summary.json``; the report is ``out/report.html``."""
    layout, config = Layout(Path(out)), config or DemoConfig()
    planned = plan(config)
    steps = demo_steps(layout, config, planned)
    if fresh:
        clear(steps, layout)
    summary = build_summary(layout, config, planned, run_steps(steps, layout, config, on_progress))
    write_json(layout.summary, summary)
    write_report(summary, layout.root, layout.report)
    return summary
