"""Chat completion with the student: its tokenizer's chat template, then transformers ``generate``.

A request is first planned (``plan_chat``: limits checked, prompt tokenized, reply budget set)
outside the model lock, then completed under it, so a refused request never waits for or holds
the model. Tokenizing there is safe beside a running generation: these calls neither pad nor
truncate, so they leave the fast tokenizer's shared settings untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from logicdistill.serve.limits import ServeLimits, check_stops, reply_budget
from logicdistill.serve.schemas import ChatRequest
from logicdistill.student.model import Student
from logicdistill.student.prompts import end_of_turn


@dataclass
class ChatPlan:
    """A chat request within the limits, ready for the model."""

    prompt: dict[str, torch.Tensor]  # input_ids and attention_mask, [1, prompt tokens]
    max_new_tokens: int
    stops: list[str]

    @property
    def prompt_tokens(self) -> int:
        return self.prompt["input_ids"].shape[1]


@dataclass
class Completion:
    text: str
    finish_reason: str  # "stop": end of turn or a stop string; "length": the token limit
    prompt_tokens: int
    completion_tokens: int


def plan_chat(student: Student, request: ChatRequest, limits: ServeLimits) -> ChatPlan:
    """Refuses (``APIError``) what exceeds the limits; the stop strings are checked before the
    messages are even tokenized. ``limits.max_tokens`` caps the reply: a request may ask for
    fewer, never more, and the reply always fits the model's context."""
    check_stops(request.stop_list(), limits)
    messages = [{"role": m.role, "content": m.text()} for m in request.messages]
    prompt = student.tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    n_prompt = prompt["input_ids"].shape[1]
    budget = reply_budget(n_prompt, request.token_limit(), limits.window(student), limits)
    return ChatPlan(dict(prompt), budget, request.stops())


def complete(student: Student, request: ChatRequest, plan: ChatPlan) -> Completion:
    """The assistant's next message: the model work, to run under the model lock."""
    from transformers import GenerationConfig

    tok = student.tokenizer
    sample = bool(request.temperature)  # None or 0: greedy, so a request's answer is reproducible
    config = GenerationConfig(
        max_new_tokens=plan.max_new_tokens,
        do_sample=sample,
        temperature=request.temperature if sample else None,
        top_p=request.top_p if sample else None,
        eos_token_id=_end_ids(student),
        pad_token_id=tok.pad_token_id,
        stop_strings=plan.stops or None,
    )
    with torch.inference_mode():
        out = student.model.generate(
            **{k: v.to(student.device) for k, v in plan.prompt.items()},
            generation_config=config,
            tokenizer=tok if plan.stops else None,
        )
    new = out[0, plan.prompt_tokens :].tolist()
    text = tok.decode(new, skip_special_tokens=True)
    cut = min((i for i in (text.find(s) for s in plan.stops) if i >= 0), default=-1)
    ended = bool(new) and new[-1] in _end_ids(student)
    finish = "stop" if ended or cut >= 0 else "length"
    return Completion(text[:cut] if cut >= 0 else text, finish, plan.prompt_tokens, len(new))


def _end_ids(student: Student) -> list[int]:
    """The end-of-turn marker's id (when it is one token) and the end-of-sequence id: either ends
    the reply."""
    tok = student.tokenizer
    marker = tok(end_of_turn(tok), add_special_tokens=False).input_ids
    ids = set(marker if len(marker) == 1 else []) | ({tok.eos_token_id} - {None})
    return sorted(ids)
