"""The selection prompt and the answer the student is scored on.

The user message puts everything that repeats across decisions first (instruction, stage,
candidate manuals) and the state last, so consecutive prompts share a long token prefix whose
keys and values the scorer can reuse. Its length is the student's latency: keep it short.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

_SENTINEL = "@@ANSWER@@"


@lru_cache(maxsize=None)
def _template(name: str) -> dict[str, str]:
    """``[section]`` headed parts of a prompt template file, e.g. ``system`` and ``user``."""
    text = (resources.files("logicdistill") / "prompts" / f"{name}.txt").read_text(encoding="utf-8")
    parts = re.split(r"^\[(\w+)\]\n", text, flags=re.M)  # ["", name, body, name, body, ...]
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


def selection_prompt(
    tokenizer, instruction: str, stage_line: str, state_text: str, candidates: list[tuple[str, str]]
) -> str:
    """The chat-formatted prompt, ending where the assistant's answer (a candidate name) begins.

    ``candidates`` are (name, manual text) pairs, listed in the order given: a fixed order (the
    base's, say) lets prompts of a stage share the listing, whose keys and values are then reused.
    """
    parts = _template("select")
    listing = "\n".join(f"- {name}: {manual}" for name, manual in candidates)
    user = parts["user"].format(
        instruction=instruction, stage_line=stage_line, candidates=listing, state_text=state_text
    )
    messages = [{"role": "system", "content": parts["system"]}, {"role": "user", "content": user}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def candidate_listing(names: list[str], manuals: list[str], previews: list[str]) -> list[tuple[str, str]]:
    """(name, text) pairs for ``selection_prompt``: each manual, then what the function would
    return in this state, so the student weighs a manual against its concrete consequence."""
    return [(n, f"{m} Now: {p}." if p else m) for n, m, p in zip(names, manuals, previews or [""] * len(names))]


def action_prompt(tokenizer, instruction: str, state_text: str, actions: list[str]) -> str:
    """The KD / zero-shot prompt: the same instruction and state, answered with an action."""
    parts = _template("act")
    user = parts["user"].format(instruction=instruction, state_text=state_text, actions=", ".join(actions))
    messages = [{"role": "system", "content": parts["system"]}, {"role": "user", "content": user}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def answer_text(tokenizer, name: str) -> str:
    """What the student is scored on: the name, then the end of the assistant's turn, so that a
    name that is a prefix of another (``flank`` vs ``flank_target``) cannot win by stopping
    early."""
    return name + end_of_turn(tokenizer)


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
