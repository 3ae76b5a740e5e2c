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
from logicdistill.student.prompts import action_prompt, selection_prompt
from logicdistill.student.scoring import RememberingScorer
from logicdistill.tasks.api import Task


def selection_fields(task: Task, req: SelectionRequest) -> tuple[str, str, str, list[tuple[str, str]], list[str]]:
    """What a selection prompt shows of a request (``student.prompts.selection_prompt``'s fields
    after the tokenizer): the candidates in the order given (the loop passes the base's) with their
    manuals, and their previews by number. The student and a teacher LLM (``agent.llm_teacher``)
    both read it."""
    return (
        task.instruction,
        stage_line(req.stage),
        req.state_text,
        [(c.name, c.manual.text()) for c in req.candidates],
        [req.previews[c.name] for c in req.candidates],
    )


class StudentSelector:
    """Scores every candidate's name under the student; all of a stage's requests in one batch."""

    def __init__(self, student: Student, task: Task, name: str = "ld"):
        self.student, self.task, self.name = student, task, name
        self.score = RememberingScorer(student)

    def prompt(self, req: SelectionRequest) -> str:
        return selection_prompt(self.student.tokenizer, *selection_fields(self.task, req))

    def select_batch(self, requests: list[SelectionRequest]) -> list[Selection]:
        names = [[c.name for c in r.candidates] for r in requests]
        probs = self.score([self.prompt(r) for r in requests], names)
        return [Selection(n[int(p.argmax())], dict(zip(n, map(float, p)))) for n, p in zip(names, probs)]


class DirectActionAgent:
    """Classic KD (or zero-shot) baseline: the student names each unit's action from the state."""

    def __init__(self, student: Student, task: Task, actions: list[str], name: str = "kd"):
        self.student, self.task, self.actions, self.name = student, task, actions, name
        self.score = RememberingScorer(student)

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, state: Any) -> tuple[Any, StepRecord]:
        return self.act_batch([state], [None])[0]

    def act_batch(self, states: list[Any], episodes: list[Any]) -> list[tuple[Any, StepRecord]]:
        """Every unit of every state in one scoring batch; the agent keeps no memory (the episode
        runner numbers the steps)."""
        start = time.perf_counter()
        slots = [(s, u) for s in states for u in self.task.units(s)]
        prompts = [
            action_prompt(self.student.tokenizer, self.task.instruction, self.task.state_text(s, u, {}), self.actions)
            for s, u in slots
        ]
        probs = iter(self.score(prompts, [self.actions] * len(slots)))
        last = self.task.stages[-1].result
        elapsed = (time.perf_counter() - start) * 1000 / max(1, len(states))
        out = []
        for s in states:
            named = {u: {last: self.actions[int(np.argmax(next(probs)))]} for u in self.task.units(s)}
            action = self.task.to_action(s, named)
            out.append((action, StepRecord(0, action, [], elapsed)))
        return out
