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
which OpenAI, vLLM, ``logicdistill serve`` and other servers enforce; a server that ignores it
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
unreachable endpoint or a rejected key, is one ``EndpointError`` line. A reasoning model (OpenAI
o-series, gpt-5) refuses ``max_tokens`` and a temperature of 0: ``reasoning`` sends
``max_completion_tokens`` with room for its hidden reasoning and no temperature
(``teacher.client.TeacherConfig``).

**Cost** is counted per token kind: prompt tokens at the input price, completion tokens (a
reasoning model's hidden reasoning included, as the endpoint reports it) at the output price
(``--price-per-mtok IN[,OUT]``, ``parse_price``).

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
import math
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
from logicdistill.teacher.client import REASONING_HINT, TeacherClient, TeacherConfig
from logicdistill.teacher.store import Exchange

MAX_TOKENS = 64  # per reply: a name, or {"function": NAME}; a model that talks first is unusable anyway
TIMEOUT_S = 120.0  # per request
MAX_RETRIES = 4  # the openai client's, with backoff 0.5, 1, 2, 4 s (or what Retry-After says)
RETRY = (
    "That answer cannot be used: {reason}. Answer with the name of one of these functions and nothing else: {names}."
)


def teacher_config(
    model: str, base_url: str | None, store: Path | None, replay: Path | None, reasoning: bool = False
) -> TeacherConfig:
    """The client settings of a labelling teacher: short replies, retries with backoff."""
    return TeacherConfig(
        model,
        base_url,
        store=store,
        replay=replay,
        max_tokens=MAX_TOKENS,
        timeout=TIMEOUT_S,
        max_retries=MAX_RETRIES,
        reasoning=reasoning,
    )


Price = tuple[float, float]  # USD per million tokens: (prompt, completion)


def parse_price(text: str, option: str = "--price-per-mtok") -> Price:
    """``IN,OUT`` (USD per million prompt and completion tokens, as price lists give them) or one
    number for both; anything else is one ``UserInputError`` line."""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or not all(0 <= v < math.inf for v in values):
        raise UserInputError(
            f"{option} takes USD per million tokens as IN,OUT (prompt, completion; e.g. 0.15,0.6) or one "
            f"price for both, each finite and not negative; got {text!r}"
        )
    return (values[0], values[-1])


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
    price_in_per_mtok: float | None = None  # USD per million prompt tokens
    price_out_per_mtok: float | None = None  # USD per million completion tokens
    cost: float | None = None  # prompt tokens at the input price plus completion tokens at the output price

    def add(self, label: DecisionLabel, seen: dict[str, LabelExchange]) -> None:
        """Count one decision; ``seen`` holds the exchanges counted already, by key (and gets this
        decision's new ones)."""
        self.decisions += 1
        self.retried += bool(label.unusable)
        self.defaulted += label.defaulted
        for exchange in label.exchanges:
            self._count(exchange, seen)
        self._price()

    def _count(self, exchange: LabelExchange, seen: dict[str, LabelExchange]) -> None:
        if exchange.key not in seen:
            seen[exchange.key] = exchange
            self.exchanges += 1
            self.prompt_tokens += exchange.prompt_tokens
            self.completion_tokens += exchange.completion_tokens

    def _price(self) -> None:
        if self.price_in_per_mtok is not None and self.price_out_per_mtok is not None:
            self.cost = (
                self.prompt_tokens * self.price_in_per_mtok + self.completion_tokens * self.price_out_per_mtok
            ) / 1e6

    def merged(self, parts: list[tuple[LabelUsage, dict[str, LabelExchange] | None]]) -> LabelUsage:
        """These settings with the counts of several labellers, each given as its usage and its
        exchanges by key (``LLMTeacher.tally``): decisions add up, and an exchange that two of them
        made is counted once. Where the exchanges are None, that usage's tokens add up as they are
        (a running estimate: an exchange asked in two processes is counted twice)."""
        out = self.model_copy(update={f: 0 for f in _COUNTS} | {"cost": None})
        seen: dict[str, LabelExchange] = {}
        for usage, exchanges in parts:
            for name in _COUNTS if exchanges is None else ("decisions", "retried", "defaulted"):
                setattr(out, name, getattr(out, name) + getattr(usage, name))
            for exchange in (exchanges or {}).values():
                out._count(exchange, seen)
        out._price()
        return out

    def text(self) -> str:
        """For a progress bar: ``41.2k tokens $0.0123, 3 retried, 1 defaulted``."""
        tokens = self.prompt_tokens + self.completion_tokens
        shown = f"{tokens / 1000:.1f}k" if tokens >= 1000 else str(tokens)
        cost = f" ${self.cost:.4f}" if self.cost is not None else ""
        return f"{shown} tokens{cost}, {self.retried} retried, {self.defaulted} defaulted"


_COUNTS = ("decisions", "exchanges", "prompt_tokens", "completion_tokens", "retried", "defaulted")


def usage_of(labels: list[DecisionLabel], model: str, structured: bool, price: Price | None) -> LabelUsage:
    """The counts of ``labels`` (a data file's, in order)."""
    usage = LabelUsage(
        model=model,
        structured=structured,
        price_in_per_mtok=None if price is None else price[0],
        price_out_per_mtok=None if price is None else price[1],
    )
    usage._price()
    seen: dict[str, LabelExchange] = {}
    for label in labels:
        usage.add(label, seen)
    return usage


@dataclass(frozen=True)
class LLMTeacherConfig:
    teacher: TeacherConfig  # model, endpoint, store or replay (``teacher_config``)
    concurrency: int = 4  # requests in flight at once
    structured: bool = True  # ask for a JSON-schema answer; off for servers that refuse response_format
    price_per_mtok: Price | None = None  # USD per million (prompt, completion) tokens, for the cost shown and recorded
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
        self._seen: dict[str, LabelExchange] = {}  # every exchange counted, by key

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

    def tally(self) -> tuple[LabelUsage, dict[str, LabelExchange]]:
        """What this labeller took so far, with its exchanges by key (for ``LabelUsage.merged``)."""
        return self.usage.model_copy(), dict(self._seen)

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
                if not self.config.teacher.reasoning and not exchange.reply.content.strip():
                    reason += f"; {REASONING_HINT}"  # nothing visible: the budget went on reasoning
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
            if self.config.structured and " answered 400" in str(exc) and REASONING_HINT not in str(exc):
                raise EndpointError(
                    f"{exc}; if the server cannot take a JSON-schema response_format, rerun with "
                    "--no-teacher-schema (the reply is then read as a bare name)"
                ) from None
            raise
