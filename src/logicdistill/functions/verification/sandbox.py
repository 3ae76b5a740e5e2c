"""The parent side of the sandbox: one worker process, reused for every function of a
verification, killed when a function overruns its wall time and restarted for the next one."""

from __future__ import annotations

import json
import os
import pickle
import select
import subprocess
import sys
import time
from dataclasses import dataclass

from logicdistill.errors import LogicDistillError
from logicdistill.functions.verification.worker import HEADER, Job

STARTUP_SECONDS = 60.0  # importing the tasks on a loaded machine; not charged to any function


@dataclass(frozen=True)
class Limits:
    seconds: float = 2.0  # wall time for one function over all its sample decisions
    memory_mb: int = 512  # address space a function may use beyond the worker's own


class SandboxError(LogicDistillError):
    """The worker could not be started: a broken installation, not an untrusted function."""


class Sandbox:
    """Use as a context manager; ``problem(job)`` returns a one-line problem or None."""

    def __init__(self, limits: Limits = Limits()):
        self.limits = limits
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                stream.close()
            self.proc = None

    def problem(self, job: Job) -> str | None:
        self._start()
        payload = pickle.dumps(job)
        try:
            self.proc.stdin.write(HEADER.pack(len(payload)) + payload)
            self.proc.stdin.flush()
        except BrokenPipeError:
            return self._died(job)
        line = self._read_line(self.limits.seconds)
        if line is None:
            if self.proc.poll() is None:  # still running: an endless loop or far too slow
                self.close()
                return (f"did not finish its sample decisions within {self.limits.seconds:g} s "
                        "(endless loop or far too slow); the sandbox was stopped")
            return self._died(job)
        return json.loads(line)["problem"]

    def _died(self, job: Job) -> str:
        code = self.proc.wait()
        self.close()
        return f"crashed the sandbox process (exit status {code})"

    def _start(self) -> None:
        if self.proc is not None:
            return
        env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1")  # hash seed: set order, hence results and reasons, repeat exactly
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "logicdistill.functions.verification.worker", str(self.limits.memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )
        if self._read_line(STARTUP_SECONDS) != "ready":
            code = self.proc.poll()
            self.close()
            raise SandboxError(f"the verification sandbox did not start (exit status {code}); "
                               f"try: {sys.executable} -m logicdistill.functions.verification.worker 512")

    def _read_line(self, seconds: float) -> str | None:
        """One line from the worker, or None on timeout or end of file."""
        fd, data, deadline = self.proc.stdout.fileno(), b"", time.monotonic() + seconds
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            data += chunk
        return data.decode("utf-8").strip()
