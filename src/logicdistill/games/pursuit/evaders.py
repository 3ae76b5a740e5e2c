"""Evader policies. Each is ``policy(state, rng) -> one move per evader``; ties are broken with
the seeded generator so an episode is reproducible from its seed.

- ``random``: a uniformly random legal move.
- ``greedy``: the move that maximises the shortest-path distance to the nearest pursuer.
- ``smart``: a 3-ply lookahead (evader move, every pursuer's best reply, evader move) scored by
  safety, then by the evader's *territory* (cells it reaches before any pursuer) and its escape
  routes, so it avoids dead ends and circles obstacles.
- ``llm``: an OpenAI-compatible chat model, as in the paper (see ``llm_evader.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from logicdistill.games.pursuit.maps import Cell, GridMap
from logicdistill.games.pursuit.rules import PursuitState, legal_moves, move_target

EvaderPolicy = Callable[[PursuitState, np.random.Generator], tuple[str, ...]]


def _pick(values: list[float], rng: np.random.Generator) -> int:
    """Index of the largest value, ties broken by the seeded generator."""
    best = max(values)
    ties = [i for i, v in enumerate(values) if v >= best - 1e-9]
    return ties[int(rng.integers(len(ties)))] if len(ties) > 1 else ties[0]


def _per_evader(state: PursuitState, choose: Callable[[Cell, list[str]], str]) -> tuple[str, ...]:
    return tuple(
        "stay" if state.captured[i] else choose(cell, legal_moves(state.grid, cell))
        for i, cell in enumerate(state.evaders)
    )


def random_evader(state: PursuitState, rng: np.random.Generator) -> tuple[str, ...]:
    return _per_evader(state, lambda cell, moves: moves[int(rng.integers(len(moves)))])


def greedy_evader(state: PursuitState, rng: np.random.Generator) -> tuple[str, ...]:
    grid = state.grid
    pursuer_idx = [grid.cell_index[p] for p in state.pursuers]

    def choose(cell: Cell, moves: list[str]) -> str:
        targets = [grid.cell_index[move_target(grid, cell, m)] for m in moves]
        values = grid.distances[np.ix_(targets, pursuer_idx)].min(axis=1)  # [n_moves]
        return moves[_pick(values.tolist(), rng)]

    return _per_evader(state, choose)


def pursuer_reply(grid: GridMap, pursuer: Cell, evader: Cell) -> Cell:
    """The pursuer's best one-step reply to an evader cell (a shortest-path step, fixed tie order)."""
    options = [pursuer, *grid.neighbours[pursuer]]
    dist = grid.distances_from(evader)
    return min(options, key=lambda c: dist[grid.cell_index[c]])


def _leaf_values(grid: GridMap, cells: list[Cell], pursuers: list[Cell]) -> np.ndarray:
    """Score evader cells against fixed pursuer cells: safety first, then territory, then exits."""
    idx = [grid.cell_index[c] for c in cells]
    pdist = grid.distances[[grid.cell_index[p] for p in pursuers]]  # [n_p, n_free]
    nearest = pdist.min(axis=0)  # [n_free]
    safety = np.minimum(nearest[idx], 4)  # [n_cells]
    territory = (grid.distances[idx] < nearest[None, :]).sum(axis=1)  # [n_cells]
    exits = np.array([len(grid.neighbours[c]) for c in cells])
    return np.where(nearest[idx] <= 1, -1000.0, safety * 1000.0 + territory * 2.0 + exits)


def smart_move(grid: GridMap, cell: Cell, pursuers: list[Cell], rng: np.random.Generator) -> str:
    """Best move for one evader under a conservative 3-ply lookahead."""
    moves = legal_moves(grid, cell)
    values = []
    for move in moves:
        first = move_target(grid, cell, move)
        replies = [pursuer_reply(grid, p, first) for p in pursuers]
        if first in replies or first in pursuers:
            values.append(-10_000.0)  # captured on landing or by a swap
            continue
        seconds = [first, *grid.neighbours[first]]
        values.append(float(_leaf_values(grid, seconds, replies).max()))
    return moves[_pick(values, rng)]


def smart_evader(state: PursuitState, rng: np.random.Generator) -> tuple[str, ...]:
    pursuers = list(state.pursuers)
    return _per_evader(state, lambda cell, moves: smart_move(state.grid, cell, pursuers, rng))


EVADER_POLICIES: dict[str, EvaderPolicy] = {
    "random": random_evader,
    "greedy": greedy_evader,
    "smart": smart_evader,
}
