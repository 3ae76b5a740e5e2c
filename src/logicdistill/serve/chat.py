"""Chat completion with the student: its tokenizer's chat template, then transformers ``generate``;
or, where the request's ``response_format`` allows only a few documents, the most likely of them.

A request is first planned (``plan_chat``: limits checked, schema enumerated, prompt tokenized,
reply budget set) outside the model lock, then completed under it, so a refused request never
waits for or holds the model. Tokenizing there is safe beside a running generation: these calls
neither pad nor truncate, so they leave the fast tokenizer's shared settings untouched.

Structured outputs (``structured.py``) are enforced as guided decoding in vLLM would: every
document the schema allows is scored as the assistant's reply by ``score_candidates``, the very
scorer the student selects with (a document's probability is the chance that decoding restricted
to the allowed documents produces it: only the tokens where documents part are read). Where one
document's tokens begin another's (consts ``1`` and ``12``; a closing quote or brace keeps strings
and objects apart), the scorer adds the end-of-turn marker to every document, so that the shorter
cannot win by stopping early (``prompts.answer_texts``). The reply is then emitted as generation
would have emitted those tokens: cut after ``max_tokens`` (finish "length", as vLLM cuts a guided
reply) or at a stop string (finish "stop").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from logicdistill.serve.limits import ServeLimits, check_stops, reply_budget
from logicdistill.serve.schemas import ChatRequest
from logicdistill.serve.select import fit_scoring
from logicdistill.serve.structured import allowed_replies
from logicdistill.student.model import Student
from logicdistill.student.prompts import Prompt, end_of_turn
from logicdistill.student.scoring import score_candidates


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
class ChoicePlan:
    """A chat request whose reply must be one of a schema's documents, ready to score them."""

    prompt: Prompt  # the chat-templated messages, ending where the reply begins (``chat_prompt``)
    replies: list[str]  # every document the schema allows, rendered, in the schema's order
    prompt_tokens: int
    max_new_tokens: int
    stops: list[str]


@dataclass
class Completion:
    text: str
    finish_reason: str  # "stop": end of turn or a stop string; "length": the token limit
    prompt_tokens: int
    completion_tokens: int


def plan_chat(student: Student, request: ChatRequest, limits: ServeLimits) -> ChatPlan | ChoicePlan:
    """Refuses (``APIError``) what exceeds the limits; the stop strings and the response format are
    checked before the messages are even tokenized. ``limits.max_tokens`` caps the reply: a request
    may ask for fewer, never more, and the reply always fits the model's context."""
    check_stops(request.stop_list(), limits)
    replies = allowed_replies(request.response_format, limits)
    messages = [{"role": m.role, "content": m.text()} for m in request.messages]
    if replies is not None:
        return plan_choice(student, request, messages, replies, limits)
    prompt = student.tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    n_prompt = prompt["input_ids"].shape[1]
    budget = reply_budget(n_prompt, request.token_limit(), limits.window(student), limits)
    return ChatPlan(dict(prompt), budget, request.stops())


def plan_choice(
    student: Student, request: ChatRequest, messages: list[dict[str, str]], replies: list[str], limits: ServeLimits
) -> ChoicePlan:
    """The plan of a structured reply: the prompt with every allowed document must fit the window,
    as a select's candidates must (the scorer reads them all), and an explicit ``max_tokens`` must
    fit beside the prompt, as for any reply."""
    prompt = chat_prompt(student.tokenizer, messages)
    n_prompt = fit_scoring(student, prompt, replies, limits, "in the schema's answers", param="messages")
    budget = reply_budget(n_prompt, request.token_limit(), limits.window(student), limits)
    return ChoicePlan(prompt, replies, n_prompt, budget, request.stops())


