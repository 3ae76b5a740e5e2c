"""A real OpenAI-compatible HTTP server on localhost (fastapi + uvicorn in a thread), standing in
for the paid remote teacher: it answers /v1/chat/completions from canned replies per stage and
records every request body. The client under test is the real ``openai`` client."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest
from helpers import LocalServer, chat_app, start_server

STAGE = re.compile(r'for stage "(\w+)"')


@dataclass
class ScriptedTeacher:
    url: str
    replies: dict[str, list[str]] = field(default_factory=dict)  # stage -> replies, served in order
    requests: list[dict] = field(default_factory=list)
    local: LocalServer | None = None

    def stop(self) -> None:
        self.local.stop()


def functions_reply(stage: str, *sources: str, fence: bool = False) -> str:
    """A reply in the format the teacher is asked for."""
    text = json.dumps(
        {"functions": [{"name": re.search(r"def (\w+)", s).group(1), "stage": stage, "source": s} for s in sources]},
        indent=1,
    )
    return f"Here you go:\n```json\n{text}\n```\n" if fence else text


@pytest.fixture
def teacher_server():
    scripted = ScriptedTeacher("")

    def reply(body: dict) -> str:
        scripted.requests.append(body)
        stage = STAGE.search(body["messages"][-1]["content"]).group(1)
        queue = scripted.replies.get(stage, [])
        return queue.pop(0) if queue else "I have no more ideas."

    scripted.local = start_server(chat_app(reply, "scripted-teacher"))
    scripted.url = scripted.local.url
    yield scripted
    if scripted.local.thread.is_alive():
        scripted.stop()
