"""Training and evaluation examples built from distillation data, for both modes.

- ``ld``: the prompt lists the retrieved candidates (name, manual, what it would return now) and
  the answer is the teacher's chosen *function*. Decisions whose candidates all agreed are skipped:
  there is nothing to learn from them, and the agent never asks the model there.
- ``kd``: classic knowledge distillation: the same states, and the answer is the teacher's final
  *action* for that pursuer at that step, one example per pursuer and step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from logicdistill.distill.data import DataHeader, DecisionRow
from logicdistill.student.prompts import action_prompt, selection_prompt

Mode = Literal["ld", "kd"]


@dataclass(frozen=True)
class Example:
    prompt: str
    candidates: list[str]
    answer: str  # the teacher's choice, one of ``candidates``
    outcomes: list[str]  # per candidate, what choosing it yields now (equal texts = same decision)


def make_examples(header: DataHeader, rows: list[DecisionRow], tokenizer, mode: Mode) -> list[Example]:
    if mode == "ld":
        return [
            Example(
                prompt=selection_prompt(tokenizer, header.instruction, header.stage_lines[r.stage], r.state_text,
                                        [(n, header.manuals[n]) for n in r.candidates], r.previews),
                candidates=r.candidates, answer=r.choice, outcomes=r.previews,
            )
            for r in rows if not r.forced
        ]
    first = next(iter(header.stage_lines))
    return [
        Example(prompt=action_prompt(tokenizer, header.instruction, r.state_text, header.actions),
                candidates=header.actions, answer=r.action, outcomes=header.actions)
        for r in rows if r.stage == first
    ]


def distinct(rows: list[DecisionRow], mode: Mode) -> list[DecisionRow]:
    """The rows with repeats of the same decision (stage, state, candidate set, answer) dropped,
    first kept. In 21 Points a few hundred states recur thousands of times, so without this the
    training budget would go to the commonest hands and the rare states where the teacher leaves a
    default, the logic to learn, would barely appear; in pursuit almost every state is new."""
    seen, out = set(), []
    for r in rows:
        key = (r.stage, r.state_text, frozenset(r.candidates), r.choice if mode == "ld" else r.action)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def sample(examples: list[Example], limit: int | None, seed: int) -> list[Example]:
    """At most ``limit`` examples, drawn without replacement (the training budget)."""
    if limit is None or len(examples) <= limit:
        return examples
    idx = np.random.default_rng(seed).choice(len(examples), size=limit, replace=False)
    return [examples[i] for i in sorted(idx)]


def accuracy(examples: list[Example], chosen: list[str]) -> dict[str, float]:
    """Exact: the same name as the teacher. Equivalent: a choice that yields the same result now."""
    exact = [c == e.answer for e, c in zip(examples, chosen)]
    same = [e.outcomes[e.candidates.index(c)] == e.outcomes[e.candidates.index(e.answer)]
            for e, c in zip(examples, chosen)]
    n = max(1, len(examples))
    return {"exact": sum(exact) / n, "equivalent": sum(same) / n, "n": len(examples)}
