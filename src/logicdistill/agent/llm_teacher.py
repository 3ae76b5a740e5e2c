"""``--demonstrator llm``: a teacher LLM behind any OpenAI-compatible endpoint labels the decisions
the student distils. It is generic: it works for every task, and no task knows it.

**What it reads** is exactly what the student reads: the request's ``agent.students.selection_fields``
(the instruction, the stage line, the offered candidates in the base's order with their manuals,
the state text and what each candidate would return now) in ``student.prompts.selection_messages``,
the messages ``selection_prompt`` renders with the student's chat template. Candidates merged into
an earlier one (they act alike now) are not shown, as they are not to the student, and forced
decisions are not asked.

**What it answers** is one candidate's name. With ``structured`` (the default) every request
carries a JSON-schema ``response_format`` whose one field is an enum of the candidates' names,
which OpenAI, vLLM and other servers enforce; a server that ignores it (``logicdistill serve``)
is read just as strictly: the reply must be ``{"function": NAME}`` or the bare name (quotes,
backticks, a listing number or a final full stop around it aside), and nothing else. An unusable
reply is asked about once more, in the same conversation, with the reason; if that reply is
unusable too, the decision is counted as defaulted and its label is the stage's default (the
earliest offered candidate in the base, the choice the offline teachers keep unless another
gains enough). Every decision row records its exchanges and whether it was retried or defaulted,
so training may drop defaulted labels.

**A selector, not a ``Demonstrator``.** A demonstrator scores every candidate, the merged ones
too, for ``TeacherSelector``'s rule of leaving a default only for ``min_gain``; an LLM gives one
answer to what the student sees. So ``LLMTeacher`` is the teacher agent's selector itself: the
factory builds it for ``--demonstrator llm`` and no task's ``demonstrator()`` ever sees that kind.
It reads no environment, so ``data`` uses one agent for every variant.

**Where the exchanges go**: through ``teacher.TeacherClient``, into the same content-addressed
store as ``base build``. A live run asks only what the store lacks (a killed run resumes without
paying twice); ``--replay DIR`` answers from the store alone and names a missing exchange. The
openai client retries connection errors, timeouts, 429 and 5xx with exponential backoff
(honouring Retry-After) ``max_retries`` times (``teacher_config``); what still fails, an
unreachable endpoint or a rejected key, is one ``EndpointError`` line.

**Concurrency.** The requests of one ``select_batch`` are independent: the loop builds every
request of a stage before it asks for any selection, and the LLM reads nothing but the request's
text. So one batch is asked on a pool of at most ``concurrency`` threads, identical prompts once.
One episode alone gives a batch as large as a step's units (one at 21 Points), so ``data`` plays
``concurrency`` episodes in lock step with this teacher (``run_episodes``, the path that already
batches a student's decisions across episodes) and every stage's batch holds that many episodes'
decisions. That was chosen over a thread per episode: the episodes, the agent and its retriever
stay single-threaded (only the HTTP requests run in threads), and each episode's result is its
own whatever the concurrency, since an exchange depends only on its prompt. A replay with another
``--concurrency`` rebuilds the same file (with the bm25 retriever exactly; the dense one embeds
queries in batches, which can move a near-tie at the top-K cut by a rounding error).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from logicdistill.agent.selectors import Selection, SelectionRequest
from logicdistill.agent.students import selection_fields
from logicdistill.errors import EndpointError, UserInputError
from logicdistill.functions import FunctionBase
from logicdistill.student.prompts import selection_messages
from logicdistill.tasks.api import Task
from logicdistill.teacher.client import TeacherClient, TeacherConfig
from logicdistill.teacher.store import Exchange

MAX_TOKENS = 64  # per reply: a name, or {"function": NAME}; a model that talks first is unusable anyway
TIMEOUT_S = 120.0  # per request
MAX_RETRIES = 4  # the openai client's, with backoff 0.5, 1, 2, 4 s (or what Retry-After says)
RETRY = (
    "That answer cannot be used: {reason}. Answer with the name of one of these functions and nothing else: {names}."
)


def teacher_config(model: str, base_url: str | None, store: Path | None, replay: Path | None) -> TeacherConfig:
    """The client settings of a labelling teacher: short replies, retries with backoff."""
    return TeacherConfig(
        model,
        base_url,
        store=store,
        replay=replay,
        max_tokens=MAX_TOKENS,
        timeout=TIMEOUT_S,
        max_retries=MAX_RETRIES,
    )


class LabelExchange(BaseModel):
    key: str  # the exchange's file in the store: STORE/KEY.json
    prompt_tokens: int = 0  # as the endpoint reported them (0 where it reports none)
    completion_tokens: int = 0


class DecisionLabel(BaseModel):
    """How a teacher LLM's reply became one decision's label."""

    exchanges: list[LabelExchange]  # the question, then the retry if its reply was unusable
    unusable: list[str] = []  # why each unusable reply could not be used
    defaulted: bool = False  # no usable reply: the label is the stage's default


class LabelUsage(BaseModel):
    """What labelling with a teacher LLM took: the counts cover every decision of a data file
    (its header's ``labels``) or those labelled so far (the progress bar)."""

    model: str  # the labelling model, as every stored request names it
    structured: bool  # whether requests asked for a JSON-schema answer (``response_format``)
    decisions: int = 0  # decisions the LLM was asked (the others were forced: every candidate acts alike)
    exchanges: int = 0  # distinct exchanges those used: a prompt asked again is one exchange, paid once
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retried: int = 0  # decisions whose first reply was unusable, asked again with the reason
    defaulted: int = 0  # of those, the ones whose second reply was unusable too: the default is the label
    price_per_mtok: float | None = None  # USD per million tokens, prompt and completion alike
    cost: float | None = None  # the tokens at that price

    def add(self, label: DecisionLabel, seen: set[str]) -> None:
        """Count one decision; ``seen`` holds the exchange keys counted already."""
        self.decisions += 1
        self.retried += bool(label.unusable)
        self.defaulted += label.defaulted
        for exchange in label.exchanges:
            if exchange.key not in seen:
                seen.add(exchange.key)
                self.exchanges += 1
                self.prompt_tokens += exchange.prompt_tokens
                self.completion_tokens += exchange.completion_tokens
        if self.price_per_mtok is not None:
            self.cost = (self.prompt_tokens + self.completion_tokens) * self.price_per_mtok / 1e6

    def text(self) -> str:
        """For a progress bar: ``41.2k tokens $0.0123, 3 retried, 1 defaulted``."""
        tokens = self.prompt_tokens + self.completion_tokens
        shown = f"{tokens / 1000:.1f}k" if tokens >= 1000 else str(tokens)
        cost = f" ${self.cost:.4f}" if self.cost is not None else ""
        return f"{shown} tokens{cost}, {self.retried} retried, {self.defaulted} defaulted"


def usage_of(labels: list[DecisionLabel], model: str, structured: bool, price_per_mtok: float | None) -> LabelUsage:
    """The counts of ``labels`` (a data file's, in order)."""
    usage = LabelUsage(
        model=model,
        structured=structured,
        price_per_mtok=price_per_mtok,
        cost=None if price_per_mtok is None else 0.0,
    )
    seen: set[str] = set()
    for label in labels:
        usage.add(label, seen)
    return usage


@dataclass(frozen=True)
class LLMTeacherConfig:
    teacher: TeacherConfig  # model, endpoint, store or replay (``teacher_config``)
    concurrency: int = 4  # requests in flight at once
    structured: bool = True  # ask for a JSON-schema answer; off for servers that refuse response_format
    price_per_mtok: float | None = None  # for the cost shown and recorded
    on_usage: Callable[[LabelUsage], None] | None = None  # after every batch, the counts so far

    def usage(self, labels: list[DecisionLabel] = ()) -> LabelUsage:
        """The counts of ``labels`` by this teacher (none: as a data header starts)."""
        return usage_of(list(labels), self.teacher.model, self.structured, self.price_per_mtok)


def read_choice(content: str, names: list[str]) -> tuple[str | None, str]:
    """The candidate a reply names, or None and why not. Strict: the whole reply must be
    ``{"function": NAME}`` (or a JSON string) or the bare name, give or take quotes, backticks,
    a code fence, a listing number ("2. name") and a final full stop."""
    text = re.sub(r"^```\w*\s*|\s*```$", "", content.strip())
    if not text:
        return None, "the reply is empty"
    if text[0] in '{"':
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict) and set(value) == {"function"} and isinstance(value["function"], str):
            text = value["function"]
        elif isinstance(value, str):
            text = value
        elif text[0] == "{":
            return None, 'a JSON reply must be an object {"function": NAME} and nothing else'
    text = re.sub(r"^\d+[.):]\s*", "", text.strip().strip("`'\"*").removesuffix(".").strip("`'\"* "))
    if text in names:
        return text, ""
    return None, f"{_quote(content)} is not one of the functions' names"


