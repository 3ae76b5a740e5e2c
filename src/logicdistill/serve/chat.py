"""Chat completion with the student: its tokenizer's chat template, then transformers ``generate``."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from logicdistill.serve.schemas import ChatRequest
from logicdistill.student.model import Student
from logicdistill.student.prompts import end_of_turn


class PromptTooLong(ValueError):
    """The conversation leaves no room in the model's context for a reply (a 400 for the client)."""


@dataclass
class Completion:
    text: str
    finish_reason: str  # "stop": end of turn or a stop string; "length": the token limit
    prompt_tokens: int
    completion_tokens: int


def complete(student: Student, request: ChatRequest, max_tokens: int) -> Completion:
    """The assistant's next message. ``max_tokens`` is the server's cap: a request may ask for
    fewer, never more, and the reply always fits the model's context."""
    from transformers import GenerationConfig

    tok = student.tokenizer
    messages = [{"role": m.role, "content": m.text()} for m in request.messages]
    prompt = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    n_prompt = prompt["input_ids"].shape[1]
    room = _context(student) - n_prompt
    if room < 1:
        raise PromptTooLong(f"the messages take {n_prompt} tokens; the model's context holds {_context(student)}")
    limit = min(request.token_limit() or max_tokens, max_tokens, room)
    sample = bool(request.temperature)  # None or 0: greedy, so a request's answer is reproducible
    stops = request.stops()
    config = GenerationConfig(
        max_new_tokens=limit, do_sample=sample, temperature=request.temperature if sample else None,
        top_p=request.top_p if sample else None, eos_token_id=_end_ids(student),
        pad_token_id=tok.pad_token_id, stop_strings=stops or None,
    )
    with torch.inference_mode():
        out = student.model.generate(**{k: v.to(student.device) for k, v in prompt.items()},
                                     generation_config=config, tokenizer=tok if stops else None)
    new = out[0, n_prompt:].tolist()
    text = tok.decode(new, skip_special_tokens=True)
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    ended = bool(new) and new[-1] in _end_ids(student)
    finish = "stop" if ended or cut >= 0 else "length"
    return Completion(text[:cut] if cut >= 0 else text, finish, n_prompt, len(new))


def _context(student: Student) -> int:
    return int(getattr(student.model.config, "max_position_embeddings", 2048))


def _end_ids(student: Student) -> list[int]:
    """The end-of-turn marker's id (when it is one token) and the end-of-sequence id: either ends
    the reply."""
    tok = student.tokenizer
    marker = tok(end_of_turn(tok), add_special_tokens=False).input_ids
    ids = set(marker if len(marker) == 1 else []) | ({tok.eos_token_id} - {None})
    return sorted(ids)
