"""Loading the student to serve and running the HTTP server (``logicdistill serve``)."""

from __future__ import annotations

import socket
from pathlib import Path

from logicdistill.errors import UserInputError
from logicdistill.serve.limits import ServeLimits
from logicdistill.student.model import DEFAULT_NAME, Student


def load_served_student(run: Path | None, student: str | None, dtype: str) -> tuple[Student, str]:
    """The student of a trained run (adapter merged), a model folder or id, or the bundled SmolLM2,
    with the id clients name it by: the run folder's name, the model as given, or the bundled name."""
    from logicdistill.student.model import load_student
    from logicdistill.student.runs import load_run_student

    if run is not None and student is not None:
        raise UserInputError("give --run or --student, not both (a run already names its student)")
    if run is not None:
        return load_run_student(run, dtype=dtype), Path(run).resolve().name
    return load_student(student, dtype=dtype), student or DEFAULT_NAME


def check_port(host: str, port: int) -> None:
    """Fail before the model loads, with a clear line, when the address cannot be bound."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as exc:
        raise UserInputError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); pick another --port or --host"
        ) from None


def serve(
    student: Student,
    model_id: str,
    host: str,
    port: int,
    max_tokens: int | None = None,
    limits: ServeLimits | None = None,
) -> None:
    """Serve until stopped; ``limits`` and ``max_tokens`` as ``create_app`` takes them."""
    import uvicorn

    from logicdistill.serve.app import create_app

    uvicorn.run(create_app(student, model_id, max_tokens, limits), host=host, port=port, log_level="info")
