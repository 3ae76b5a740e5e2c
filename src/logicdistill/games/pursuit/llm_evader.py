"""Evaders driven by an OpenAI-compatible chat model, the paper's setting (it used GLM-4).

The endpoint is checked once when the policy is built, so an unreachable server is a clear error
before the first episode. During play, a reply that names no legal move (or a failed request)
makes that evader fall back to the ``smart`` policy for that step; fallbacks are counted.
"""

from __future__ import annotations

import os
import re

import numpy as np

from logicdistill.errors import EndpointError
from logicdistill.games.pursuit.evaders import smart_move
from logicdistill.games.pursuit.render import render_ascii
from logicdistill.games.pursuit.rules import PursuitState, legal_moves

SYSTEM = (
    "You control an orange evader (E{index}) on a grid. '#' is a wall, digits are blue pursuers, "
    "E marks evaders. You are caught if a pursuer ends on your cell or swaps cells with you. "
    "Survive as long as possible. Answer with exactly one word: up, down, left, right or stay."
)


def api_key() -> str:
    return os.environ.get("LOGICDISTILL_API_KEY") or os.environ.get("OPENAI_API_KEY") or "not-needed"


class LLMEvader:
    def __init__(self, model: str, base_url: str | None, timeout: float = 30.0):
        from openai import OpenAI, OpenAIError

        self.model = model
        self.client = OpenAI(base_url=base_url, api_key=api_key(), timeout=timeout, max_retries=1)
        self.fallbacks = 0
        try:
            self.client.models.list()
        except OpenAIError as exc:
            raise EndpointError(
                f"cannot reach the evader model endpoint {base_url or 'api.openai.com'}: {exc}. "
                "Start the server or use --evader smart."
            ) from None

    def move_for(self, state: PursuitState, index: int, rng: np.random.Generator) -> str:
        from openai import OpenAIError

        cell = state.evaders[index]
        allowed = legal_moves(state.grid, cell)
        where = f"You are E{index} at row {cell[0]}, column {cell[1]}."
        prompt = f"{render_ascii(state)}\n{where} Legal moves: {', '.join(allowed)}."
        try:
            reply = self.client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": SYSTEM.format(index=index)},
                    {"role": "user", "content": prompt},
                ],
                max_tokens=5,
                temperature=0,
            )
            words = re.findall(r"[a-z]+", (reply.choices[0].message.content or "").lower())
            move = next((w for w in words if w in allowed), None)
        except OpenAIError:
            move = None
        if move is None:
            self.fallbacks += 1
            move = smart_move(state.grid, cell, list(state.pursuers), rng)
        return move

    def __call__(self, state: PursuitState, rng: np.random.Generator) -> tuple[str, ...]:
        return tuple("stay" if state.captured[i] else self.move_for(state, i, rng) for i in range(len(state.evaders)))
