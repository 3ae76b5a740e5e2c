"""A sandbox worker: runs untrusted functions on plain-data snapshots, confined by ``policy``.

Started by ``pool.SandboxWorker`` as ``python -s -m logicdistill.functions.sandbox.worker
TASK_REF MEMORY_MB CPU_SECONDS``. It loads the task's class by reference, from a module or a
file (``plugins.load_object``; trusted code: it rebuilds a function's view from a snapshot) and
the modules functions may import, confines itself, says ``started`` and then answers its
parent's messages on stdin/stdout (``frames``):

- ``{"op": "load", "key": K, "name": N, "source": S}`` compiles one function (restricted globals,
  kept as defence in depth) and answers ``{"ok": true}`` or ``{"error": ...}``;
- ``{"op": "call", "snapshots": [X, ...], "prepare": P, "calls": [[K, ARGS, I], ...]}`` answers
  one ``{"value": V}`` or ``{"error": ...}`` per call, in order, call ``[K, ARGS, I]`` running
  function K on snapshot I. Every call gets a fresh view decoded from its snapshot, as in the main
  process. The snapshots share one context (see below). With ``prepare`` it first builds one view and answers
  ``{"ready": true}``: the parent asks for that when the snapshot's context (a pursuit map) is new
  to this worker, so that the task's own slow preparation (the map's distances) is not charged to
  any function's time limit.

Values are ``plain`` data both ways. The worker never writes anywhere but its stdout.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from logicdistill.functions import plain
from logicdistill.functions.execution import ALLOWED_MODULES, compile_source
from logicdistill.functions.sandbox.frames import HEADER, pack, read_exact, write_all
from logicdistill.functions.sandbox.policy import confine
from logicdistill.plugins import load_object

MAX_ERROR_CHARS = 300


def load_view_factory(task_ref: str) -> Callable[[Any], Any]:
    """A task class's reference (``module:QualifiedName`` or ``path/to/file.py:QualifiedName``) ->
    its ``view_from_snapshot``. Called before confinement: a task file can only be opened then."""
    return load_object(task_ref).view_from_snapshot


def describe(exc: BaseException, memory_mb: int) -> str:
    if isinstance(exc, MemoryError):
        return f"ran out of memory (the sandbox allows {memory_mb} MiB)"
    if isinstance(exc, RecursionError):
        return "recursed too deep"
    try:
        text = f"raised {type(exc).__name__}: {exc}"
    except BaseException:  # noqa: BLE001 - an exception whose __str__ raises
        text = f"raised {type(exc).__name__}"
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


class Worker:
    def __init__(self, view_factory: Callable[[Any], Any], memory_mb: int):
        self.view_factory, self.memory_mb = view_factory, memory_mb
        self.functions: dict[str, Callable[..., Any]] = {}

    def handle(self, message: dict[str, Any]) -> None:
        if message.get("op") == "load":
            self.load(message)
        elif message.get("op") == "call":
            self.call(message)
        else:
            reply({"error": f"unknown op {message.get('op')!r}"})

    def load(self, message: dict[str, Any]) -> None:
        try:
            self.functions[message["key"]] = compile_source(message["name"], message["source"])
        except BaseException as exc:  # noqa: BLE001 - untrusted source: report, keep serving
            reply({"error": describe(exc, self.memory_mb)})
            return
        reply({"ok": True})

    def call(self, message: dict[str, Any]) -> None:
        snapshots = message["snapshots"]
        if message.get("prepare"):
            try:
                self.view_factory(plain.decode(snapshots[0]))
            except BaseException as exc:  # noqa: BLE001 - the parent names this a task bug
                reply({"error": f"the task's view could not be built: {describe(exc, self.memory_mb)}"})
                return
            reply({"ready": True})
        for key, args, index in message["calls"]:
            reply(self.run(key, snapshots[index], args))

    def run(self, key: str, snapshot: Any, args: Any) -> dict[str, Any]:
        """One call on a fresh view, decoded afresh: what one function does to its view, the next
        does not see (as in the main process, where every call gets a new view)."""
        try:
            fn = self.functions[key]
            value = fn(self.view_factory(plain.decode(snapshot)), *plain.decode(args))
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
            return {"error": describe(exc, self.memory_mb)}
        try:
            return {"value": plain.encode(value)}
        except plain.PlainDataError as exc:
            return {"error": f"returned {exc}"}
        except BaseException as exc:  # noqa: BLE001 - e.g. a dict whose keys raise on hashing
            return {"error": f"returned a value that could not be read: {describe(exc, self.memory_mb)}"}


def reply(message: dict[str, Any]) -> None:
    write_all(1, pack(message))


def main() -> None:
    task_ref, memory_mb, cpu_seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    # Python's own streams go to /dev/null (fd 2): a print cannot corrupt the replies on fd 1.
    sys.stdout = sys.stderr = os.fdopen(2, "w", encoding="utf-8", closefd=False)
    view_factory = load_view_factory(task_ref)
    for module in ALLOWED_MODULES:  # functions import these after confinement, when nothing can be opened
        importlib.import_module(module)
    confine(memory_mb, cpu_seconds)
    worker = Worker(view_factory, memory_mb)
    reply({"started": True})
    while (header := read_exact(0, HEADER.size)) is not None:
        payload = read_exact(0, HEADER.unpack(header)[0])
        if payload is None:
            break
        worker.handle(json.loads(payload))


if __name__ == "__main__":
    main()
