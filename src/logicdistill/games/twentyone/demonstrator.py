"""The teacher demonstrator for 21 Points: scores each candidate by the exact value of the move
it leads to, so its labels are exact, not sampled.

A candidate is run, later stages run their defaults (each stage's first function in the base),
and the resulting move is scored by its exact expected return with optimal play afterwards
(``exact.action_values``), in thousandths of a chip per hand. The ``TeacherSelector`` then leaves
a stage's default only where another candidate gains at least ``min_gain`` of these units:
``TwentyOneTask.min_gain`` = 1 (0.001 per hand) keeps every deviation that matters in the bundled base (the
smallest is 2.5, hard 12 against a 4) and ignores exact ties. Fixing a mistake at the earliest
stage that can, with defaults after it, keeps the labels close to the manuals' ``When:`` lines.
"""

from __future__ import annotations

from logicdistill.agent.loop import execute_stage, run_later_defaults, stage_defaults
from logicdistill.agent.selectors import SelectionRequest
from logicdistill.functions import FunctionBase
from logicdistill.games.twentyone.exact import action_values
from logicdistill.games.twentyone.task import TwentyOneTask

SCALE = 1000.0  # score units per chip of expected return (TwentyOneTask.min_gain = 1)


class TwentyOneDemonstrator:
    def __init__(self, task: TwentyOneTask, base: FunctionBase):
        self.task, self.base = task, base
        self.defaults = stage_defaults(task, base)

    def scores(self, request: SelectionRequest, pending: dict[int, dict[str, str]]) -> dict[str, float]:
        d = request.decision
        values = action_values(d.state.rules)[d.state.key]
        out = {}
        for cand in request.candidates:
            plan = {d.unit: dict(d.results)}
            result, _ = execute_stage(self.task, self.base, d.state, request.stage, d.unit, cand.name, plan, d.memory)
            results = run_later_defaults(
                self.task, self.base, d.state, request.stage, d.unit, result, plan, d.memory, self.defaults
            )
            out[cand.name] = SCALE * values[self.task.to_action(d.state, {d.unit: results})]
        return out
