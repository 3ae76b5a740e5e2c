"""Generic demonstrators: offline teachers a task's ``demonstrator()`` can return instead of writing
its own scorer (``agent.selectors.Demonstrator``).

``ActionValueDemonstrator`` suits any task that can value a unit's final result exactly or
cheaply (21 Points: the exact expected return of hit and stick; a shop: the expected cost of an
order over the next days). A candidate at any stage is scored by what it leads to this step: it
runs, every later stage runs its default (each stage's first function in the base), and the
unit's last-stage result is valued. Judging an early choice with defaults after it fixes a
mistake at the earliest stage that can, which keeps the teacher's labels close to the manuals'
``When:`` lines; ``TeacherSelector`` then leaves a stage's default only for a gain of at least the
task's ``min_gain``, in the units of ``action_value`` times ``scale``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from logicdistill.agent.loop import execute_calls, run_later_defaults_many, stage_defaults
from logicdistill.agent.selectors import SelectionRequest
from logicdistill.functions import FunctionBase
from logicdistill.tasks.api import Task

ActionValue = Callable[[Any, int, Any], float]  # (state, unit, the unit's final result) -> value, higher is better


class ActionValueDemonstrator:
    """Scores each candidate by ``scale * action_value(state, unit, final result)``.

    The plan a candidate runs on holds this unit's results from earlier stages of this step only:
    the value must be a function of the unit's own final result (a task whose units' values
    depend on each other needs a rollout demonstrator instead)."""

    def __init__(self, task: Task, base: FunctionBase, action_value: ActionValue, scale: float = 1.0):
        self.task, self.base, self.action_value, self.scale = task, base, action_value, scale
        self.defaults = stage_defaults(task, base)
        self.final = task.stages[-1].result

    def scores(self, request: SelectionRequest, pending: dict[int, dict[str, str]]) -> dict[str, float]:
        finals = self.final_results(request)
        values: dict[str, float] = {}  # repr of a final result -> its value: candidates that agree are valued once
        out = {}
        for name, final in finals.items():
            key = repr(final)
            if key not in values:
                values[key] = self.scale * float(
                    self.action_value(request.decision.state, request.decision.unit, final)
                )
            out[name] = values[key]
        return out

    def final_results(self, request: SelectionRequest) -> dict[str, Any]:
        """Each candidate's final result this step, with every later stage at its default. All
        candidates run in one exchange with the sandbox, then each later stage once for all."""
        d, stage = request.decision, request.stage
        plan = {d.unit: dict(d.results)}
        names = [c.name for c in request.candidates]
        outcomes = execute_calls(self.task, self.base, d.state, stage, d.unit, [(n, plan) for n in names], d.memory)
        results = run_later_defaults_many(
            self.task, self.base, d.state, stage, d.unit, [r for r, _ in outcomes], plan, d.memory, self.defaults
        )
        return {name: r[self.final] for name, r in zip(names, results)}
