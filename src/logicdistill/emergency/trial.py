"""How an agent is measured in an emergency run: the same settings before and after the new
functions arrive, so the two figures differ only by the base."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Trial:
    episodes: int = 20  # episodes per measurement, spread over the variants
    seed: int = 0
    variants: tuple[str, ...] = ()  # where they are played; () = the task's variants
    parallel: int = 8  # student episodes in lock step, their selections batched
