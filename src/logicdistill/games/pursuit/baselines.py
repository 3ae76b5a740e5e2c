"""Pursuit agents that do not use the function base: the floor LD must clear."""

from __future__ import annotations

import time

import numpy as np

from logicdistill.agent.records import StepRecord
from logicdistill.games.pursuit.rules import PursuitState, legal_moves
from logicdistill.games.pursuit.view import PursuitView


class GreedyChaseAgent:
    """Every pursuer runs along a shortest path to the evader nearest to it."""

    name = "greedy"

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, state: PursuitState) -> tuple[tuple[str, ...], StepRecord]:
        start = time.perf_counter()
        moves = []
        for i in range(len(state.pursuers)):
            view = PursuitView(state, i, {}, {})
            target = min(view.evaders.values(), key=lambda e: (view.dist(view.me, e), e))
            moves.append(view.step_towards(view.me, target))
        return tuple(moves), StepRecord(state.step, tuple(moves), [], (time.perf_counter() - start) * 1000)


class RandomMovesAgent:
    """Uniformly random legal moves."""

    name = "random-moves"

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)

    def act(self, state: PursuitState) -> tuple[tuple[str, ...], StepRecord]:
        start = time.perf_counter()
        moves = []
        for p in state.pursuers:
            options = legal_moves(state.grid, p)
            moves.append(options[int(self.rng.integers(len(options)))])
        return tuple(moves), StepRecord(state.step, tuple(moves), [], (time.perf_counter() - start) * 1000)
