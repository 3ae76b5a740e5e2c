"""Training and evaluation examples built from distillation data, for both modes.

- ``ld``: the prompt lists the retrieved candidates (name, manual, what it would return now) in the
  base's order, exactly as the agent presents them, so decisions with the same candidates share a
  prompt head; the answer is the teacher's chosen *function*. Decisions whose candidates all agreed
  are skipped: there is nothing to learn from them, and the agent never asks the model there.
- ``kd``: classic knowledge distillation: the same states, and the answer is the teacher's final
  *action* for that pursuer at that step, one example per pursuer and step.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

import numpy as np

from logicdistill.distill.data import DataHeader, DecisionRow
from logicdistill.student.prompts import Prompt, action_prompt, selection_prompt

Mode = Literal["ld", "kd"]


@dataclass(frozen=True)
class Example:
    prompt: Prompt
    candidates: list[str]
    answer: str  # the teacher's choice, one of ``candidates``
    outcomes: list[str]  # per candidate, what choosing it yields now (equal texts = same decision)


def make_examples(header: DataHeader, rows: list[DecisionRow], tokenizer, mode: Mode) -> list[Example]:
    if mode == "ld":
        rank = {name: i for i, name in enumerate(header.manuals)}  # the manuals are in base order
        out = []
        for r in rows:
            if r.forced:
                continue
            order = sorted(range(len(r.candidates)), key=lambda i: rank[r.candidates[i]])
            names, previews = [r.candidates[i] for i in order], [r.previews[i] for i in order]
            out.append(Example(
                prompt=selection_prompt(tokenizer, header.instruction, header.stage_lines[r.stage], r.state_text,
                                        [(n, header.manuals[n]) for n in names], previews),
                candidates=names, answer=r.choice, outcomes=previews,
            ))
        return out
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


def draw(examples: list[Example], size: int, balance: float, seed: int) -> list[Example]:
    """The training budget: ``size`` draws, with replacement, where an example's chance goes as
    ``1 / count(its answer) ** balance``. The teacher keeps a stage's default in most decisions
    (85% in pursuit, 88% in 21 Points), so a student trained on natural frequencies learns to
    always answer the default; ``balance=1`` gives every answer the same share, ``0`` keeps the
    natural mix, and the default 0.5 gives each answer a share that grows as the square root of
    its count, so rare decisions are seen often without drowning the common ones."""
    if not examples:
        return []
    counts = Counter(e.answer for e in examples)
    weights = np.array([counts[e.answer] ** -balance for e in examples])
    idx = np.random.default_rng(seed).choice(len(examples), size=size, replace=True, p=weights / weights.sum())
    return [examples[i] for i in idx]


def accuracy(examples: list[Example], chosen: list[str]) -> dict[str, float]:
    """Exact: the same name as the teacher. Equivalent: a choice that yields the same result now.
    Balanced: exact accuracy averaged over the teacher's answers, so that a student that always
    gives the commonest answer scores 1 / (number of answers), however common that answer is."""
    exact = [c == e.answer for e, c in zip(examples, chosen)]
    same = [e.outcomes[e.candidates.index(c)] == e.outcomes[e.candidates.index(e.answer)]
            for e, c in zip(examples, chosen)]
    per_answer: dict[str, list[bool]] = {}
    for e, ok in zip(examples, exact):
        per_answer.setdefault(e.answer, []).append(ok)
    n = max(1, len(examples))
    balanced = float(np.mean([np.mean(v) for v in per_answer.values()])) if per_answer else 0.0
    return {"exact": sum(exact) / n, "equivalent": sum(same) / n, "balanced": balanced, "n": len(examples)}
