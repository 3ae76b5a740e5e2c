"""The answer to an emergency: new functions, verified under the new rule against the stale base,
saved as a new base version in which each new function leads its stage.

Why it leads its stage: a stage's first function is its default, the one used when every
candidate agrees and the one the teacher keeps unless another gains clearly. The old default was
written for the old rules; the new function was written for the rule now in force (and plays like
the old default where the rule does not bite), so it takes that place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from logicdistill.errors import EndpointError
from logicdistill.functions.base import FunctionBase, save_successor
from logicdistill.functions.check import check_function_base
from logicdistill.functions.spec import FunctionSpec, Provenance
from logicdistill.functions.verification import Limits, RejectedError, Verifier
from logicdistill.tasks.api import Emergency, Task
from logicdistill.teacher import write_functions

TEACHER_EXTRA = (
    "A new rule is now in force: {rule}\nWrite functions for this rule: each must respect it in every "
    "state, and its manual's When: line must name the rule. Your first function becomes the stage's "
    "default while the rule is in force: start its When: line with 'the default while the ... rule "
    "is in force'. The state description above says what the state tells about the rule."
)


def reference_functions(scenario: Emergency, verifier: Verifier, taken: Sequence[str]) -> list[FunctionSpec]:
    """The scenario's reference functions, admitted by the verifier (provenance ``reference``)."""
    specs = []
    for origin, text in scenario.references:
        provenance = Provenance(
            kind="reference",
            note=f"written for logicdistill as the reference answer to the {scenario.name} emergency ({origin})",
        )
        report = verifier.verify(text, provenance, origin, taken=frozenset(taken))
        if not report.ok:
            raise RejectedError(report)
        specs += report.admitted
    return specs


def teacher_functions(
    scenario: Emergency, verifier: Verifier, client, retries: int = 2, per_stage: int = 1
) -> list[FunctionSpec]:
    """Functions a teacher LLM writes for the rule, at the stages the reference answers it, each
    verified under the rule; rejections go back to the teacher for up to ``retries`` follow-ups."""

    stages = {s.name: s for s in verifier.task.stages}
    specs: list[FunctionSpec] = []
    for name in scenario.stages:
        outcome = write_functions(
            client,
            verifier,
            stages[name],
            per_stage,
            retries,
            existing=verifier.reference.by_stage(name),
            extra=TEACHER_EXTRA.format(rule=scenario.rule),
            taken=frozenset(verifier.reference.names()) | {f.name for f in specs},
        )
        if not outcome.admitted:
            last = "\n  ".join(outcome.rejections[-5:]) or "(no reasons recorded)"
            raise EndpointError(
                f"the teacher {client.config.model} wrote no function for stage {name!r} that passed "
                f"verification under the {scenario.name} rule in {outcome.requests} request(s); the "
                f"base is unchanged. Last reasons:\n  {last}"
            )
        specs += outcome.admitted
    return specs


def new_functions(
    scenario: Emergency, task: Task, stale: FunctionBase, client=None, retries: int = 2, limits: Limits = Limits()
) -> list[FunctionSpec]:
    """Verified new functions for the emergency: the teacher's when a client is given, else the
    reference ones. ``task`` is the task under the new rule, so verification samples are played
    under it and a result that breaks the rule is rejected."""
    with Verifier(task, stale, limits) as verifier:
        if client is None:
            return reference_functions(scenario, verifier, stale.names())
        return teacher_functions(scenario, verifier, client, retries)


def leading(base: FunctionBase, specs: Sequence[FunctionSpec], note: str) -> FunctionBase:
    """A new (unsaved) base with each of ``specs`` first in its stage, the rest in their order."""
    pending: dict[str, list[FunctionSpec]] = {}
    for spec in specs:
        pending.setdefault(spec.stage, []).append(spec)
    functions: list[FunctionSpec] = []
    for f in base.functions:
        functions += pending.pop(f.stage, [])
        functions.append(f)
    functions += [s for rest in pending.values() for s in rest]
    return replace(base, functions=tuple(functions), version=0, parent=base.version or None, note=note)


def add_version(
    root: str | Path, stale: FunctionBase, specs: Sequence[FunctionSpec], task: Task, note: str
) -> FunctionBase:
    """Save the stale base and then the new one as versions under ``root`` (the stale one only if
    it is not already the current version), so ``base diff ROOT@N-1 ROOT`` shows what arrived."""
    return save_successor(stale, check_function_base(leading(stale, specs, note), task), root, task)
