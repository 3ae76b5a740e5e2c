"""The pursuit game's rules as small pure functions over an immutable state.

Moves are simultaneous. A move into a wall or off the map is a stay. Two agents of the same team
never share a cell: when several claim one, an agent that stays keeps its cell, otherwise the
lowest index wins, and the losers stay (repeated until no conflict is left). An evader is captured
when a pursuer ends on its cell or when the two swap cells. Captured evaders leave the board.

An emergency rule (``PursuitState.rule``, off by default) changes the game; see ``EMERGENCY_RULES``.
The rule lives in the state, so the environment, the teacher's simulated play and the task's result
check all enforce the same rule.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from functools import lru_cache

from logicdistill.errors import UserInputError
from logicdistill.games.pursuit.maps import MOVES, Cell, GridMap

# Emergency rule name -> the rule in plain words (what the task instruction gains when it is on).
EMERGENCY_RULES = {
    "closed_zone": "The closed zone, a block of cells in the middle of the map, is closed to everyone: a move "
    "into it is a stay.",
    "no_u_turn": "Pursuers cannot turn straight back: a pursuer's move opposite to its last move is a stay, "
    "unless walls or teammates block every other way.",
    "box_in": "Landing on an evader no longer catches it: an evader is caught when pursuers stand on every "
    "open cell next to it.",
}
OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}
ZONE_SIZE = 9  # cells in the closed zone


def emergency_rule(name: str | None) -> str:
    """The rule's name checked against ``EMERGENCY_RULES`` ("" for none)."""
    if name and name not in EMERGENCY_RULES:
        raise UserInputError(f"unknown pursuit emergency rule {name!r}; rules: {', '.join(EMERGENCY_RULES)}")
    return name or ""


@dataclass(frozen=True)
class PursuitState:
    grid: GridMap
    pursuers: tuple[Cell, ...]
    evaders: tuple[Cell, ...]
    captured: tuple[bool, ...]
    step: int = 0
    max_steps: int = 100
    rule: str = ""  # the emergency rule in force (a key of EMERGENCY_RULES), "" for none
    headings: tuple[str, ...] = ()  # no_u_turn: each pursuer's last move that changed its cell ("" before)

    @property
    def closed(self) -> frozenset[Cell]:
        """Cells nobody may enter (the closed zone, under that rule only)."""
        return closed_cells(self.grid, self.rule)

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


def closed_cells(grid: GridMap, rule: str) -> frozenset[Cell]:
    """Cells nobody may enter under ``rule``: the closed zone, or none."""
    return closed_zone(grid) if rule == "closed_zone" else frozenset()


@lru_cache(maxsize=64)
def closed_zone(grid: GridMap) -> frozenset[Cell]:
    """``ZONE_SIZE`` cells grown breadth-first from the free cell nearest the map's centre, skipping
    any cell whose closing would cut the open cells apart, so every open cell stays reachable."""
    centre = ((grid.height - 1) / 2, (grid.width - 1) / 2)
    start = min(grid.free_cells, key=lambda c: (abs(c[0] - centre[0]) + abs(c[1] - centre[1]), c))
    zone: set[Cell] = set()
    seen, queue = {start}, deque([start])
    while queue and len(zone) < ZONE_SIZE:
        cell = queue.popleft()
        if _connected(grid, zone | {cell}):
            zone.add(cell)
        for nb in sorted(grid.neighbours[cell]):
            if nb not in seen:
                seen.add(nb)
                queue.append(nb)
    return frozenset(zone)


def _connected(grid: GridMap, removed: set[Cell]) -> bool:
    """Whether the free cells outside ``removed`` form one connected region."""
    cells = [c for c in grid.free_cells if c not in removed]
    seen, queue = {cells[0]}, deque(cells[:1])
    while queue:
        for nb in grid.neighbours[queue.popleft()]:
            if nb not in seen and nb not in removed:
                seen.add(nb)
                queue.append(nb)
    return len(seen) == len(cells)


def rule_violation(state: PursuitState, unit: int, move: str) -> str | None:
    """Why the rule in force does not let pursuer ``unit`` make ``move`` as asked, or None."""
    me = state.pursuers[unit]
    cell = move_target(state.grid, me, move)
    if cell in state.closed:
        return f"{move!r} enters the closed zone"
    if state.rule == "no_u_turn" and state.headings and move == OPPOSITE.get(state.headings[unit]):
        if any(c != cell and c not in state.pursuers for c in state.grid.neighbours[me]):
            return f"{move!r} turns straight back while another way is open"
    return None


def enforce_pursuer_moves(state: PursuitState, moves: tuple[str, ...]) -> tuple[str, ...]:
    """The pursuers' moves as the rule in force lets them happen: a move it forbids is a stay."""
    return tuple(m if rule_violation(state, unit, m) is None else "stay" for unit, m in enumerate(moves))


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
    return tuple(was or new_e[i] in landed or (new_e[i], old_e[i]) in swaps for i, was in enumerate(captured))


def boxed_in(
    grid: GridMap, new_p: tuple[Cell, ...], new_e: tuple[Cell, ...], captured: tuple[bool, ...]
) -> tuple[bool, ...]:
    """Capture under the box_in rule: pursuers stand on every open cell next to the evader."""
    held = set(new_p)
    return tuple(was or set(grid.neighbours[e]) <= held for was, e in zip(captured, new_e))


def step_state(state: PursuitState, pursuer_moves: tuple[str, ...], evader_moves: tuple[str, ...]) -> PursuitState:
    """One simultaneous step under the rule in force; captured evaders do not move."""
    if len(pursuer_moves) != len(state.pursuers) or len(evader_moves) != len(state.evaders):
        raise ValueError(
            f"expected {len(state.pursuers)} pursuer and {len(state.evaders)} evader moves, "
            f"got {len(pursuer_moves)} and {len(evader_moves)}"
        )
    for m in (*pursuer_moves, *evader_moves):
        if m not in MOVES:
            raise ValueError(f"unknown move {m!r}; moves are {', '.join(MOVES)}")
    new_p = resolve_moves(state.grid, state.pursuers, enforce_pursuer_moves(state, pursuer_moves))
    active = [i for i in range(len(state.evaders)) if not state.captured[i]]
    cells = tuple(state.evaders[i] for i in active)
    moves = tuple(
        "stay" if move_target(state.grid, c, evader_moves[i]) in state.closed else evader_moves[i]
        for i, c in zip(active, cells)
    )
    new_e = list(state.evaders)
    for i, cell in zip(active, resolve_moves(state.grid, cells, moves)):
        new_e[i] = cell
    if state.rule == "box_in":
        captured = boxed_in(state.grid, new_p, tuple(new_e), state.captured)
    else:
        captured = captured_after(state.pursuers, new_p, state.evaders, tuple(new_e), state.captured)
    headings = _headings(state, new_p) if state.rule == "no_u_turn" else state.headings
    return replace(
        state, pursuers=new_p, evaders=tuple(new_e), captured=captured, step=state.step + 1, headings=headings
    )


def _headings(state: PursuitState, new_p: tuple[Cell, ...]) -> tuple[str, ...]:
    """Each pursuer's last move that changed its cell, after this step."""
    old = state.headings or ("",) * len(state.pursuers)
    moved = {delta: m for m, delta in MOVES.items()}
    return tuple(h if a == b else moved[(b[0] - a[0], b[1] - a[1])] for h, a, b in zip(old, state.pursuers, new_p))
