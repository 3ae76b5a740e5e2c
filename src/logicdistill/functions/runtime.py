"""Where a base function runs: the execution tiers.

- **Trusted**: a function whose name and source are byte-identical to one the task ships in its
  bundled base runs in this process (restricted globals, as everywhere). Nothing a manifest says
  (``provenance.kind == "bundled"``, a status) makes a function trusted: only its source does.
- **Untrusted**: every other function (teacher-written, ``base add``, emergency functions, a
  bundled one edited on disk) runs only in a confined sandbox worker (``functions.sandbox``) on a
  plain-data snapshot of the state, under a wall-clock limit per call.

A call that times out, crashes or kills its worker is recorded and the function is quarantined
for the rest of the run (its later calls fail at once, without a worker), so one hostile function
costs one worker restart, not one per call. Every failure is returned as data, never raised: the
decision loop uses the stage's fallback and the episode goes on.

One runtime per process (``get_runtime``), started on first use and closed at exit: a run starts
each task's worker once and keeps it.
"""

from __future__ import annotations

import atexit
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from logicdistill.functions.execution import compile_source
from logicdistill.functions.sandbox.pool import Sandbox, SandboxLimits, function_key, task_reference
from logicdistill.functions.spec import FunctionSpec

Outcome = tuple[Any, "str | None"]  # (value, None) or (None, one-line error)


@dataclass
class RuntimeCounts:
    """What the sandbox did this run: reported by ``eval --json`` and in traces' summaries."""

    sandboxed_calls: int = 0
    failures: Counter = field(default_factory=Counter)  # kind -> count: error, timeout, crash, ...
    worker_restarts: int = 0
    quarantined: dict[str, str] = field(default_factory=dict)  # function name -> why

    def add(self, other: RuntimeCounts) -> None:
        """Count another process's calls too (``eval --processes``: each worker has its own runtime)."""
        self.sandboxed_calls += other.sandboxed_calls
        self.failures.update(other.failures)
        self.worker_restarts += other.worker_restarts
        self.quarantined.update(other.quarantined)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sandboxed_calls": self.sandboxed_calls,
            "failures": dict(self.failures),
            "worker_restarts": self.worker_restarts,
            "quarantined": dict(self.quarantined),
        }


class FunctionRuntime:
    """Runs base functions in their tier. ``isolate_all`` sends trusted functions to the sandbox
    too (tests and the overhead benchmark compare the two tiers on the same decisions)."""

    def __init__(self, limits: SandboxLimits = SandboxLimits(), isolate_all: bool = False):
        self.limits, self.isolate_all = limits, isolate_all
        self.pid = os.getpid()  # a forked child must not drive its parent's workers
        self.counts = RuntimeCounts()
        self._sandboxes: dict[str, Sandbox] = {}
        self._shipped: dict[str, frozenset[str]] = {}
        self._compiled: dict[str, Callable[..., Any]] = {}
        self._quarantine: dict[str, str] = {}  # function key -> why

    def close(self) -> None:
        if self.pid == os.getpid():
            for sandbox in self._sandboxes.values():
                sandbox.close()
        self._sandboxes.clear()

    def trusted(self, task: Any, spec: FunctionSpec) -> bool:
        """The function is one the task's package ships, unchanged."""
        ref = task_reference(task)
        if ref not in self._shipped:
            self._shipped[ref] = frozenset(function_key(f) for f in task.bundled_base().functions)
        return not self.isolate_all and function_key(spec) in self._shipped[ref]

    def run(
        self,
        task: Any,
        state: Any,
        unit: int,
        previous: dict,
        calls: Sequence[tuple[FunctionSpec, dict[int, dict], tuple]],
    ) -> list[Outcome]:
        """Each call ``(function, plan, args)``'s raw value on this unit's view of ``state`` with
        that plan (not yet checked against its stage), or its error; in order. The sandboxed calls
        go to the worker in one exchange."""
        outcomes: list[Outcome | None] = [None] * len(calls)
        isolated = []
        for i, (spec, plan, args) in enumerate(calls):
            if self.trusted(task, spec):
                outcomes[i] = self._run_here(task, spec, state, unit, plan, previous, args)
            elif (why := self._quarantine.get(function_key(spec))) is not None:
                outcomes[i] = (None, f"stopped earlier in this run: {why}")
            else:
                isolated.append(i)
        if isolated:
            for i, outcome in zip(
                isolated, self._run_isolated(task, state, unit, previous, [calls[i] for i in isolated])
            ):
                outcomes[i] = outcome
        return outcomes  # type: ignore[return-value]

    def _run_here(
        self, task: Any, spec: FunctionSpec, state: Any, unit: int, plan: dict, previous: dict, args: tuple
    ) -> Outcome:
        key = function_key(spec)
        if key not in self._compiled:
            self._compiled[key] = compile_source(spec.name, spec.source)
        try:
            return self._compiled[key](task.function_view(state, unit, plan, previous), *args), None
        except Exception as exc:  # noqa: BLE001 - a shipped function failing on an odd state: fall back
            return None, f"raised {type(exc).__name__}: {exc}"

    def _run_isolated(
        self, task: Any, state: Any, unit: int, previous: dict, calls: list[tuple[FunctionSpec, dict, tuple]]
    ) -> list[Outcome]:
        snapshots, index = [], {}  # one snapshot per distinct plan: calls on the same plan share it
        for _, plan, _ in calls:
            if id(plan) not in index:
                index[id(plan)] = len(snapshots)
                snapshots.append(task.snapshot(state, unit, plan, previous))
        sandbox = self._sandbox(task)
        restarts = sandbox.restarts
        results = sandbox.call(
            snapshots, [(spec, args, index[id(plan)]) for spec, plan, args in calls], task.snapshot_context(state)
        )
        self.counts.sandboxed_calls += len(calls)
        self.counts.worker_restarts += sandbox.restarts - restarts
        out = []
        for (spec, _, _), result in zip(calls, results):
            if result.error is not None:
                self.counts.failures[_failure_kind(result.error, result.fatal)] += 1
            if result.fatal:
                self._quarantine[function_key(spec)] = result.error
                self.counts.quarantined[spec.name] = result.error
            out.append((result.value, result.error))
        return out

    def _sandbox(self, task: Any) -> Sandbox:
        ref = task_reference(task)
        if ref not in self._sandboxes:
            self._sandboxes[ref] = Sandbox(ref, self.limits)
        return self._sandboxes[ref]


def _failure_kind(error: str, fatal: bool) -> str:
    if not fatal:
        return "memory" if error.startswith("ran out of memory") else "error"
    if error.startswith("did not finish"):
        return "timeout"
    return "crash" if "worker" in error else "bad_reply"


_runtime: FunctionRuntime | None = None


def get_runtime() -> FunctionRuntime:
    """This process's runtime, made on first use (and anew in a forked child)."""
    global _runtime
    if _runtime is None or _runtime.pid != os.getpid():
        _runtime = FunctionRuntime()
    return _runtime


def configure_runtime(limits: SandboxLimits = SandboxLimits(), isolate_all: bool = False) -> FunctionRuntime:
    """Replace this process's runtime (closing the old one's workers), e.g. with the CLI's limits."""
    global _runtime
    if _runtime is not None:
        _runtime.close()
    _runtime = FunctionRuntime(limits, isolate_all)
    return _runtime


@atexit.register
def _close_at_exit() -> None:
    if _runtime is not None:
        _runtime.close()
