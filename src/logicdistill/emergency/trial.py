"""How an agent is measured in an emergency run: the same settings before and after the new
functions arrive, so the two figures differ only by the base."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Trial:
    episodes: int = 20  # pursuit games; 21 Points: Monte Carlo hands (its regret is exact anyway)
    seed: int = 0
    maps: tuple[str, ...] = ()  # pursuit maps; () = every bundled map
    evader: str = "smart"
    parallel: int = 8  # pursuit games in lock step, their selections batched
