"""Pursuit states on which untrusted functions are verified: a few steps of seeded games on three
bundled maps of different shapes (a loop, a maze, rooms), the largest bundled map and a generated
map larger than any bundled one, played by the task's always-valid fallback pipeline against
greedy evaders; the same states late in an episode (a function may misbehave only when few steps
are left); and states with one evader already captured (a function that assumes every evader is
still free fails there). Under an emergency rule the games are played under that rule, so a
function is checked against it too."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from logicdistill.functions.verification.samples import Sample, SampleSet
from logicdistill.games.pursuit.evaders import greedy_evader
from logicdistill.games.pursuit.maps import MOVES, draw_starts, resolve_map
from logicdistill.games.pursuit.rules import PursuitState, closed_cells, step_state

MAPS = (("ring", 1), ("maze", 2), ("rooms", 3), ("corridors", 4), ("generated:5:41x41", 5))  # (map, seed)
STEPS = (0, 5, 10)
LATE_STEPS = (50, 98, 99)  # with the default limit of 100 steps: mid-game, the last two


def verification_samples(task) -> SampleSet:
    samples = []
    for name, seed in MAPS:
        samples += _episode_samples(task, name, seed)
    last = [sample for sample in samples if sample.label.endswith(f"step {STEPS[-1]}")]
    samples += [
        Sample(f"{sample.label} as step {step}", replace(sample.state, step=step), sample.memory)
        for sample in last
        for step in LATE_STEPS
    ]
    for evader, sample in enumerate(samples[1:3]):  # one state per evader with that evader captured
        captured = tuple(i == evader for i in range(len(sample.state.evaders)))
        samples.append(
            Sample(f"{sample.label}, evader {evader} captured", replace(sample.state, captured=captured), sample.memory)
        )
    return SampleSet(tuple(samples), is_legal)


def _episode_samples(task, name: str, seed: int) -> list[Sample]:
    grid, rng, rule = resolve_map(name), np.random.default_rng(seed), task.emergency
    pursuers, evaders = draw_starts(grid, 3, 2, rng, exclude=closed_cells(grid, rule))
    state = PursuitState(grid, pursuers, evaders, (False,) * len(evaders), rule=rule)
    memory: dict[int, dict[str, Any]] = {}
    out = []
    while state.step <= STEPS[-1] and not state.done:
        if state.step in STEPS:
            out.append(Sample(f"map {name} seed {seed} step {state.step}", state, memory))
        memory = {u: {} for u in task.units(state)}
        for stage in task.stages:
            for u in task.units(state):
                memory[u][stage.result] = task.fallback(stage, state, u, memory[u])
        state = step_state(state, task.to_action(state, memory), greedy_evader(state, rng))
    return out


def is_legal(state: PursuitState, action: Any) -> bool:
    """One move per pursuer, each a move name."""
    return (
        isinstance(action, tuple)
        and len(action) == len(state.pursuers)
        and all(isinstance(m, str) and m in MOVES for m in action)
    )
