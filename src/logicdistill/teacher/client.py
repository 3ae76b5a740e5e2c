"""The teacher: any OpenAI-compatible chat endpoint, behind a content-keyed store of exchanges.

Live, every request goes to the endpoint unless the store already holds its answer (so an
interrupted build resumes without paying twice), and every answer is stored. With ``replay`` the
endpoint is never contacted: answers come from that store only, and a missing one is an error.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from logicdistill.errors import EndpointError, UserInputError
from logicdistill.teacher.store import Exchange, ExchangeStore, Reply, request_key

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
# A reasoning model's hidden reasoning counts against its reply budget (``max_completion_tokens``):
# ``reasoning`` adds this many tokens to the visible reply's budget. It only bounds a runaway
# reply; what is paid is what the model uses.
REASONING_TOKENS = 16_384
REASONING_HINT = "for a reasoning model (OpenAI o-series, gpt-5) add --teacher-reasoning"


@dataclass(frozen=True)
class TeacherConfig:
    model: str
    base_url: str | None = None  # None: the official OpenAI API
    store: Path | None = None  # where exchanges are written (live mode)
    replay: Path | None = None  # answer only from this store
    temperature: float = 0.0  # part of the request key, like every parameter
    max_tokens: int = 3000
    timeout: float = 300.0  # seconds per request: large models write slowly
    max_retries: int = 1  # the openai client's retries, with exponential backoff (honouring Retry-After),
    # of connection errors, timeouts, 408, 409, 429 and 5xx answers
    reasoning: bool = False  # a reasoning model (OpenAI o-series, gpt-5): they refuse ``max_tokens`` and any
    # temperature but the default, so the request sends ``max_completion_tokens`` (max_tokens plus
    # REASONING_TOKENS for the hidden reasoning) and no temperature. Off, requests are what they always
    # were (``max_tokens``, ``temperature``): stores recorded before replay unchanged, and servers that
    # know only ``max_tokens`` (Ollama, LM Studio) still cap the reply


def api_key(base_url: str | None) -> str:
    """LOGICDISTILL_API_KEY, else OPENAI_API_KEY; a local server needs none."""
    key = os.environ.get("LOGICDISTILL_API_KEY") or os.environ.get("OPENAI_API_KEY")
    if key:
        return key
    if base_url and urlparse(base_url).hostname in LOCAL_HOSTS:
        return "not-needed"
    raise UserInputError(
        f"the teacher endpoint {base_url or 'api.openai.com'} needs an API key: set "
        "LOGICDISTILL_API_KEY (or OPENAI_API_KEY), or use --replay DIR to build offline"
    )


class TeacherClient:
    def __init__(self, config: TeacherConfig):
        if config.replay is None and config.store is None:
            raise UserInputError("a live teacher needs a store directory for its exchanges")
        if config.replay is not None and not Path(config.replay).is_dir():
            raise UserInputError(f"replay store not found: {config.replay}")
        self.config = config
        self.store = ExchangeStore(config.replay or config.store)
        self._client = None
        self._lock = threading.Lock()
        self.requests = 0  # answered by the endpoint in this session (not from the store)

    def request(self, messages: list[dict[str, str]], **params: Any) -> dict:
        """The request content that keys the store; ``params`` are further request fields (e.g.
        ``response_format``), part of the key like every other."""
        c = self.config
        if c.reasoning:
            limits: dict[str, Any] = {"max_completion_tokens": c.max_tokens + REASONING_TOKENS}
        else:
            limits = {"temperature": c.temperature, "max_tokens": c.max_tokens}
        return {"model": c.model, "messages": messages, **limits, **params}

    def chat(self, messages: list[dict[str, str]], **params: Any) -> Exchange:
        """The stored exchange for this request, else the endpoint's answer, stored. Safe to call
        from several threads (distinct requests; the store writes each file atomically)."""
        request = self.request(messages, **params)
        stored = self.store.get(request_key(request))
        if stored is not None:
            return stored
        if self.config.replay is not None:
            raise UserInputError(
                f"replay: no stored teacher reply for request {request_key(request)} in "
                f"{self.config.replay}; this run asked something the recorded one did not "
                "(other options or code?) - run it live to record it"
            )
        return self.store.put(request, self._ask(request))

    def _ask(self, request: dict) -> Reply:
        from openai import APIConnectionError, APIStatusError, AuthenticationError, NotFoundError, OpenAI, OpenAIError

        where = self.config.base_url or "api.openai.com"
        with self._lock:  # one client, shared by the threads of a concurrent labeller
            if self._client is None:
                self._client = OpenAI(
                    base_url=self.config.base_url,
                    api_key=api_key(self.config.base_url),
                    timeout=self.config.timeout,
                    max_retries=self.config.max_retries,
                )
        try:
            response = self._client.chat.completions.create(**request)
        except APIConnectionError as exc:  # also timeouts
            raise EndpointError(
                f"cannot reach the teacher endpoint {where}: {str(exc).rstrip('.')}. Start the server, "
                "check --teacher-base-url, or run offline with --replay DIR"
            ) from None
        except AuthenticationError:
            raise EndpointError(
                f"the teacher endpoint {where} rejected the API key (401); check LOGICDISTILL_API_KEY"
            ) from None
        except NotFoundError as exc:
            raise EndpointError(
                f"the teacher endpoint {where} has no model {request['model']!r} or no chat "
                f"completions (404): {exc.message}"
            ) from None
        except APIStatusError as exc:
            hint = ""
            if (
                exc.status_code == 400
                and not self.config.reasoning
                and re.search(r"max_tokens|temperature", exc.message)
            ):
                hint = f"; {REASONING_HINT}"
            raise EndpointError(
                f"the teacher endpoint {where} answered {exc.status_code}: {exc.message}{hint}"
            ) from None
        except OpenAIError as exc:
            raise EndpointError(f"the teacher endpoint {where} failed: {exc}") from None
        with self._lock:
            self.requests += 1
        choice = response.choices[0] if response.choices else None
        return Reply(
            content=(choice.message.content or "") if choice else "",
            model=response.model,
            finish_reason=choice.finish_reason if choice else None,
            usage=response.usage.model_dump() if response.usage else None,
        )
