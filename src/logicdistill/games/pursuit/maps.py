"""Grid maps for the pursuit game: plain-text files, parsing with line-numbered errors,
precomputed shortest-path distances, a seeded generator and seeded start positions.

Map file format (one row per line, all rows the same width)::

    ; optional comment lines start with ';'
    #########
    #P..#..E#
    #.......#
    #########

``#`` wall, ``.`` free, ``P`` default pursuer start, ``E`` default evader start.
Cells are ``(row, col)`` tuples; row 0 is the top line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, shortest_path

from logicdistill.errors import UserInputError
from logicdistill.userfiles import KiB, read_user_text

Cell = tuple[int, int]
MAP_CHARS = {"#", ".", "P", "E"}
MOVES: dict[str, Cell] = {"stay": (0, 0), "up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
UNREACHABLE = 10_000
# Every map's all-pairs distances are kept in memory (n free cells -> n^2 entries), in the main
# process and in each sandbox worker, whose memory limit (512 MiB by default) must hold them: 80x80
# takes about 2.5 s there, 101x101 runs out of it. Larger grids are refused.
MAX_SIDE = 80
MAX_MAP_BYTES = 256 * KiB  # an 80x80 map is 6.5 KiB; the rest is room for comments


class MapError(UserInputError):
    """A map file or map text that cannot be used."""


@dataclass(frozen=True, eq=False)
class GridMap:
    """An immutable grid; distances are computed once per map and shared by every episode."""

    name: str
    rows: tuple[str, ...]  # '#' or '.', start marks removed
    pursuer_starts: tuple[Cell, ...] = ()
    evader_starts: tuple[Cell, ...] = ()
    source: str = field(default="<memory>", compare=False)

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return len(self.rows[0])

    def is_free(self, cell: Cell) -> bool:
        r, c = cell
        return 0 <= r < self.height and 0 <= c < self.width and self.rows[r][c] != "#"

    @cached_property
    def free_cells(self) -> tuple[Cell, ...]:
        return tuple((r, c) for r, row in enumerate(self.rows) for c, ch in enumerate(row) if ch != "#")

    @cached_property
    def cell_index(self) -> dict[Cell, int]:
        return {cell: i for i, cell in enumerate(self.free_cells)}

    @cached_property
    def neighbours(self) -> dict[Cell, tuple[Cell, ...]]:
        """Free 4-neighbours of every free cell (the cell itself excluded)."""
        out = {}
        for r, c in self.free_cells:
            out[(r, c)] = tuple(
                (r + dr, c + dc) for dr, dc in list(MOVES.values())[1:] if self.is_free((r + dr, c + dc))
            )
        return out

    @cached_property
    def distances(self) -> np.ndarray:
        """All-pairs shortest-path lengths between free cells, ``UNREACHABLE`` if disconnected."""
        n = len(self.free_cells)
        src, dst = [], []
        for cell, nbrs in self.neighbours.items():
            for nb in nbrs:
                src.append(self.cell_index[cell])
                dst.append(self.cell_index[nb])
        graph = csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
        dist = shortest_path(graph, unweighted=True, directed=False)  # [n, n] float, inf if apart
        dist[np.isinf(dist)] = UNREACHABLE
        return dist.astype(np.int32)

    def distance(self, a: Cell, b: Cell) -> int:
        return int(self.distances[self.cell_index[a], self.cell_index[b]])

    def distances_from(self, cell: Cell) -> np.ndarray:
        return self.distances[self.cell_index[cell]]

    @cached_property
    def diameter(self) -> int:
        return int(self.distances.max())

    def is_connected(self) -> bool:
        return self.diameter < UNREACHABLE

    def text(self) -> str:
        """The map in file format, start marks included."""
        grid = [list(row) for row in self.rows]
        for r, c in self.pursuer_starts:
            grid[r][c] = "P"
        for r, c in self.evader_starts:
            grid[r][c] = "E"
        return "\n".join("".join(row) for row in grid) + "\n"


def parse_map(text: str, name: str = "map", source: str = "<memory>") -> GridMap:
    """Parse map text; every error names the file and line so a user can fix it."""
    rows: list[tuple[int, str]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line or line.startswith(";"):
            continue
        bad = sorted(set(line) - MAP_CHARS)
        if bad:
            col = min(line.index(ch) for ch in bad) + 1
            raise MapError(
                f"{source}:{lineno}:{col}: unexpected character {line[col - 1]!r}; "
                "a map uses only '#' wall, '.' free, 'P' pursuer start, 'E' evader start"
            )
        if len(line) > MAX_SIDE:
            raise MapError(f"{source}:{lineno}: row is {len(line)} cells wide; maps are at most {MAX_SIDE} wide")
        if rows and len(line) != len(rows[0][1]):
            raise MapError(
                f"{source}:{lineno}: row has width {len(line)}, but the first row "
                f"(line {rows[0][0]}) has width {len(rows[0][1])}; all rows must be equally wide"
            )
        rows.append((lineno, line))
    if not rows:
        raise MapError(f"{source}: no map rows found (empty file or only comments)")
    _check_size(len(rows), len(rows[0][1]), source)
    pursuers = tuple((r, c) for r, (_, line) in enumerate(rows) for c, ch in enumerate(line) if ch == "P")
    evaders = tuple((r, c) for r, (_, line) in enumerate(rows) for c, ch in enumerate(line) if ch == "E")
    clean = tuple(line.replace("P", ".").replace("E", ".") for _, line in rows)
    grid = GridMap(name=name, rows=clean, pursuer_starts=pursuers, evader_starts=evaders, source=source)
    if len(grid.free_cells) < 2:
        raise MapError(f"{source}: a map needs at least two free cells")
    if not grid.is_connected():
        far = next(c for c in grid.free_cells if grid.distance(grid.free_cells[0], c) >= UNREACHABLE)
        raise MapError(
            f"{source}:{rows[far[0]][0]}: free cell at column {far[1] + 1} cannot be reached from "
            f"line {rows[grid.free_cells[0][0]][0]} column {grid.free_cells[0][1] + 1}; "
            "every free cell must be connected"
        )
    return grid


def _check_size(height: int, width: int, source: str) -> None:
    if height > MAX_SIDE or width > MAX_SIDE:
        raise MapError(
            f"{source}: a map of {height}x{width} cells is too large; maps are at most {MAX_SIDE}x{MAX_SIDE}"
        )


def load_map(path: str | Path) -> GridMap:
    path = Path(path)
    try:
        text = read_user_text(path, MAX_MAP_BYTES, "map file")
    except UserInputError as exc:
        raise MapError(str(exc)) from None
    return parse_map(text, name=path.stem, source=str(path))


def bundled_map_names() -> list[str]:
    files = resources.files("logicdistill.games.pursuit") / "maps"
    return sorted(p.name.removesuffix(".txt") for p in files.iterdir() if p.name.endswith(".txt"))


def bundled_map(name: str) -> GridMap:
    files = resources.files("logicdistill.games.pursuit") / "maps"
    if name not in bundled_map_names():
        raise MapError(f"no bundled map {name!r}; bundled maps: {', '.join(bundled_map_names())}")
    path = files / f"{name}.txt"
    return parse_map(path.read_text(encoding="utf-8"), name=name, source=f"bundled:{name}.txt")


def resolve_map(spec: str) -> GridMap:
    """A bundled map name, ``generated:SEED[:HxW]``, or a path to a map file."""
    if spec.startswith("generated:"):
        parts = spec.split(":")
        try:
            if len(parts) > 3:
                raise ValueError
            seed = int(parts[1])
            h, w = (int(x) for x in parts[2].lower().split("x")) if len(parts) > 2 else (15, 21)
        except (ValueError, IndexError):
            raise MapError(f"bad generated map spec {spec!r}; expected generated:SEED or generated:SEED:HxW") from None
        if seed < 0:
            raise MapError(f"bad generated map spec {spec!r}: the seed must not be negative")
        return generate_map(seed, height=h, width=w)
    if spec in bundled_map_names():
        return bundled_map(spec)
    return load_map(spec)


def generate_map(seed: int, height: int = 15, width: int = 21, wall_fraction: float = 0.22) -> GridMap:
    """A random walled map with rectangular obstacles; cells cut off by obstacles are filled in,
    so the result is always connected (and has loops wherever obstacles leave gaps)."""
    if height < 5 or width < 5:
        raise MapError(f"generated maps need at least 5x5 cells, got {height}x{width}")
    _check_size(height, width, f"generated:{seed}")
    rng = np.random.default_rng(seed)
    walls = np.zeros((height, width), dtype=bool)
    walls[0, :] = walls[-1, :] = walls[:, 0] = walls[:, -1] = True
    interior = (height - 2) * (width - 2)
    while walls[1:-1, 1:-1].sum() < wall_fraction * interior:
        h, w = rng.integers(1, 4, size=2)
        r, c = rng.integers(1, height - 1), rng.integers(1, width - 1)
        walls[r : r + h, c : c + w] = True
        walls[0, :] = walls[-1, :] = walls[:, 0] = walls[:, -1] = True
    free = np.flatnonzero(~walls)
    index = {int(f): i for i, f in enumerate(free)}
    src, dst = [], []
    for f in free:
        r, c = divmod(int(f), width)
        for dr, dc in ((1, 0), (0, 1)):
            nb = (r + dr) * width + (c + dc)
            if r + dr < height and c + dc < width and nb in index:
                src.append(index[int(f)])
                dst.append(index[nb])
    graph = csr_matrix((np.ones(len(src)), (src, dst)), shape=(len(free), len(free)))
    _, labels = connected_components(graph, directed=False)
    largest = np.bincount(labels).argmax()
    walls.flat[free[labels != largest]] = True
    rows = tuple("".join("#" if w else "." for w in row) for row in walls)
    return GridMap(name=f"generated-{seed}-{height}x{width}", rows=rows, source=f"generated:{seed}")


def draw_starts(
    grid: GridMap,
    n_pursuers: int,
    n_evaders: int,
    rng: np.random.Generator,
    min_distance: int | None = None,
    exclude: frozenset[Cell] = frozenset(),
) -> tuple[tuple[Cell, ...], tuple[Cell, ...]]:
    """Seeded random starts: distinct cells outside ``exclude`` (a closed zone), every evader at
    least ``min_distance`` from every pursuer (default: a third of the map's diameter), so each
    seed is a different game."""
    cells = tuple(c for c in grid.free_cells if c not in exclude)
    if n_pursuers + n_evaders > len(cells):
        raise MapError(f"{grid.name}: {len(cells)} free cells cannot hold {n_pursuers + n_evaders} agents")
    min_distance = max(1, max(3, grid.diameter // 3) if min_distance is None else min_distance)
    for attempt in range(1000):
        pursuers = [cells[i] for i in rng.choice(len(cells), size=n_pursuers, replace=False)]
        dmin = np.min([grid.distances_from(p) for p in pursuers], axis=0)  # [n_free]
        allowed = [c for c in cells if dmin[grid.cell_index[c]] >= min_distance]
        if len(allowed) >= n_evaders:
            evaders = [allowed[i] for i in rng.choice(len(allowed), size=n_evaders, replace=False)]
            return tuple(pursuers), tuple(evaders)
        if attempt % 50 == 49:  # crowded map: relax the distance rather than fail
            min_distance = max(1, min_distance - 1)
    raise MapError(f"{grid.name}: could not place {n_evaders} evaders away from {n_pursuers} pursuers")


def fixed_starts(grid: GridMap, n_pursuers: int, n_evaders: int) -> tuple[tuple[Cell, ...], tuple[Cell, ...]]:
    """The map's own P/E marks (``--fixed-starts``)."""
    if len(grid.pursuer_starts) < n_pursuers or len(grid.evader_starts) < n_evaders:
        raise MapError(
            f"{grid.source}: --fixed-starts needs {n_pursuers} 'P' and {n_evaders} 'E' marks, "
            f"the map has {len(grid.pursuer_starts)} and {len(grid.evader_starts)}"
        )
    return grid.pursuer_starts[:n_pursuers], grid.evader_starts[:n_evaders]
