"""Selectors choose one function among the retrieved candidates. They are pluggable: the
teacher demonstrator, a random chooser, and (later) the distilled student all share this shape."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from logicdistill.functions import FunctionSpec, Stage


@dataclass
class Decision:
    """Everything about the game a demonstrator may use; a model selector reads only the request's text."""

    state: Any
    unit: int
    results: dict[str, Any]  # this unit's results from earlier stages of this step
    choices: dict[int, dict[str, str]]  # this step's function choices so far, per unit
    last_choices: dict[int, dict[str, str]]  # last step's choices, per unit
    memory: dict[int, dict[str, Any]]  # last step's results, per unit
    step_seed: int = 0  # common random numbers for anything simulated at this step


@dataclass
class SelectionRequest:
    stage: Stage
    state_text: str  # the compact state (and earlier stages' results) a model reads
    candidates: list[FunctionSpec]
    decision: Decision
    previews: dict[str, str] = field(default_factory=dict)  # what each candidate would return, as text
    merged: list[tuple[FunctionSpec, str]] = field(default_factory=list)  # offered, but not among ``candidates``
    # because it leads to the same action as that earlier one in the base: a demonstrator may weigh
    # it, and its choice then stands for that one (``TeacherSelector``)


@dataclass
class Selection:
    choice: str
    probabilities: dict[str, float] | None = None  # a model's distribution over the candidates
    outcomes: dict[str, float] | None = None  # a demonstrator's simulated value per candidate
    label: dict[str, Any] | None = None  # a teacher LLM's record of this choice: its exchanges (store key,
    # tokens) and whether its replies were unusable and the default stands (``agent.llm_teacher``)


class Selector(Protocol):
    name: str

    def select_batch(self, requests: list[SelectionRequest]) -> list[Selection]:
        """One selection per request, in order. Requests of one call belong to one stage, for the
        units of one or more episodes' steps in order, so a selector may batch them or let later
        units see what earlier ones of the same step chose."""


class RandomSelector:
    """Uniform choice among the candidates: the floor any selector must beat."""

    name = "random"

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def select_batch(self, requests: list[SelectionRequest]) -> list[Selection]:
        out = []
        for req in requests:
            names = [c.name for c in req.candidates]
            p = 1.0 / len(names)
            out.append(Selection(names[int(self.rng.integers(len(names)))], {n: p for n in names}))
        return out


class Demonstrator(Protocol):
    def scores(self, request: SelectionRequest, pending: dict[int, dict[str, str]]) -> dict[str, float]:
        """Outcome score of every candidate (higher is better). ``pending`` holds this step's
        choices including the ones the teacher made earlier in the same batch."""


class TeacherSelector:
    """The reference demonstrator standing in for the large LLM offline: it picks the candidate
    whose simulated outcome is best. A base lists each stage's default function first; the teacher
    leaves the default (the candidate earliest in the base) only for a gain of at least
    ``min_gain``, so its labels say "deviate when it matters" rather than follow rollout noise,
    and they never depend on the retriever's ordering. It weighs the merged candidates too, so
    its choice is the one it would make among all of them, named by the function that acts the same."""

    name = "teacher"

    def __init__(self, demonstrator: Demonstrator, base_order: list[str], min_gain: float = 0.0):
        self.demonstrator, self.min_gain = demonstrator, min_gain
        self.rank = {name: i for i, name in enumerate(base_order)}

    def select_batch(self, requests: list[SelectionRequest]) -> list[Selection]:
        out = []
        steps: dict[int, dict[int, dict[str, str]]] = {}  # per episode step: its choices, with this batch's
        for req in requests:
            pending = steps.setdefault(id(req.decision.choices), {u: dict(c) for u, c in req.decision.choices.items()})
            scores = self.demonstrator.scores(
                replace(req, candidates=req.candidates + [f for f, _ in req.merged]), pending
            )
            default = min(scores, key=lambda n: self.rank.get(n, len(self.rank)))
            best = max(scores, key=lambda n: (scores[n], -self.rank.get(n, len(self.rank))))
            choice = best if scores[best] - scores[default] >= max(self.min_gain, 1e-9) else default
            choice = dict((f.name, same) for f, same in req.merged).get(choice, choice)
            pending.setdefault(req.decision.unit, {})[req.stage.name] = choice
            out.append(Selection(choice, outcomes=scores))
        return out
