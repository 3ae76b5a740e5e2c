"""What one request may ask of the student server, and the checks that refuse the rest.

Every check runs before any model work and before the model lock is taken: a refused request
costs a tokenizer pass at most and never delays the requests queued behind the lock. Without
them, 1,000 stop strings made transformers allocate 9 GiB, a select past the model's context ran
for minutes, and 200 candidates took 45 s, all while holding the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from logicdistill.serve.errors import APIError
from logicdistill.student.model import Student


@dataclass(frozen=True)
class ServeLimits:
    """Limits on one request; the defaults are written here once."""

    max_body_bytes: int = field(
        default=1 << 20,
        metadata={"help": "largest request body, in bytes (413 beyond); 8,192 tokens of text are ~40 KB"},
    )
    max_tokens: int = field(
        default=1024, metadata={"help": "most tokens one reply may generate; requests asking for more are capped"}
    )
    context_tokens: int | None = field(
        default=None,
        metadata={
            "help": "most tokens a request may make the model read: prompt plus reply, or prompt plus every "
            "candidate; None: the model's own context length (a lower value bounds a request's time)"
        },
    )
    max_candidates: int = field(
        default=32,
        metadata={
            "help": "most candidates one /v1/select may score (the LD agent offers 5 by default; on one CPU "
            "thread 32 short ones take ~3 s, 200 took 45 s)"
        },
    )
    max_schema_answers: int = field(
        default=64,
        metadata={
            "help": "most JSON documents a chat request's response_format schema may allow; each is scored as "
            "a reply, like a /v1/select candidate (the teacher's schema allows one per candidate name)"
        },
    )
    max_stops: int = field(default=4, metadata={"help": "most stop strings one chat request may give (OpenAI's limit)"})
    max_stop_chars: int = field(
        default=64,
        metadata={"help": "longest stop string, in characters (transformers' stop-string tables grow with it)"},
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and value < 1:
                raise ValueError(f"{f.name} must be at least 1, got {value}")

    def window(self, student: Student) -> int:
        """The tokens a request may use: the model's context, or less where ``context_tokens`` says."""
        positions = int(getattr(student.model.config, "max_position_embeddings", 2048))
        return min(positions, self.context_tokens or positions)


def check_stops(stops: list[str], limits: ServeLimits) -> None:
    if len(stops) > limits.max_stops:
        raise APIError(400, f"give at most {limits.max_stops} stop strings, got {len(stops)}", param="stop")
    longest = max(map(len, stops), default=0)
    if longest > limits.max_stop_chars:
        raise APIError(
            400,
            f"a stop string may have at most {limits.max_stop_chars} characters, got one of {longest}",
            param="stop",
        )


def check_candidates(count: int, limits: ServeLimits) -> None:
    if count > limits.max_candidates:
        raise APIError(400, f"give at most {limits.max_candidates} candidates, got {count}", param="candidates")


def require_fit(tokens: int, window: int, what: str, param: str | None) -> None:
    """Refuse a request that would make the model read more than ``window`` tokens: past its
    context a model's output is meaningless, and reading it can take minutes."""
    if tokens > window:
        raise APIError(
            400,
            f"this request needs {tokens} tokens ({what}); this server allows {window}",
            param=param,
            code="context_length_exceeded",
        )


def reply_budget(prompt_tokens: int, asked: int | None, window: int, limits: ServeLimits) -> int:
    """The most tokens the reply may have. An explicit ``max_tokens`` (capped at the server's) must
    fit beside the prompt, as OpenAI requires; without one the reply gets whatever room is left."""
    if asked is None:
        require_fit(
            prompt_tokens + 1, window, f"{prompt_tokens} in the messages and at least 1 for the reply", "messages"
        )
        return min(limits.max_tokens, window - prompt_tokens)
    budget = min(asked, limits.max_tokens)
    require_fit(
        prompt_tokens + budget, window, f"{prompt_tokens} in the messages and {budget} for the reply", "messages"
    )
    return budget
