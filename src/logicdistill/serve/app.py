"""The student behind an OpenAI-compatible HTTP API, plus ``/v1/select`` for LD selection.

One request uses the model at a time (a lock): generation and scoring are compute-bound, so on a
CPU concurrent requests would only share the cores and each be slower, and a shared prefix cache
is not safe under concurrent writes. Each request is checked against ``ServeLimits`` before it
takes the lock (``plan_chat``, ``plan_select``), so a refused one neither waits for the model nor
delays the others. Errors use OpenAI's body ``{"error": {"message", "type", "param", "code"}}``
(``errors.py``) so the ``openai`` client reports the server's reason.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid

from fastapi import FastAPI

from logicdistill.serve.body import BodyLimit
from logicdistill.serve.chat import complete, plan_chat
from logicdistill.serve.errors import APIError, install_error_handlers
from logicdistill.serve.limits import ServeLimits
from logicdistill.serve.schemas import (
    ChatChoice,
    ChatMessage,
    ChatRequest,
    ChatResponse,
    ModelCard,
    ModelList,
    SelectRequest,
    SelectResponse,
    Usage,
)
from logicdistill.serve.select import plan_select, select
from logicdistill.student.model import Student


def create_app(
    student: Student, model_id: str, max_tokens: int | None = None, limits: ServeLimits | None = None
) -> FastAPI:
    """``limits`` (default ``ServeLimits()``) bound what one request may ask; ``max_tokens``, where
    given, replaces its ``max_tokens`` (the cap on every reply, the CLI's ``--max-tokens``)."""
    limits = limits or ServeLimits()
    if max_tokens is not None:
        limits = dataclasses.replace(limits, max_tokens=max_tokens)
    app = FastAPI(title=f"logicdistill student {model_id}")
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    install_error_handlers(app)
    lock, created = threading.Lock(), int(time.time())

    def check_model(name: str | None) -> None:
        if name is not None and name != model_id:
            raise APIError(
                404,
                f"model {name!r} is not served here; this server serves {model_id!r}",
                param="model",
                code="model_not_found",
            )

    @app.get("/v1/models")
    def models() -> ModelList:
        return ModelList(data=[ModelCard(id=model_id, created=created)])

    @app.post("/v1/chat/completions")
    def chat(request: ChatRequest) -> ChatResponse:
        check_model(request.model)
        plan = plan_chat(student, request, limits)  # refuses over-limit requests, before the lock
        with lock:
            done = complete(student, request, plan)
        return ChatResponse(
            id=f"chatcmpl-{uuid.uuid4().hex}",
            created=int(time.time()),
            model=model_id,
            choices=[
                ChatChoice(message=ChatMessage(role="assistant", content=done.text), finish_reason=done.finish_reason)
            ],
            usage=Usage(
                prompt_tokens=done.prompt_tokens,
                completion_tokens=done.completion_tokens,
                total_tokens=done.prompt_tokens + done.completion_tokens,
            ),
        )

    @app.post("/v1/select")
    def select_function(request: SelectRequest) -> SelectResponse:
        check_model(request.model)
        plan = plan_select(student, request, limits)  # refuses over-limit requests, before the lock
        with lock:
            chosen, probabilities = select(student, plan)
        return SelectResponse(
            model=model_id, selected=chosen, probabilities=probabilities, prompt_tokens=plan.prompt_tokens
        )

    return app
