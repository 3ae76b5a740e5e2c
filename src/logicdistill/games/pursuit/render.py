"""Rendering: ASCII for the terminal, and an animated replay (GIF, or APNG for ``.png``)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from logicdistill.errors import UserInputError
from logicdistill.games.pursuit.rules import PursuitState

WALL, FREE, GRIDLINE = (60, 60, 70), (245, 245, 240), (220, 220, 215)
BLUE, ORANGE, INK = (40, 90, 200), (240, 140, 20), (255, 255, 255)


def render_ascii(state: PursuitState) -> str:
    """Walls '#', free '.', pursuers as their index digit, free evaders 'E', a pursuer that just
    captured on an evader's cell shows its digit."""
    grid = [list(row) for row in state.grid.rows]
    for r, c in state.active_evaders.values():
        grid[r][c] = "E"
    for i, (r, c) in enumerate(state.pursuers):
        grid[r][c] = str(i % 10)
    captured = sum(state.captured)
    header = f"step {state.step}/{state.max_steps}  captured {captured}/{len(state.evaders)}"
    return header + "\n" + "\n".join("".join(row) for row in grid)


def render_frame(state: PursuitState, cell: int = 24) -> Image.Image:
    grid = state.grid
    header = 18
    img = Image.new("RGB", (grid.width * cell, grid.height * cell + header), FREE)
    draw = ImageDraw.Draw(img)
    for r, row in enumerate(grid.rows):
        for c, ch in enumerate(row):
            box = (c * cell, header + r * cell, (c + 1) * cell - 1, header + (r + 1) * cell - 1)
            draw.rectangle(box, fill=WALL if ch == "#" else FREE, outline=GRIDLINE)
    pad = cell // 6
    for r, c in state.active_evaders.values():
        draw.ellipse(
            (c * cell + pad, header + r * cell + pad, (c + 1) * cell - pad, header + (r + 1) * cell - pad), fill=ORANGE
        )
    for i, (r, c) in enumerate(state.pursuers):
        draw.rectangle(
            (c * cell + pad, header + r * cell + pad, (c + 1) * cell - pad, header + (r + 1) * cell - pad), fill=BLUE
        )
        draw.text((c * cell + cell // 2, header + r * cell + cell // 2), str(i), fill=INK, anchor="mm")
    status = f"{grid.name}  step {state.step}/{state.max_steps}  captured {sum(state.captured)}/{len(state.evaders)}"
    draw.text((4, header // 2), status, fill=(0, 0, 0), anchor="lm")
    return img


def save_replay(states: list[PursuitState], path: str | Path, ms_per_step: int = 200) -> Path:
    """An animated replay of an episode; the last frame is held a little longer."""
    path = Path(path)
    if path.suffix.lower() not in (".gif", ".png"):
        raise UserInputError(f"replay must be a .gif or .png file, got {path.name}")
    if not states:
        raise UserInputError("nothing to render: the episode has no states")
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = [render_frame(s) for s in states]
    durations = [ms_per_step] * (len(frames) - 1) + [ms_per_step * 5]
    tmp = path.with_name(f".{path.name}.tmp")
    frames[0].save(
        tmp, format=path.suffix[1:].upper(), save_all=True, append_images=frames[1:], duration=durations, loop=0
    )
    tmp.replace(path)
    return path
