"""Verification of untrusted functions: static checks, then dynamic checks in the sandbox.

A function is admitted only if it passes both; the admitted ``FunctionSpec`` records
``Verification(status="verified", checks=...)``. Reasons and checks are deterministic (no
timings, no addresses), so a replayed teacher build reproduces them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from logicdistill.functions.base import FunctionBase
from logicdistill.functions.spec import FunctionSpec, Provenance, Verification
from logicdistill.functions.verification.samples import SampleSet, task_samples
from logicdistill.functions.verification.sandbox import Limits, Sandbox
from logicdistill.functions.verification.static import Draft, parse_source
from logicdistill.functions.verification.worker import Job
from logicdistill.tasks.protocol import Task


@dataclass(frozen=True)
class Verdict:
    name: str
    stage: str
    reasons: tuple[str, ...]  # empty when admitted
    spec: FunctionSpec | None  # the admitted function, its verification recorded

    @property
    def admitted(self) -> bool:
        return self.spec is not None


@dataclass(frozen=True)
class Report:
    origin: str
    problems: tuple[str, ...]  # about the source as a whole: nothing in it can be admitted
    verdicts: tuple[Verdict, ...]

    @property
    def ok(self) -> bool:
        """Every function in the source was admitted."""
        return not self.problems and all(v.admitted for v in self.verdicts)

    @property
    def admitted(self) -> list[FunctionSpec]:
        return [v.spec for v in self.verdicts if v.spec is not None]

    def lines(self) -> list[str]:
        """One line per problem and per rejection reason, and one per admitted function."""
        out = [f"{self.origin}: {p}" for p in self.problems]
        for v in self.verdicts:
            out += [f"{v.name}: admitted ({v.stage})"] if v.admitted else [f"{v.name}: rejected: {r}" for r in v.reasons]
        return out


@dataclass
class Verifier:
    """Verifies sources for one task against a reference base, whose first function per stage
    plays the other stages (the context a function is tested in). Holds one sandbox; close it, or
    use as a context manager."""

    task: Task
    reference: FunctionBase
    limits: Limits = Limits()
    samples: SampleSet | None = None  # default: the task's own (``tasks/<name>/samples.py``)

    def __post_init__(self) -> None:
        self.samples = self.samples or task_samples(self.task)
        self.stages = {s.name: s for s in self.task.stages}
        self.defaults = {s: fns[0] for s in self.stages if (fns := self.reference.by_stage(s))}
        self.sandbox = Sandbox(self.limits)

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.sandbox.close()

    def verify(self, text: str, provenance: Provenance, origin: str = "<source>", stage: str | None = None,
               taken: frozenset[str] | set[str] = frozenset()) -> Report:
        """Check every function in ``text``; names in ``taken`` (already in the base) are rejected."""
        parsed = parse_source(text, self.stages, stage)
        verdicts, seen = [], set(taken)
        for draft in parsed.drafts:
            reasons = list(draft.reasons)
            if draft.name in seen:
                where = "in the base" if draft.name in taken else "earlier in this source"
                reasons.insert(0, f"a function named {draft.name!r} already exists {where}; choose another name")
            seen.add(draft.name)
            verdicts.append(self._dynamic(draft, provenance) if not reasons else
                            Verdict(draft.name, draft.stage, tuple(reasons), None))
        return Report(origin, tuple(parsed.problems), tuple(verdicts))

    def _dynamic(self, draft: Draft, provenance: Provenance) -> Verdict:
        spec = FunctionSpec(name=draft.name, stage=draft.stage, signature=draft.signature, manual=draft.manual,
                            source=draft.source, provenance=provenance, verification=Verification(status="unverified"))
        problem = self.sandbox.problem(Job(self.task, spec, self.defaults, self.samples, self.limits.memory_mb))
        if problem:
            return Verdict(draft.name, draft.stage, (problem,), None)
        decisions = sum(len(self.task.units(s.state)) for s in self.samples.samples)
        checks = (
            "static: syntax, allowed imports and names, no dunder or private attributes",
            f"contract: stage {draft.stage}, signature {draft.name}{draft.signature}, manual with When:",
            f"sandbox: {decisions} sample {self.task.name} decisions in a separate process "
            f"(limits {self.limits.seconds:g} s, {self.limits.memory_mb} MiB); results accepted, actions legal",
        )
        return Verdict(draft.name, draft.stage, (), spec.model_copy(update={"verification": Verification(status="verified", checks=checks)}))
