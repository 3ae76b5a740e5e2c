"""The student in the decision loop: as a function selector (LD) or as a direct actor (KD).

Both build their prompts from the same fields the distillation data stores, and both score a
closed set of answers, so the student can never produce an invalid choice or move.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from logicdistill.agent.loop import stage_line
from logicdistill.agent.records import StepRecord
from logicdistill.agent.selectors import Selection, SelectionRequest
from logicdistill.student.model import Student
from logicdistill.student.prompts import action_prompt, candidate_listing, selection_prompt
from logicdistill.student.scoring import score_candidates
from logicdistill.tasks.protocol import Task


class StudentSelector:
    """Scores every candidate's name under the student; all of a stage's requests in one batch."""

    def __init__(self, student: Student, task: Task, name: str = "ld"):
        self.student, self.task, self.name = student, task, name

    def prompt(self, req: SelectionRequest) -> str:
        listing = candidate_listing([c.name for c in req.candidates], [c.manual.text() for c in req.candidates],
                                    [req.previews[c.name] for c in req.candidates])
        return selection_prompt(self.student.tokenizer, self.task.instruction, stage_line(req.stage),
                                req.state_text, listing)

    def select_batch(self, requests: list[SelectionRequest]) -> list[Selection]:
        names = [[c.name for c in r.candidates] for r in requests]
        probs = score_candidates(self.student, [self.prompt(r) for r in requests], names)
        return [Selection(n[int(p.argmax())], dict(zip(n, map(float, p)))) for n, p in zip(names, probs)]


class DirectActionAgent:
    """Classic KD (or zero-shot) baseline: the student names each pursuer's move from the state."""

    def __init__(self, student: Student, task: Task, actions: list[str], name: str = "kd"):
        self.student, self.task, self.actions, self.name = student, task, actions, name

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, state: Any) -> tuple[Any, StepRecord]:
        start = time.perf_counter()
        units = self.task.units(state)
        prompts = [action_prompt(self.student.tokenizer, self.task.instruction, self.task.state_text(state, u, {}),
                                 self.actions) for u in units]
        probs = score_candidates(self.student, prompts, [self.actions] * len(units))
        action = tuple(self.actions[int(np.argmax(p))] for p in probs)
        return action, StepRecord(getattr(state, "step", 0), action, [], (time.perf_counter() - start) * 1000)
