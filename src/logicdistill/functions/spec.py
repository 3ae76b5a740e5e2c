"""What a function in the base is: its source plus everything derived from it (name, stage,
signature, manual) and where it came from. These are the on-disk schema, validated by pydantic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class Stage:
    """One decision stage of a task: functions of this stage take ``params`` and return ``result``."""

    name: str
    params: tuple[str, ...]  # "state" followed by earlier stages' result names
    result: str  # the name later stages use for this stage's output
    returns: str  # what the output is, in words, for manuals and prompts
    description: str  # what is decided at this stage


class Manual(BaseModel):
    """The user manual: what the function does, and when it is the right choice."""

    model_config = ConfigDict(frozen=True)
    what: str
    when: str

    def text(self) -> str:
        return f"{self.what} When to use: {self.when}"


class Provenance(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["bundled", "teacher", "human", "reference"]
    model: str | None = None  # the teacher model id, for kind == "teacher"
    note: str | None = None


class Verification(BaseModel):
    model_config = ConfigDict(frozen=True)
    status: Literal["trusted", "verified", "unverified", "rejected"]
    checks: tuple[str, ...] = ()


class FunctionSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    stage: str
    signature: str  # e.g. "(state, target)"
    manual: Manual
    source: str
    provenance: Provenance
    verification: Verification

    def listing(self) -> str:
        """One line for candidate listings: the name and the manual."""
        return f"{self.name}{self.signature}: {self.manual.text()}"
