"""The sandbox process: runs untrusted functions on sample decisions under resource limits.

Started by ``sandbox.Sandbox`` as ``python -m logicdistill.functions.verification.worker MEMORY_MB``.
It imports what the jobs need, caps its own address space (``RLIMIT_AS``: MEMORY_MB above what it
uses once started), forbids writing files and starting processes, then answers jobs: a
length-prefixed pickle from the (trusted) parent on stdin, one JSON line back on a private copy of
stdout. The parent enforces the wall-time limit by killing this process.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import resource
import struct
import sys
from dataclasses import dataclass
from typing import Any

from logicdistill.errors import FunctionError, UserInputError
from logicdistill.functions.execution import compile_function
from logicdistill.functions.spec import FunctionSpec
from logicdistill.functions.verification.samples import Sample, SampleSet
from logicdistill.tasks.protocol import Task

HEADER = struct.Struct("!Q")  # payload length
CPU_SECONDS = 300  # lifetime CPU cap: an orphaned worker cannot spin forever
MAX_REASON_CHARS = 300
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # object addresses differ per run; reasons must not


@dataclass(frozen=True)
class Job:
    """Check one function: run it at its stage on every sample, other stages by their defaults."""

    task: Task
    spec: FunctionSpec
    defaults: dict[str, FunctionSpec]  # stage name -> the reference base's default (trusted)
    samples: SampleSet
    memory_mb: int  # the worker's limit, named when a function runs out of memory


def check(job: Job) -> str | None:
    """The first problem found, in one line, or None when every sample decision is legal."""
    try:
        fn = compile_function(job.spec)
    except UserInputError as exc:
        return str(exc)
    defaults = {stage: compile_function(spec) for stage, spec in job.defaults.items()}
    for sample in job.samples.samples:
        try:
            problem, unit = _decide(job, fn, defaults, sample)
        except Exception as exc:  # noqa: BLE001 - e.g. a result that breaks the task's own code
            problem, unit = f"broke the decision: {_describe(exc, job)}", None
        if problem:
            return _clean(f"{problem} (on {sample.label}" + ("" if unit is None else f", unit {unit}") + ")")
    return None


def _decide(job: Job, fn, defaults: dict, sample: Sample) -> tuple[str | None, int | None]:
    """One decision of every unit in ``sample``, stage-major like the agent loop: the first
    problem and the unit it arose for."""
    task, state = job.task, sample.state
    plan: dict[int, dict[str, Any]] = {u: {} for u in task.units(state)}
    for stage in task.stages:
        mine = stage.name == job.spec.stage
        who = "" if mine else f"the default of stage {stage.name}, run on this function's result, "
        for u in plan:
            args = [plan[u][p] for p in stage.params[1:]]
            view = task.function_view(state, u, plan, sample.memory.get(u, {}))
            try:
                if mine:
                    result = fn(view, *args)
                elif stage.name in defaults:
                    result = defaults[stage.name](view, *args)
                else:
                    result = task.fallback(stage, state, u, plan[u])
            except Exception as exc:  # noqa: BLE001 - the function is untrusted data
                return f"{who}{_describe(exc, job)}", u
            try:
                plan[u][stage.result] = task.check_result(stage, result, state, u)
            except Exception as exc:  # noqa: BLE001 - FunctionError, or a result the check itself chokes on
                detail = str(exc) if isinstance(exc, FunctionError) else f"{type(exc).__name__}: {exc}"
                return f"{who}returned a result stage {stage.name} cannot use: {detail}", u
    action = task.to_action(state, plan)
    if not job.samples.is_legal(state, action):
        return f"leads to an illegal action {action!r}", None
    return None, None


def _describe(exc: BaseException, job: Job) -> str:
    if isinstance(exc, MemoryError):
        return f"ran out of memory (the sandbox allows {job.memory_mb} MiB)"
    if isinstance(exc, RecursionError):
        return "recursed too deep"
    return f"raised {type(exc).__name__}: {exc}"


def _clean(text: str) -> str:
    """One deterministic line: no addresses, no newlines, bounded length."""
    text = " ".join(ADDRESS.sub("", text).split())
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 3] + "..."


def _limit(memory_mb: int) -> None:
    """Address space: ``memory_mb`` above the current size (Linux; elsewhere the wall-time kill is
    the only bound). No file writes, core dumps or new processes; a lifetime CPU cap."""
    limits = [(resource.RLIMIT_FSIZE, 0), (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NPROC, 0),
              (resource.RLIMIT_CPU, CPU_SECONDS)]
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            vm_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmSize:"))
        limits.append((resource.RLIMIT_AS, vm_kb * 1024 + memory_mb * 1024 * 1024))
    except (OSError, StopIteration):
        pass
    for which, value in limits:
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):  # e.g. a hard limit already lower
            pass


def _read_exact(stream, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def main() -> None:
    memory_mb = int(sys.argv[1])
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # whatever a function manages to print cannot corrupt the protocol
    os.dup2(devnull, 2)
    import logicdistill.tasks.pursuit.task  # noqa: F401 - import before the memory cap
    import logicdistill.tasks.twentyone.task  # noqa: F401

    _limit(memory_mb)
    channel.write("ready\n")
    channel.flush()
    stdin = sys.stdin.buffer
    while (header := _read_exact(stdin, HEADER.size)) is not None:
        payload = _read_exact(stdin, HEADER.unpack(header)[0])
        if payload is None:
            break
        job = pickle.loads(payload)  # noqa: S301 - written by our own parent process
        channel.write(json.dumps({"problem": check(job)}) + "\n")
        channel.flush()


if __name__ == "__main__":
    main()
