"""Reading functions out of a teacher's reply: the JSON object we asked for, tolerating what chat
models wrap around it (prose, ```json fences), or plain Python code when a model ignores the format."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

FENCE = re.compile(r"```[A-Za-z]*[ \t]*\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Proposal:
    name: str | None  # as the reply named it; the source's own def is what counts
    stage: str
    source: str


class ReplyError(ValueError):
    """The reply holds no usable function; the message is fed back to the teacher."""


def parse_reply(text: str, stage: str) -> list[Proposal]:
    """Functions proposed in ``text``; items without a stage belong to ``stage``."""
    data = _json(text)
    if data is None:
        code = [block for block in FENCE.findall(text) if "def " in block] or ([text] if "def " in text else [])
        if code:
            return [Proposal(None, stage, block.strip() + "\n") for block in code]
        raise ReplyError('the reply holds neither a JSON object {"functions": [...]} nor Python code')
    items = data.get("functions", [data] if "source" in data else None) if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise ReplyError('the JSON must be an object {"functions": [{"name": ..., "stage": ..., "source": ...}]}')
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("source"), str) or not item["source"].strip():
            raise ReplyError(f'functions[{i}] must be an object with a "source" string holding the whole def')
        name, item_stage = item.get("name"), item.get("stage") or stage
        out.append(Proposal(name if isinstance(name, str) else None, str(item_stage), item["source"].strip() + "\n"))
    return out


def _json(text: str):
    """The first JSON value in ``text`` (fenced or not) that looks like our format: an object with
    "functions" or "source", or a list of objects (a dict literal in Python code is not one)."""
    for candidate in [*FENCE.findall(text), text]:
        decoder = json.JSONDecoder()
        for match in re.finditer(r"[\[{]", candidate):
            try:
                value, _ = decoder.raw_decode(candidate, match.start())
            except json.JSONDecodeError:
                continue
            if (isinstance(value, dict) and {"functions", "source"} & set(value)) or (
                isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
            ):
                return value
    return None