def chat_prompt(tokenizer, messages: list[dict[str, str]]) -> Prompt:
    """The messages as the chat template renders them for the reply, split where the scorer's
    prompt head ends: after the first message (usually the system prompt, which a client repeats
    on every request: the scorer reads a head once and keeps it; for a trained run with the base
    weights, as it reads the head of the student's own prompts). The split falls between two
    messages, so the two parts tokenize as the whole does. A template that renders the first
    message alone otherwise (or refuses to) is split after its first token instead."""
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    try:
        first = tokenizer.apply_chat_template(messages[:1], tokenize=False)
    except Exception:  # e.g. a template that insists on a user message; jinja raises its own errors
        first = ""
    if not (0 < len(first) < len(text) and text.startswith(first)):
        first = tokenizer.decode(tokenizer(text, add_special_tokens=False).input_ids[:1])
        first = first if 0 < len(first) < len(text) and text.startswith(first) else text[:1]
    return Prompt(first, text[len(first) :])


def complete(student: Student, request: ChatRequest, plan: ChatPlan | ChoicePlan) -> Completion:
    """The assistant's next message: the model work, to run under the model lock."""
    if isinstance(plan, ChoicePlan):
        return choose(student, request, plan)
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
    cut = _first_stop(text, plan.stops)
    ended = bool(new) and new[-1] in _end_ids(student)
    finish = "stop" if ended or cut >= 0 else "length"
    return Completion(text[:cut] if cut >= 0 else text, finish, plan.prompt_tokens, len(new))


def choose(student: Student, request: ChatRequest, plan: ChoicePlan) -> Completion:
    """The structured reply: every allowed document scored after the prompt, one picked."""
    probabilities = score_candidates(student, [plan.prompt], [plan.replies])[0]
    chosen = plan.replies[pick(probabilities, request.temperature, request.top_p)]
    return emit(student.tokenizer, chosen, plan)


def pick(probabilities: np.ndarray, temperature: float | None, top_p: float | None) -> int:
    """Greedy without a temperature (or 0): the most likely, the first of equals, as generation
    is. Otherwise a draw, by torch's generator (``torch.manual_seed`` repeats it), from the
    probabilities raised to 1/temperature, sharper below 1 and flatter above, as a temperature
    scales logits, and within the ``top_p`` nucleus of the most likely documents."""
    if not temperature:
        return int(np.argmax(probabilities))
    weights = torch.softmax(torch.from_numpy(probabilities).log() / temperature, dim=0)  # log 0: -inf, never drawn
    if top_p is not None and top_p < 1:
        order = torch.argsort(weights, descending=True)
        before = torch.cumsum(weights[order], dim=0) - weights[order]  # the mass of those more likely
        weights[order[before >= top_p]] = 0  # the most likely always stays
    return int(torch.multinomial(weights, 1))


def emit(tokenizer, reply: str, plan: ChoicePlan) -> Completion:
    """``reply`` as generating its tokens would have ended: whole (finish "stop", as at the end of
    the turn), or cut at the first stop string (finish "stop") or after ``max_new_tokens`` tokens
    (finish "length"), whichever comes first. A document is usually a few tokens, and at most
    ``max_new_tokens`` of them are looked at, so decoding each prefix for the stop strings is cheap."""
    ids = tokenizer(reply, add_special_tokens=False).input_ids
    budget = min(len(ids), plan.max_new_tokens)
    if plan.stops:
        for n in range(1, budget + 1):
            text = tokenizer.decode(ids[:n])
            cut = _first_stop(text, plan.stops)
            if cut >= 0:
                return Completion(text[:cut], "stop", plan.prompt_tokens, n)
    if budget < len(ids):
        return Completion(tokenizer.decode(ids[:budget]), "length", plan.prompt_tokens, budget)
    return Completion(reply, "stop", plan.prompt_tokens, len(ids))


def _first_stop(text: str, stops: list[str]) -> int:
    """Where the first stop string in ``text`` begins; -1 where none is."""
    return min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)


def _end_ids(student: Student) -> list[int]:
    """The end-of-turn marker's id (when it is one token) and the end-of-sequence id: either ends
    the reply."""
    tok = student.tokenizer
    marker = tok(end_of_turn(tok), add_special_tokens=False).input_ids
    ids = set(marker if len(marker) == 1 else []) | ({tok.eos_token_id} - {None})
    return sorted(ids)