def _quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return json.dumps(text if len(text) <= limit else text[: limit - 3] + "...", ensure_ascii=False)


def response_format(names: list[str]) -> dict[str, Any]:
    """A JSON schema whose only answer is one of ``names`` (OpenAI's structured outputs, which
    vLLM and others accept too)."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "function_choice",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {"function": {"type": "string", "enum": names}},
                "required": ["function"],
                "additionalProperties": False,
            },
        },
    }


class LLMTeacher:
    """A selector whose choices are a teacher LLM's: the teacher agent with ``--demonstrator llm``."""

    name = "teacher"

    def __init__(self, config: LLMTeacherConfig, task: Task, base: FunctionBase):
        if config.concurrency < 1:
            raise UserInputError(f"--concurrency must be at least 1, got {config.concurrency}")
        self.config, self.task = config, task
        self.client = TeacherClient(config.teacher)
        self.rank = {name: i for i, name in enumerate(base.names())}
        self.usage = config.usage()
        self._seen: set[str] = set()

    def select_batch(self, requests: list[SelectionRequest]) -> list[Selection]:
        asks = [self._question(r) for r in requests]
        keys = [self._key(messages, names) for messages, names in asks]
        unique = dict(zip(keys, asks))  # identical prompts are asked once
        workers = min(self.config.concurrency, len(unique))
        if workers > 1:
            with ThreadPoolExecutor(workers, thread_name_prefix="llm-teacher") as pool:
                answers = dict(zip(unique, pool.map(lambda ask: self._label(*ask), unique.values())))
        else:
            answers = {key: self._label(*ask) for key, ask in unique.items()}
        out = []
        for key, (_, names) in zip(keys, asks):
            choice, label = answers[key]
            if choice is None:
                choice = min(names, key=lambda n: self.rank.get(n, len(self.rank)))  # the stage's default
            self.usage.add(label, self._seen)
            out.append(Selection(choice, label=label.model_dump()))
        if self.config.on_usage:
            self.config.on_usage(self.usage.model_copy())
        return out

    def _question(self, req: SelectionRequest) -> tuple[list[dict[str, str]], list[str]]:
        """The student's prompt as chat messages, and the names it may answer."""
        return selection_messages(*selection_fields(self.task, req)), [c.name for c in req.candidates]

    def _params(self, names: list[str]) -> dict[str, Any]:
        return {"response_format": response_format(names)} if self.config.structured else {}

    def _key(self, messages: list[dict[str, str]], names: list[str]) -> str:
        return json.dumps(self.client.request(messages, **self._params(names)), sort_keys=True)

    def _label(self, messages: list[dict[str, str]], names: list[str]) -> tuple[str | None, DecisionLabel]:
        """Ask, and once more with the reason if the reply is unusable: the choice (None: no usable
        reply) and the record of how it was made."""
        label = DecisionLabel(exchanges=[])
        for _ in range(2):
            exchange = self._chat(messages, names)
            usage = exchange.reply.usage or {}
            label.exchanges.append(
                LabelExchange(
                    key=exchange.key,
                    prompt_tokens=int(usage.get("prompt_tokens") or 0),
                    completion_tokens=int(usage.get("completion_tokens") or 0),
                )
            )
            choice, reason = read_choice(exchange.reply.content, names)
            if choice is not None:
                return choice, label
            if exchange.reply.finish_reason == "length":
                reason += " (the reply reached the token limit)"
            label.unusable.append(reason)
            messages = [
                *messages,
                {"role": "assistant", "content": exchange.reply.content},
                {"role": "user", "content": RETRY.format(reason=reason, names=", ".join(names))},
            ]
        label.defaulted = True
        return None, label

    def _chat(self, messages: list[dict[str, str]], names: list[str]) -> Exchange:
        try:
            return self.client.chat(messages, **self._params(names))
        except EndpointError as exc:
            if self.config.structured and " answered 400" in str(exc):
                raise EndpointError(
                    f"{exc}; if the server cannot take a JSON-schema response_format, rerun with "
                    "--no-teacher-schema (the reply is then read as a bare name)"
                ) from None
            raise
