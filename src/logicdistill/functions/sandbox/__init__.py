"""OS-isolated execution of untrusted functions: confined worker processes (``policy``,
``worker``) driven by the parent (``pool``), exchanging only plain data (``functions.plain``)."""

from logicdistill.functions.sandbox.pool import CallOutcome, Sandbox, SandboxError, SandboxLimits, task_reference

__all__ = ["CallOutcome", "Sandbox", "SandboxError", "SandboxLimits", "task_reference"]
