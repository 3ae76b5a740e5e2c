"""Training and evaluation examples built from distillation data, for both modes.

- ``ld``: the prompt lists the retrieved candidates (name, manual, what it would return now) in the
  base's order, exactly as the agent presents them, so decisions with the same candidates share a
  prompt head; the answer is the teacher's chosen *function*. Decisions whose candidates all agreed
  are skipped: there is nothing to learn from them, and the agent never asks the model there.
- ``ld`` drills (``drills.py``): a share of the training draws rewritten as if a made-up rule had
  come in, so that the student learns to follow a new function that leads its stage.
- ``kd``: classic knowledge distillation: the same states, and the answer is the teacher's final
  *action* for that pursuer at that step, one example per pursuer and step.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

import numpy as np

from logicdistill.distill.data import DataHeader, DecisionRow
from logicdistill.distill.drills import DRILLS, Drill
from logicdistill.student.prompts import Prompt, action_prompt, selection_prompt

Mode = Literal["ld", "kd"]


@dataclass(frozen=True)
class Example:
    prompt: Prompt
    candidates: list[str]
    answer: str  # the teacher's choice, one of ``candidates``
    outcomes: list[str]  # per candidate, what choosing it yields now (equal texts = same decision)
    source: DecisionRow | None = None  # the decision an ld example was made from


def example_rows(header: DataHeader, rows: list[DecisionRow], mode: Mode) -> list[DecisionRow]:
    """The rows that ``make_examples`` turns into examples: ``ld`` skips forced decisions, ``kd``
    takes each unit's step once (at the first stage). Cheap, so data is checked before a model loads."""
    if mode == "ld":
        return [r for r in rows if not r.forced]
    first = next(iter(header.stage_lines))
    return [r for r in rows if r.stage == first]


def make_examples(header: DataHeader, rows: list[DecisionRow], tokenizer, mode: Mode) -> list[Example]:
    if mode == "ld":
        return [ld_example(header, r, tokenizer) for r in example_rows(header, rows, mode)]
    return [
        Example(
            prompt=action_prompt(tokenizer, header.instruction, r.state_text, header.actions),
            candidates=header.actions,
            answer=r.action,
            outcomes=header.actions,
        )
        for r in example_rows(header, rows, mode)
    ]


def ld_example(
    header: DataHeader,
    row: DecisionRow,
    tokenizer,
    drill: Drill | None = None,
    bites: bool = False,
    shown: str | None = None,
) -> Example:
    """One selection example, candidates in base order; with ``drill``, its rule joins the
    instruction and its function leads the candidates, taking the answer where the teacher kept the
    leading candidate. Its preview is the drill's action if ``bites`` (the teacher kept the leader
    and the rule changes what it does), else the leader's; then it acts as the leader does, and the
    leader leaves the listing, as the loop merges functions that act alike (``LDAgent._same_as``).
    ``shown``, where given, is its preview instead: an ordinary result of the stage that no listed
    candidate returns (``with_drills``)."""
    rank = {name: i for i, name in enumerate(header.manuals)}  # the manuals are in base order
    order = sorted(range(len(row.candidates)), key=lambda i: rank[row.candidates[i]])
    names, previews = [row.candidates[i] for i in order], [row.previews[i] for i in order]
    listing, instruction, answer = [(n, header.manuals[n]) for n in names], header.instruction, row.choice
    if drill is not None:
        kept_leader = answer == names[0]
        if kept_leader and bites:  # the new function acts unlike every old one: all stay listed
            previews = [shown or drill.action, *previews]
        else:  # it acts as the old leader, which is merged into it: the leader's place and preview are its own
            names, listing, previews = names[1:], listing[1:], [shown or previews[0], *previews[1:]]
        names, listing = [drill.name, *names], [(drill.name, drill.manual), *listing]
        instruction, answer = f"{instruction} New rule: {drill.rule}", drill.name if kept_leader else answer
    prompt = selection_prompt(tokenizer, instruction, header.stage_lines[row.stage], row.state_text, listing, previews)
    return Example(prompt=prompt, candidates=names, answer=answer, outcomes=previews, source=row)


