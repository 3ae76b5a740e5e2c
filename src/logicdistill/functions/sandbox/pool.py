"""The parent side of the sandbox: a persistent worker process per task, started on first use and
replaced whenever a call kills it, hangs it or answers with anything but plain data.

A call's outcome is data, never an exception: the function's value, or one line saying what went
wrong, and ``fatal`` when the worker had to be replaced (the caller quarantines that function).
Only a worker that cannot start or cannot build the task's view is an error (``SandboxError``):
that is a broken installation or a task bug, not an untrusted function.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from logicdistill.errors import LogicDistillError
from logicdistill.functions import plain
from logicdistill.functions.sandbox.frames import HEADER, pack, write_all
from logicdistill.functions.spec import FunctionSpec
from logicdistill.plugins import reference_of

# Contexts a worker is taken to have prepared, most recently used: a task's view_from_snapshot must
# keep at least this many prepared (pursuit keeps 16 maps), or a function would pay for a new one.
PREPARED_CONTEXTS = 8


@dataclass(frozen=True)
class SandboxLimits:
    """Limits on untrusted functions; the defaults are written here once."""

    call_ms: int = field(default=250, metadata={"help": "wall-clock limit of one function call, in ms"})
    memory_mb: int = field(default=512, metadata={"help": "memory a worker may use beyond its imports, in MiB"})
    cpu_seconds: int = field(default=3600, metadata={"help": "CPU seconds a worker may use in its life"})
    prepare_s: float = field(
        default=30.0,
        metadata={
            "help": "limit on the task's own preparation of a view (e.g. a map's distances), not charged to functions"
        },
    )
    startup_s: float = field(default=60.0, metadata={"help": "limit on a worker's start (imports on a busy machine)"})
    reply_bytes: int = field(default=1 << 20, metadata={"help": "largest reply a worker may send, in bytes"})


class SandboxError(LogicDistillError):
    """The sandbox itself failed (cannot start, cannot confine, cannot build a view)."""


@dataclass
class CallOutcome:
    value: Any = None
    error: str | None = None  # one line; None when the function returned a plain value
    fatal: bool = False  # the worker was killed or replaced because of this call


def function_key(spec: FunctionSpec) -> str:
    """Workers cache compiled functions by this: the same name and source compile the same."""
    return hashlib.sha256(f"{spec.name}\0{spec.source}".encode()).hexdigest()[:24]


def task_reference(task: Any) -> str:
    """The reference of a task's class (``module:QualifiedName``, or ``/abs/path/file.py:Name`` for
    a task loaded from a file): what a worker loads to rebuild views."""
    return reference_of(type(task))


class SandboxWorker:
    """One confined process and the functions it has compiled."""

    def __init__(self, task_ref: str, limits: SandboxLimits):
        self.limits = limits
        self.loaded: set[str] = set()  # keys of the functions compiled in this process
        self.prepared: OrderedDict[Hashable, None] = OrderedDict()  # contexts, least recently used first
        env = {
            "PYTHONHASHSEED": "0",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }  # fixed hash seed: set order, hence results, repeat exactly
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-s",
                "-m",
                "logicdistill.functions.sandbox.worker",
                task_ref,
                str(limits.memory_mb),
                str(limits.cpu_seconds),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd="/",
            close_fds=True,
            start_new_session=True,  # a Ctrl-C at the terminal reaches the parent only
        )
        started = self.receive(limits.startup_s)
        if not isinstance(started, dict) or not started.get("started"):
            code = self.kill()
            raise SandboxError(
                f"the sandbox worker for {task_ref} did not start (exit status {code}); untrusted functions "
                f"cannot run. Check with: {sys.executable} -m logicdistill.functions.sandbox.worker {task_ref} "
                f"{limits.memory_mb} {limits.cpu_seconds}"
            )

    def send(self, message: dict[str, Any]) -> bool:
        try:
            write_all(self.proc.stdin.fileno(), pack(message))
            return True
        except OSError:  # the worker is gone
            return False

    def receive(self, seconds: float) -> dict[str, Any] | str:
        """The next message, or why there is none: ``timeout``, ``exit`` or ``garbage``."""
        fd, deadline = self.proc.stdout.fileno(), time.monotonic() + seconds
        header = self._read(fd, HEADER.size, deadline)
        if isinstance(header, str):
            return header
        size = HEADER.unpack(header)[0]
        if size > self.limits.reply_bytes:
            return "garbage"
        payload = self._read(fd, size, deadline)
        if isinstance(payload, str):
            return payload
        try:
            message = json.loads(payload.decode("utf-8"))
        except (ValueError, RecursionError):
            return "garbage"
        return message if isinstance(message, dict) else "garbage"

    @staticmethod
    def _read(fd: int, size: int, deadline: float) -> bytes | str:
        data = b""
        while len(data) < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return "timeout"
            chunk = os.read(fd, size - len(data))
            if not chunk:
                return "exit"
            data += chunk
        return data

    def kill(self) -> int | None:
        """Stop the process for good; its exit status (negative: the signal that ended it)."""
        if self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            stream.close()
        return code

    def exit_reason(self) -> str:
        code = self.proc.wait()
        if code < 0:
            try:
                return f"killed its sandbox worker ({signal.Signals(-code).name})"
            except ValueError:
                return f"killed its sandbox worker (signal {-code})"
        return f"ended its sandbox worker (exit status {code})"


class Sandbox:
    """Runs untrusted functions of one task in a persistent, confined worker process."""

    def __init__(self, task_ref: str, limits: SandboxLimits = SandboxLimits()):
        self.task_ref, self.limits = task_ref, limits
        self.worker: SandboxWorker | None = None
        self.restarts = 0  # workers replaced after a fatal call

    def close(self) -> None:
        if self.worker is not None:
            self.worker.kill()
            self.worker = None

    def call(
        self, snapshots: list[Any], calls: list[tuple[FunctionSpec, tuple, int]], context: Hashable | None = None
    ) -> list[CallOutcome]:
        """Run each ``(function, args, i)`` on a fresh view of ``snapshots[i]``, in order, in one
        exchange with the worker. ``context`` names the part the snapshots share whose preparation
        is slow (``Task.snapshot_context``)."""
        encoded = [plain.encode(snapshot) for snapshot in snapshots]
        outcomes: list[CallOutcome | None] = [None] * len(calls)
        pending = list(range(len(calls)))
        while pending:
            pending = self._round(encoded, context, calls, pending, outcomes)
        return outcomes  # type: ignore[return-value]

    def _round(
        self,
        snapshots: list[Any],
        context: Hashable | None,
        calls: list[tuple[FunctionSpec, tuple, int]],
        pending: list[int],
        outcomes: list[CallOutcome | None],
    ) -> list[int]:
        """Run ``pending`` calls on one worker until they are done or one of them kills it; the
        calls still to run."""
        worker = self._worker()
        pending = self._load(worker, calls, pending, outcomes)
        if not pending:
            return []
        jobs = [[function_key(calls[i][0]), plain.encode(list(calls[i][1])), calls[i][2]] for i in pending]
        prepare = context is not None and context not in worker.prepared
        if not worker.send({"op": "call", "snapshots": snapshots, "prepare": prepare, "calls": jobs}):
            return self._fatal(pending, outcomes, worker.exit_reason())
        if prepare:
            ready = worker.receive(self.limits.prepare_s)
            if not (isinstance(ready, dict) and ready.get("ready")):
                fresh = not worker.prepared
                self.close()  # an earlier function may have wrecked this worker's copy of the task
                if fresh:  # a new worker cannot either: the task's own code fails
                    detail = ready.get("error") if isinstance(ready, dict) else ready
                    raise SandboxError(f"the sandbox could not build the {self.task_ref} view: {detail}")
                return pending  # again, on a fresh worker
        if context is not None:
            worker.prepared[context] = None
            worker.prepared.move_to_end(context)
            if len(worker.prepared) > PREPARED_CONTEXTS:
                worker.prepared.popitem(last=False)
        for n, i in enumerate(pending):
            message = worker.receive(self.limits.call_ms / 1000)
            if isinstance(message, dict) and "error" in message and isinstance(message["error"], str):
                outcomes[i] = CallOutcome(error=message["error"][:500])
            elif isinstance(message, dict) and "value" in message:
                try:
                    outcomes[i] = CallOutcome(value=plain.decode(message["value"]))
                except plain.PlainDataError as exc:
                    return self._fatal(pending[n:], outcomes, f"sent a reply that is not plain data ({exc})")
            else:
                reason = {
                    "timeout": f"did not finish within {self.limits.call_ms} ms (endless loop or far too slow)",
                    "garbage": "sent a reply that is not plain data",
                }.get(message) or worker.exit_reason()
                return self._fatal(pending[n:], outcomes, reason)
        return []

    def _load(self, worker: SandboxWorker, calls, pending: list[int], outcomes) -> list[int]:
        """Compile the functions the worker lacks; calls of functions that do not compile are
        answered with the reason and dropped."""
        for i in pending:
            spec = calls[i][0]
            key = function_key(spec)
            if key in worker.loaded:
                continue
            worker.send({"op": "load", "key": key, "name": spec.name, "source": spec.source})
            answer = worker.receive(self.limits.startup_s)
            if isinstance(answer, dict) and answer.get("ok"):
                worker.loaded.add(key)
            elif isinstance(answer, dict) and isinstance(answer.get("error"), str):
                outcomes[i] = CallOutcome(error=answer["error"][:500])
            else:
                self._replace()
                outcomes[i] = CallOutcome(error="broke its sandbox worker while compiling", fatal=True)
                return [j for j in pending if outcomes[j] is None and j != i]
        return [i for i in pending if outcomes[i] is None]

    def _fatal(self, rest: list[int], outcomes: list[CallOutcome | None], reason: str) -> list[int]:
        """The first of ``rest`` broke the worker: record it, replace the worker, run the others."""
        self._replace()
        outcomes[rest[0]] = CallOutcome(error=reason, fatal=True)
        return rest[1:]

    def _worker(self) -> SandboxWorker:
        if self.worker is None:
            self.worker = SandboxWorker(self.task_ref, self.limits)
        return self.worker

    def _replace(self) -> None:
        self.close()
        self.restarts += 1
