"""Verification of untrusted functions: static checks, then dynamic checks in the sandbox
(``functions.sandbox``, the same confined workers that run untrusted functions in play).

A function is admitted only if it passes both; the admitted ``FunctionSpec`` records
``Verification(status="verified", checks=...)``. Reasons and checks are deterministic (no
timings, no addresses), so a replayed teacher build reproduces them exactly.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from logicdistill.errors import FunctionError
from logicdistill.functions.base import FunctionBase
from logicdistill.functions.runtime import FunctionRuntime
from logicdistill.functions.sandbox import SandboxLimits
from logicdistill.functions.spec import FunctionSpec, Provenance, Verification
from logicdistill.functions.verification.samples import Sample, SampleSet
from logicdistill.functions.verification.static import Draft, parse_source

if TYPE_CHECKING:  # the task API builds on this package; only type hints look back at it
    from logicdistill.tasks.api import Task

MAX_REASON_CHARS = 300
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # object addresses differ per run; reasons must not


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
            out += (
                [f"{v.name}: admitted ({v.stage})"] if v.admitted else [f"{v.name}: rejected: {r}" for r in v.reasons]
            )
        return out


@dataclass(frozen=True)
class Limits:
    """What verification may spend; the sandbox's own limits apply to every call."""

    sandbox: SandboxLimits = SandboxLimits()
    function_s: float = 10.0  # one function over all its sample decisions
    source_s: float = 60.0  # every function of one source (a `base add` file, a teacher reply)


@dataclass
class Verifier:
    """Verifies sources for one task against a reference base, whose first function per stage
    plays the other stages (the context a function is tested in). The function under test runs
    only in the sandbox, on the task's sample decisions. Holds a sandbox worker; close it, or use
    as a context manager."""

    task: Task
    reference: FunctionBase
    limits: Limits = Limits()
    samples: SampleSet | None = None  # default: the task's own (``Task.verification_samples``)

    def __post_init__(self) -> None:
        self.samples = self.samples or self.task.verification_samples()
        self.stages = {s.name: s for s in self.task.stages}
        self.defaults = {s: fns[0] for s in self.stages if (fns := self.reference.by_stage(s))}
        self.runtime = FunctionRuntime(self.limits.sandbox)

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.runtime.close()

    def verify(
        self,
        text: str,
        provenance: Provenance,
        origin: str = "<source>",
        stage: str | None = None,
        taken: frozenset[str] | set[str] = frozenset(),
    ) -> Report:
        """Check every function in ``text``; names in ``taken`` (already in the base) are rejected."""
        parsed = parse_source(text, self.stages, stage)
        verdicts, seen = [], set(taken)
        deadline = time.monotonic() + self.limits.source_s
        for draft in parsed.drafts:
            reasons = list(draft.reasons)
            if draft.name in seen:
                where = "in the base" if draft.name in taken else "earlier in this source"
                reasons.insert(0, f"a function named {draft.name!r} already exists {where}; choose another name")
            seen.add(draft.name)
            if not reasons and time.monotonic() > deadline:
                reasons.append(f"not checked: the source's verification budget of {self.limits.source_s:g} s ran out")
            verdicts.append(
                self._dynamic(draft, provenance, deadline)
                if not reasons
                else Verdict(draft.name, draft.stage, tuple(reasons), None)
            )
        return Report(origin, tuple(parsed.problems), tuple(verdicts))

    def _dynamic(self, draft: Draft, provenance: Provenance, deadline: float) -> Verdict:
        spec = FunctionSpec(
            name=draft.name,
            stage=draft.stage,
            signature=draft.signature,
            manual=draft.manual,
            source=draft.source,
            provenance=provenance,
            verification=Verification(status="unverified"),
        )
        problem = self._problem(spec, min(deadline, time.monotonic() + self.limits.function_s))
        if problem:
            return Verdict(draft.name, draft.stage, (_clean(problem),), None)
        decisions = sum(len(self.task.units(s.state)) for s in self.samples.samples)
        sandbox = self.limits.sandbox
        checks = (
            "static: syntax, allowed imports and names, no dunder or private attributes",
            f"contract: stage {draft.stage}, signature {draft.name}{draft.signature}, manual with When:",
            f"sandbox: {decisions} sample {self.task.name} decisions in a confined worker process "
            f"(limits {sandbox.call_ms} ms a call, {sandbox.memory_mb} MiB); results accepted, actions legal",
        )
        admitted = spec.model_copy(update={"verification": Verification(status="verified", checks=checks)})
        return Verdict(draft.name, draft.stage, (), admitted)

    def _problem(self, spec: FunctionSpec, deadline: float) -> str | None:
        """The first problem of ``spec`` over the samples, in one line, or None."""
        for sample in self.samples.samples:
            if time.monotonic() > deadline:
                return f"did not finish its sample decisions within its verification budget (at {sample.label})"
            try:
                problem, unit = self._decide(spec, sample)
            except Exception as exc:  # noqa: BLE001 - e.g. a result that breaks the task's own code
                problem, unit = f"broke the decision: {type(exc).__name__}: {exc}", None
            if problem:
                return f"{problem} (on {sample.label}" + ("" if unit is None else f", unit {unit}") + ")"
        return None

    def _decide(self, spec: FunctionSpec, sample: Sample) -> tuple[str | None, int | None]:
        """One decision of every unit in ``sample``, stage-major like the agent loop: the first
        problem and the unit it arose for. Other stages run their defaults (trusted, in process)."""
        task, state = self.task, sample.state
        plan: dict[int, dict[str, Any]] = {u: {} for u in task.units(state)}
        for stage in task.stages:
            mine = stage.name == spec.stage
            who = "" if mine else f"the default of stage {stage.name}, run on this function's result, "
            runner = spec if mine else self.defaults.get(stage.name)
            for u in plan:
                if runner is None:
                    plan[u][stage.result] = task.fallback(stage, state, u, plan[u])
                    continue
                args = tuple(plan[u][p] for p in stage.params[1:])
                ((value, error),) = self.runtime.run(task, state, u, sample.memory.get(u, {}), [(runner, plan, args)])
                if error is not None:
                    return f"{who}{error}", u
                try:
                    plan[u][stage.result] = task.check_result(stage, value, state, u)
                except Exception as exc:  # noqa: BLE001 - FunctionError, or a result the check itself chokes on
                    detail = str(exc) if isinstance(exc, FunctionError) else f"{type(exc).__name__}: {exc}"
                    return f"{who}returned a result stage {stage.name} cannot use: {detail}", u
        action = task.to_action(state, plan)
        if not self.samples.is_legal(state, action):
            return f"leads to an illegal action {action!r}", None
        return None, None


def _clean(text: str) -> str:
    """One deterministic line: no addresses, no newlines, bounded length."""
    text = " ".join(ADDRESS.sub("", text).split())
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 3] + "..."
