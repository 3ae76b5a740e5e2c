"""What a pursuit function sees as ``state``: one pursuer's view of the game plus geometry helpers.

This object is the function contract's vocabulary (the teacher is shown this docstring), so a
function stays a few readable lines and never re-implements path finding.

Attributes
    me            my cell, ``(row, col)``
    index         my pursuer index
    pursuers      every pursuer's cell, by index (mine included)
    teammates     ``{index: cell}`` of the other pursuers
    evaders       ``{index: cell}`` of the evaders not yet captured
    plan          ``{index: {"target": i, "goal": cell, ...}}``: what teammates decided this step
    previous      my own results from the last step (``{}`` on the first step)
    step, steps_left
    rule          the emergency rule in force ('' for none): 'closed_zone', 'no_u_turn' or
                  'box_in' (the task instruction says what it means)
    closed        cells pursuers may not enter (the closed zone; empty unless that rule is on)
    heading       my last move that changed my cell ('' before the first; kept under no_u_turn only)

Methods
    dist(a, b)                shortest-path length between two cells (walls respected)
    neighbours(cell)          free cells one move away
    exits(cell)               number of free neighbours
    path(a, b)                cells of a shortest path from a (excluded) to b (included)
    step_towards(a, b, avoid) the move ('up', 'down', 'left', 'right', 'stay') along a shortest
                              path from a to b that avoids the cells in ``avoid`` when possible
    territory(e, against)     cells evader ``e`` reaches strictly before every pursuer cell in
                              ``against`` (default: all pursuers)
    cells_within(cell, r)     free cells at most ``r`` moves from ``cell``
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import numpy as np

from logicdistill.games.pursuit.maps import MOVES, Cell, GridMap
from logicdistill.games.pursuit.rules import PursuitState


class PursuitView:
    __slots__ = (
        "_grid",
        "me",
        "index",
        "pursuers",
        "teammates",
        "evaders",
        "plan",
        "previous",
        "step",
        "steps_left",
        "rule",
        "closed",
        "heading",
    )

    def __init__(self, state: PursuitState, index: int, plan: dict[int, dict], previous: dict):
        self._grid: GridMap = state.grid
        self.index = index
        self.me: Cell = state.pursuers[index]
        self.pursuers: tuple[Cell, ...] = state.pursuers
        self.teammates: dict[int, Cell] = {i: c for i, c in enumerate(state.pursuers) if i != index}
        self.evaders: dict[int, Cell] = state.active_evaders
        self.plan = {i: dict(p) for i, p in plan.items() if i != index}
        self.previous = dict(previous)
        self.step = state.step
        self.steps_left = state.max_steps - state.step
        self.rule = state.rule
        self.closed: frozenset[Cell] = state.closed
        self.heading = state.headings[index] if state.headings else ""

    def dist(self, a: Cell, b: Cell) -> int:
        return self._grid.distance(tuple(a), tuple(b))

    def neighbours(self, cell: Cell) -> list[Cell]:
        return list(self._grid.neighbours[tuple(cell)])

    def exits(self, cell: Cell) -> int:
        return len(self._grid.neighbours[tuple(cell)])

    def path(self, a: Cell, b: Cell) -> list[Cell]:
        a, b, out = tuple(a), tuple(b), []
        to_b = self._grid.distances_from(b)
        while a != b:
            a = min(self._grid.neighbours[a], key=lambda c: to_b[self._grid.cell_index[c]])
            out.append(a)
        return out

    def step_towards(self, a: Cell, b: Cell, avoid: Iterable[Cell] = ()) -> str:
        a, b = tuple(a), tuple(b)
        blocked = {tuple(c) for c in avoid} - {a, b}
        first = _first_step_bfs(self._grid, a, b, blocked) if blocked else None
        if first is None:
            path = self.path(a, b)
            first = path[0] if path else a
        delta = (first[0] - a[0], first[1] - a[1])
        return next(m for m, d in MOVES.items() if d == delta)

    def territory(self, evader: int, against: Iterable[Cell] | None = None) -> list[Cell]:
        grid = self._grid
        hunters = list(self.pursuers if against is None else against)
        own = grid.distances_from(self.evaders[evader])
        if not hunters:
            return list(grid.free_cells)
        nearest = np.min([grid.distances_from(tuple(p)) for p in hunters], axis=0)  # [n_free]
        return [grid.free_cells[i] for i in np.flatnonzero(own < nearest)]

    def cells_within(self, cell: Cell, radius: int) -> list[Cell]:
        grid = self._grid
        return [grid.free_cells[i] for i in np.flatnonzero(grid.distances_from(tuple(cell)) <= radius)]


def _first_step_bfs(grid: GridMap, start: Cell, goal: Cell, blocked: set[Cell]) -> Cell | None:
    """First cell of a shortest start->goal path through unblocked cells, or None if there is none."""
    parent: dict[Cell, Cell] = {start: start}
    queue = deque([start])
    while queue:
        cell = queue.popleft()
        if cell == goal:
            while parent[cell] != start:
                cell = parent[cell]
            return cell
        for nb in grid.neighbours[cell]:
            if nb not in parent and nb not in blocked:
                parent[nb] = cell
                queue.append(nb)
    return None
