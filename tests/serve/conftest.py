"""The real student server on a free localhost port, in a thread, with the bundled 135M student
loaded once per module in float32 (the reference precision, so served and in-process numbers
can be compared) on one thread (a shared 2-core machine)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch
from helpers import LocalServer, start_server

from logicdistill.serve import create_app
from logicdistill.student import load_student
from logicdistill.student.model import DEFAULT_NAME, Student


@dataclass
class Served:
    student: Student
    model_id: str
    local: LocalServer

    @property
    def url(self) -> str:  # the OpenAI base URL, ending in /v1
        return self.local.url

    def stop(self) -> None:
        self.local.stop()


@pytest.fixture(scope="module")
def student():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield load_student(device="cpu", dtype="float32")
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def served(student, request):
    """``max_tokens`` (a module attribute, default 24) caps every reply, keeping CPU tests short."""
    app = create_app(student, DEFAULT_NAME, max_tokens=getattr(request.module, "MAX_TOKENS", 24))
    handle = Served(student, DEFAULT_NAME, start_server(app))
    yield handle
    handle.stop()
