"""The selection prompt and the answers the student is scored on.

The user message puts everything that repeats across decisions first (instruction, stage, the
numbered candidate manuals, the request to answer) and the state last, then one short line of
what each candidate would return now. The part before the state is a ``Prompt.head``, shared by
every decision of a stage with the same candidates; only the tail is the student's latency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_SENTINEL = "@@ANSWER@@"


@cache
def _template(name: str) -> dict[str, str]:
    """``[section]`` headed parts of a prompt template file, e.g. ``system`` and ``user``."""
    text = (resources.files("logicdistill") / "prompts" / f"{name}.txt").read_text(encoding="utf-8")
    parts = re.split(r"^\[(\w+)\]\n", text, flags=re.M)  # ["", name, body, name, body, ...]
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


@dataclass(frozen=True)
class Prompt:
    """A chat prompt in two parts. ``head`` holds what many decisions share (instruction, stage,
    the candidates and their manuals, the request to answer); ``tail`` holds this decision's state
    and previews and ends where the answer begins. The student reads every head with its base
    weights, once, and only the tail with its trained ones, in training and in use alike: what
    training pays for and what a decision costs is the tail."""

    head: str
    tail: str

    @property
    def text(self) -> str:
        return self.head + self.tail


def selection_prompt(
    tokenizer,
    instruction: str,
    stage_line: str,
    state_text: str,
    candidates: list[tuple[str, str]],
    previews: list[str] | None = None,
) -> Prompt:
    """The chat-formatted prompt, ending where the assistant's answer (a candidate name) begins.

    ``candidates`` are (name, manual) pairs, listed and numbered in the order given: a fixed order
    (the base's) lets decisions with the same candidates share one head.
    ``previews`` (what each candidate would return now) follow the state, by number.
    """
    state, fields = _selection_fields(instruction, stage_line, state_text, candidates, previews)
    return _split_prompt(tokenizer, "select", state, fields)


def selection_messages(
    instruction: str,
    stage_line: str,
    state_text: str,
    candidates: list[tuple[str, str]],
    previews: list[str] | None = None,
) -> list[dict[str, str]]:
    """The same selection prompt as chat messages (system, user), before any chat template: what a
    teacher LLM behind a chat endpoint reads (``agent.llm_teacher``), word for word the student's."""
    state, fields = _selection_fields(instruction, stage_line, state_text, candidates, previews)
    return _messages("select", state, fields)


def _selection_fields(
    instruction: str,
    stage_line: str,
    state_text: str,
    candidates: list[tuple[str, str]],
    previews: list[str] | None,
) -> tuple[str, dict[str, str]]:
    """The state (with the previews line) and the other fields of the ``select`` template."""
    listing = "\n".join(f"{i}. {name}: {manual}" for i, (name, manual) in enumerate(candidates, start=1))
    state = state_text + (f"\nNow: {preview_line(previews)}" if previews else "")
    return state, {"instruction": instruction, "stage_line": stage_line, "candidates": listing}


def preview_line(previews: list[str]) -> str:
    """``1 E0; 2 E1; ...``: the candidates' results by their number in the listing."""
    return "; ".join(f"{i} {p}" for i, p in enumerate(previews, start=1))


def action_prompt(tokenizer, instruction: str, state_text: str, actions: list[str]) -> Prompt:
    """The KD / zero-shot prompt: the same instruction and state, answered with an action."""
    return _split_prompt(tokenizer, "act", state_text, {"instruction": instruction, "actions": ", ".join(actions)})


def _messages(template: str, state_text: str, fields: dict[str, str]) -> list[dict[str, str]]:
    """``template``'s system and user messages with ``state_text`` and ``fields`` filled in."""
    parts = _template(template)
    user = parts["user"].format(state_text=state_text, **fields)
    return [{"role": "system", "content": parts["system"]}, {"role": "user", "content": user}]


def _split_prompt(tokenizer, template: str, state_text: str, fields: dict[str, str]) -> Prompt:
    """Render ``template`` with the state last and cut it just before the state."""
    messages = _messages(template, _SENTINEL, fields)
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    head, rest = text.split(_SENTINEL, 1)
    return Prompt(head, state_text + rest)


def answer_texts(tokenizer, names: list[str]) -> list[str]:
    """What the student is scored on for each candidate: its name, followed by the end of the
    assistant's turn only where one name's tokens begin another's (``flank`` vs
    ``flank_target``), which could otherwise win by stopping early. Without the marker each
    candidate costs one token less to score."""
    ids = [tuple(tokenizer(n, add_special_tokens=False).input_ids) for n in names]
    ambiguous = any(a != b and b[: len(a)] == a for a in ids for b in ids)
    suffix = end_of_turn(tokenizer) if ambiguous else ""
    return [n + suffix for n in names]


def end_of_turn(tokenizer) -> str:
    """The marker the chat template puts after an assistant message (``<|im_end|>`` for SmolLM2),
    or the tokenizer's end-of-sequence token where the template has none."""
    if tokenizer.chat_template:
        messages = [{"role": "user", "content": "x"}, {"role": "assistant", "content": _SENTINEL}]
        rendered = tokenizer.apply_chat_template(messages, tokenize=False)
        marker = rendered.split(_SENTINEL, 1)[1].strip()
        if marker:
            return marker
    return tokenizer.eos_token
