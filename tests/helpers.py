"""Small builders shared by tests (importable because tests/conftest.py puts tests/ on sys.path)."""

import dis
import socket
import threading
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from logicdistill.functions import FunctionSpec, Manual, Provenance, Verification


def global_names(code: types.CodeType) -> set[str]:
    """Names a function (and the lambdas and comprehensions inside it) reads as globals."""
    names = {ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= global_names(const)
    return names


def make_spec(name: str, what: str, when: str, stage: str = "strategy") -> FunctionSpec:
    """A human-provenance function of the pursuit strategy shape with the given manual."""
    return FunctionSpec(
        name=name,
        stage=stage,
        signature="(state, target)",
        manual=Manual(what=what, when=when),
        source=f"def {name}(state, target):\n    return state.me\n",
        provenance=Provenance(kind="human"),
        verification=Verification(status="unverified"),
    )


@dataclass
class LocalServer:
    """A real HTTP server on a free localhost port (uvicorn in a daemon thread)."""

    url: str  # the OpenAI base URL, ending in /v1
    server: Any  # uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def free_port() -> int:
    """A localhost port nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(app: Any, timeout: float = 30.0) -> LocalServer:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + timeout
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "the local server did not start"
    return LocalServer(f"http://127.0.0.1:{port}/v1", server, thread)


def chat_app(reply: Callable[[dict], str], model_id: str) -> Any:
    """An OpenAI-compatible chat API whose every answer is ``reply(request body)``: it stands in for
    a paid remote model; clients under test talk to it with the real ``openai`` client."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/v1/models")
    def models():
        return {"object": "list", "data": [{"id": model_id, "object": "model", "created": 0, "owned_by": "test"}]}

    @app.post("/v1/chat/completions")
    def chat(body: dict):
        text = reply(body)
        return {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    return app
