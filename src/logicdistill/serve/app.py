"""The student behind an OpenAI-compatible HTTP API, plus ``/v1/select`` for LD selection.

One request uses the model at a time (a lock): generation and scoring are compute-bound, so on a
CPU concurrent requests would only share the cores and each be slower, and a shared prefix cache
is not safe under concurrent writes. Errors use OpenAI's body ``{"error": {"message", "type",
"param", "code"}}`` so the ``openai`` client reports the server's reason.
"""

from __future__ import annotations

import threading
import time
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from logicdistill.serve.chat import PromptTooLong, complete
from logicdistill.serve.schemas import (ChatChoice, ChatMessage, ChatRequest, ChatResponse, ModelCard, ModelList,
                                        SelectRequest, SelectResponse, Usage)
from logicdistill.serve.select import select
from logicdistill.student.model import Student


class APIError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.param, self.code = status, message, kind, param, code


def create_app(student: Student, model_id: str, max_tokens: int = 1024) -> FastAPI:
    """``max_tokens`` caps every reply's length (a request may ask for less), so one request
    cannot hold the model for minutes."""
    app = FastAPI(title=f"logicdistill student {model_id}")
    lock, created = threading.Lock(), int(time.time())

    def check_model(name: str | None) -> None:
        if name is not None and name != model_id:
            raise APIError(404, f"model {name!r} is not served here; this server serves {model_id!r}",
                           param="model", code="model_not_found")

    @app.get("/v1/models")
    def models() -> ModelList:
        return ModelList(data=[ModelCard(id=model_id, created=created)])

    @app.post("/v1/chat/completions")
    def chat(request: ChatRequest) -> ChatResponse:
        check_model(request.model)
        try:
            with lock:
                done = complete(student, request, max_tokens)
        except PromptTooLong as exc:
            raise APIError(400, str(exc), param="messages", code="context_length_exceeded") from None
        return ChatResponse(
            id=f"chatcmpl-{uuid.uuid4().hex}", created=int(time.time()), model=model_id,
            choices=[ChatChoice(message=ChatMessage(role="assistant", content=done.text),
                                finish_reason=done.finish_reason)],
            usage=Usage(prompt_tokens=done.prompt_tokens, completion_tokens=done.completion_tokens,
                        total_tokens=done.prompt_tokens + done.completion_tokens),
        )

    @app.post("/v1/select")
    def select_function(request: SelectRequest) -> SelectResponse:
        check_model(request.model)
        with lock:
            chosen, probabilities, n_prompt = select(student, request)
        return SelectResponse(model=model_id, selected=chosen, probabilities=probabilities, prompt_tokens=n_prompt)

    @app.exception_handler(APIError)
    def api_error(_: Request, exc: APIError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.kind, exc.param, exc.code)

    @app.exception_handler(RequestValidationError)
    def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        """400 with every problem in one line, as OpenAI answers a malformed body (not 422)."""
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()]
        first = exc.errors()[0]["loc"][1:] if exc.errors() else ()
        return _error(400, "; ".join(problems), param=".".join(map(str, first)) or None)

    return app


def _error(status: int, message: str, kind: str = "invalid_request_error", param: str | None = None,
           code: str | None = None) -> JSONResponse:
    return JSONResponse(status_code=status,
                        content={"error": {"message": message, "type": kind, "param": param, "code": code}})
