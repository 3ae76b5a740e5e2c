"""A real OpenAI-compatible HTTP server on localhost (fastapi + uvicorn in a thread), standing in
for the paid remote teacher: it answers /v1/chat/completions from canned replies per stage and
records every request body. The client under test is the real ``openai`` client."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field

import pytest
import uvicorn
from fastapi import FastAPI

STAGE = re.compile(r'for stage "(\w+)"')


@dataclass
class ScriptedTeacher:
    url: str
    replies: dict[str, list[str]] = field(default_factory=dict)  # stage -> replies, served in order
    requests: list[dict] = field(default_factory=list)
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def functions_reply(stage: str, *sources: str, fence: bool = False) -> str:
    """A reply in the format the teacher is asked for."""
    text = json.dumps({"functions": [{"name": re.search(r"def (\w+)", s).group(1), "stage": stage, "source": s}
                                     for s in sources]}, indent=1)
    return f"Here you go:\n```json\n{text}\n```\n" if fence else text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def teacher_server():
    app = FastAPI()
    port = free_port()
    scripted = ScriptedTeacher(f"http://127.0.0.1:{port}/v1")

    @app.get("/v1/models")
    def models():
        return {"object": "list", "data": [{"id": "scripted-teacher", "object": "model", "created": 0, "owned_by": "test"}]}

    @app.post("/v1/chat/completions")
    def chat(body: dict):
        scripted.requests.append(body)
        stage = STAGE.search(body["messages"][-1]["content"]).group(1)
        queue = scripted.replies.get(stage, [])
        text = queue.pop(0) if queue else "I have no more ideas."
        return {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}

    scripted.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    scripted.thread = threading.Thread(target=scripted.server.run, daemon=True)
    scripted.thread.start()
    deadline = time.time() + 20
    while not scripted.server.started and time.time() < deadline:
        time.sleep(0.05)
    yield scripted
    if scripted.thread.is_alive():
        scripted.stop()