def with_drills(
    examples: list[Example], forced: list[DecisionRow], header: DataHeader, tokenizer, share: float, seed: int
) -> list[Example]:
    """``examples`` with about ``share`` of the ld ones replaced by emergency drills: half rewrite
    the example's own decision (the rule bites in half of those), half a decision from ``forced``
    (where the old candidates all agreed; the rule bites there, else it would be no choice).

    At a stage whose result is not yet the action (pursuit's target and strategy), half of the
    drills show the new function's result as an ordinary one of that stage that no listed
    candidate returns (a goal ``d5 e1``), not as the drill's word or the old leader's: a real new
    function returns such results, whether it acts unlike the old ones or as the old default does
    by another way (pursuit's ``hold_assigned_side`` under ``box_in``: a side of the target where
    ``direct_chase`` heads for its cell). Students drilled with words alone kept the old default
    as soon as the new function's preview looked ordinary (docs/experiments.md, emergencies). At the last stage
    a result is the action itself, so the drills there stay as they were, drawn as before."""
    rng = np.random.default_rng(seed)
    ordinary = np.random.default_rng([seed, 1])  # its own stream: the last stage's drills stay as they were
    usable = [r for r in forced if r.previews]  # data written before drills has none for them
    last = list(header.stage_lines)[-1]
    results: dict[str, list[str]] = {}  # an intermediate stage's results, as previews show them
    for row in [e.source for e in examples if e.source is not None] + usable:
        if row.stage != last:
            results.setdefault(row.stage, []).extend(row.previews)

    def shown(row: DecisionRow) -> str | None:
        others = [p for p in results.get(row.stage, []) if p not in row.previews]
        return others[int(ordinary.integers(len(others)))] if others and ordinary.random() < 0.5 else None

    out = []
    for ex in examples:
        if ex.source is None or rng.random() >= share:
            out.append(ex)
            continue
        drill = DRILLS[int(rng.integers(len(DRILLS)))]
        if usable and rng.random() < 0.5:
            row = usable[int(rng.integers(len(usable)))]
            out.append(ld_example(header, row, tokenizer, drill, bites=True, shown=shown(row)))
        else:
            bites = bool(rng.random() < 0.5)
            out.append(ld_example(header, ex.source, tokenizer, drill, bites=bites, shown=shown(ex.source)))
    return out


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
    ``1 / count(its candidates and answer) ** balance``. The teacher keeps a stage's default in
    most decisions (85% in pursuit, 88% in 21 Points), so a student trained on natural frequencies
    learns to always answer the default; ``balance=1`` gives every answer the same share, ``0``
    keeps the natural mix, and the default 0.5 gives each answer a share that grows as the square
    root of its count, so rare decisions are seen often without drowning the common ones.
    Answers are counted per set of candidates offered: the loop offers a function only where it
    would change the action (``LDAgent._same_as``), and counting answers over all sets would
    teach "pick it whenever it is offered" (pursuit: ``intercept_escape_route`` was the answer in
    half the decisions that offered it, yet drawn as if it were the answer in most)."""
    if not examples:
        return []
    counts = Counter(_decision_kind(e) for e in examples)
    weights = np.array([counts[_decision_kind(e)] ** -balance for e in examples])
    idx = np.random.default_rng(seed).choice(len(examples), size=size, replace=True, p=weights / weights.sum())
    return [examples[i] for i in idx]


def _decision_kind(example: Example) -> tuple[frozenset[str], str]:
    return frozenset(example.candidates), example.answer


def accuracy(examples: list[Example], chosen: list[str]) -> dict[str, float]:
    """Exact: the same name as the teacher. Equivalent: a choice that yields the same result now.
    Balanced: exact accuracy averaged over the teacher's answers, so that a student that always
    gives the commonest answer scores 1 / (number of answers), however common that answer is."""
    exact = [c == e.answer for e, c in zip(examples, chosen)]
    same = [
        e.outcomes[e.candidates.index(c)] == e.outcomes[e.candidates.index(e.answer)] for e, c in zip(examples, chosen)
    ]
    n = max(1, len(examples))
    return {
        "exact": sum(exact) / n,
        "equivalent": sum(same) / n,
        "balanced": balanced_accuracy([e.answer for e in examples], chosen),
        "n": len(examples),
    }


def balanced_accuracy(truth: list[str], chosen: list[str]) -> float:
    """Exact accuracy averaged over the true answers (0 for no answers)."""
    per_answer: dict[str, list[bool]] = {}
    for t, c in zip(truth, chosen):
        per_answer.setdefault(t, []).append(t == c)
    return float(np.mean([np.mean(v) for v in per_answer.values()])) if per_answer else 0.0
