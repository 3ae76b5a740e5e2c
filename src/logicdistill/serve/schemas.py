"""Request and response bodies of the student server.

The chat schemas follow OpenAI's chat completions API (the subset a non-streaming client uses),
so the official ``openai`` client, our teacher client and the ``llm`` evader talk to the server
unchanged. Unknown request fields are ignored, as OpenAI-compatible servers do; fields we accept
but cannot honour (``stream``, ``n`` > 1, a ``response_format`` whose answers cannot be listed:
``structured.py``) are refused with a 400 rather than silently dropped.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str | list[TextPart]

    def text(self) -> str:
        return self.content if isinstance(self.content, str) else "".join(p.text for p in self.content)


class TextFormat(BaseModel):
    type: Literal["text"]


class JsonObjectFormat(BaseModel):
    type: Literal["json_object"]


class JsonSchema(BaseModel):
    name: str
    description: str | None = None
    # "schema" as sent; the attribute has another name because pydantic's BaseModel has a ``schema``
    schema_: dict[str, Any] | bool | None = Field(default=None, alias="schema")
    strict: bool | None = None  # the server enforces every schema it accepts, strict or not


class JsonSchemaFormat(BaseModel):
    type: Literal["json_schema"]
    json_schema: JsonSchema


ResponseFormat = Annotated[TextFormat | JsonObjectFormat | JsonSchemaFormat, Field(discriminator="type")]


class ChatRequest(BaseModel):
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)  # the newer name of max_tokens
    temperature: float | None = Field(default=None, ge=0, le=2)  # None or 0: greedy
    top_p: float | None = Field(default=None, gt=0, le=1)
    stop: str | list[str] | None = None
    response_format: ResponseFormat | None = None
    n: Literal[1] = 1
    stream: Literal[False] = False

    def stop_list(self) -> list[str]:
        """The stop strings as given: one string or a list (what the server's limits count)."""
        return [self.stop] if isinstance(self.stop, str) else list(self.stop or [])

    def stops(self) -> list[str]:
        """The stop strings that can stop anything (an empty one cannot)."""
        return [s for s in self.stop_list() if s]

    def token_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens


class ChatChoice(BaseModel):
    index: int = 0
    message: ChatMessage
    finish_reason: Literal["stop", "length"]


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatResponse(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "logicdistill"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class Candidate(BaseModel):
    name: str = Field(min_length=1)
    manual: str  # the manual's text, as FunctionSpec.manual.text() gives it
    preview: str | None = None  # what the function would return now, in a few words


class SelectRequest(BaseModel):
    """One stage decision, in the fields the LD agent builds its prompt from. The stage is given
    either as the loop's line (``Stage NAME: DESCRIPTION``) or as its name and description."""

    model: str | None = None
    instruction: str
    stage_line: str | None = None
    stage: str | None = None
    stage_description: str | None = None
    state_text: str
    candidates: list[Candidate] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> SelectRequest:
        if (self.stage_line is None) == (self.stage is None):
            raise ValueError("give either stage_line or stage (with stage_description)")
        if self.stage is not None and self.stage_description is None:
            raise ValueError("stage needs stage_description")
        names = [c.name for c in self.candidates]
        if len(set(names)) != len(names):
            raise ValueError(f"candidate names must be unique, got {names}")
        if len({c.preview is None for c in self.candidates}) > 1:
            raise ValueError("give a preview for every candidate or for none")
        return self

    def line(self) -> str:
        """The stage line exactly as ``agent.loop.stage_line`` writes it."""
        return self.stage_line if self.stage_line is not None else f"Stage {self.stage}: {self.stage_description}"


class SelectResponse(BaseModel):
    model: str
    selected: str
    probabilities: dict[str, float]  # every candidate, in the order given
    prompt_tokens: int
