"""The pursuit game's rules as small pure functions over an immutable state.

Moves are simultaneous. A move into a wall or off the map is a stay. Two agents of the same team
never share a cell: when several claim one, an agent that stays keeps its cell, otherwise the
lowest index wins, and the losers stay (repeated until no conflict is left). An evader is captured
when a pursuer ends on its cell or when the two swap cells. Captured evaders leave the board.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from logicdistill.tasks.pursuit.maps import MOVES, Cell, GridMap


@dataclass(frozen=True)
class PursuitState:
    grid: GridMap
    pursuers: tuple[Cell, ...]
    evaders: tuple[Cell, ...]
    captured: tuple[bool, ...]
    step: int = 0
    max_steps: int = 100

    @property
    def active_evaders(self) -> dict[int, Cell]:
        return {i: cell for i, cell in enumerate(self.evaders) if not self.captured[i]}

    @property
    def success(self) -> bool:
        return all(self.captured)

    @property
    def done(self) -> bool:
        return self.success or self.step >= self.max_steps


def move_target(grid: GridMap, cell: Cell, move: str) -> Cell:
    """Where ``move`` takes an agent from ``cell``; walls and the border make it a stay."""
    dr, dc = MOVES[move]
    nxt = (cell[0] + dr, cell[1] + dc)
    return nxt if grid.is_free(nxt) else cell


def legal_moves(grid: GridMap, cell: Cell) -> list[str]:
    """Moves that change the cell, plus ``stay``, in the fixed order of ``MOVES``."""
    return [m for m in MOVES if m == "stay" or move_target(grid, cell, m) != cell]


def resolve_moves(grid: GridMap, positions: tuple[Cell, ...], moves: tuple[str, ...]) -> tuple[Cell, ...]:
    """Apply one team's simultaneous moves so that no two of its agents share a cell."""
    if len(set(positions)) != len(positions):
        raise ValueError(f"agents of one team already share a cell: {positions}")
    wanted = [move_target(grid, p, m) for p, m in zip(positions, moves)]
    final = list(wanted)
    while True:
        claims: dict[Cell, list[int]] = {}
        for i, cell in enumerate(final):
            claims.setdefault(cell, []).append(i)
        conflicts = [ids for ids in claims.values() if len(ids) > 1]
        if not conflicts:
            return tuple(final)
        for ids in conflicts:
            stayers = [i for i in ids if final[i] == positions[i]]
            keeper = stayers[0] if stayers else ids[0]
            for i in ids:
                if i != keeper:
                    final[i] = positions[i]


def captured_after(
    old_p: tuple[Cell, ...],
    new_p: tuple[Cell, ...],
    old_e: tuple[Cell, ...],
    new_e: tuple[Cell, ...],
    captured: tuple[bool, ...],
) -> tuple[bool, ...]:
    """Capture by landing on the evader's cell or by swapping cells with it."""
    landed = set(new_p)
    swaps = {(a, b) for a, b in zip(old_p, new_p)}
    return tuple(
        was or new_e[i] in landed or (new_e[i], old_e[i]) in swaps for i, was in enumerate(captured)
    )


def step_state(state: PursuitState, pursuer_moves: tuple[str, ...], evader_moves: tuple[str, ...]) -> PursuitState:
    """One simultaneous step; captured evaders do not move."""
    if len(pursuer_moves) != len(state.pursuers) or len(evader_moves) != len(state.evaders):
        raise ValueError(
            f"expected {len(state.pursuers)} pursuer and {len(state.evaders)} evader moves, "
            f"got {len(pursuer_moves)} and {len(evader_moves)}"
        )
    for m in (*pursuer_moves, *evader_moves):
        if m not in MOVES:
            raise ValueError(f"unknown move {m!r}; moves are {', '.join(MOVES)}")
    new_p = resolve_moves(state.grid, state.pursuers, pursuer_moves)
    active = [i for i in range(len(state.evaders)) if not state.captured[i]]
    moved = resolve_moves(state.grid, tuple(state.evaders[i] for i in active), tuple(evader_moves[i] for i in active))
    new_e = list(state.evaders)
    for i, cell in zip(active, moved):
        new_e[i] = cell
    captured = captured_after(state.pursuers, new_p, state.evaders, tuple(new_e), state.captured)
    return replace(state, pursuers=new_p, evaders=tuple(new_e), captured=captured, step=state.step + 1)
