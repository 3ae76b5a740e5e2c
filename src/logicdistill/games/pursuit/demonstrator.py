"""The teacher demonstrator for pursuit: scores each candidate function by simulated play.

A candidate is scored by committing this pursuer to it for ``horizon`` steps while teammates keep
their current choices (this step's if made, else last step's), against the very evader policy of
the environment with common random numbers. Captures count most (earlier is better); otherwise a
smaller evader territory and a shorter distance are progress. The labels are therefore outcome-
verified, not guessed, which is what the paper's large teacher is assumed to provide.
"""

from __future__ import annotations

import numpy as np

from logicdistill.agent.loop import run_pipelines, stage_defaults
from logicdistill.agent.selectors import SelectionRequest
from logicdistill.functions import FunctionBase
from logicdistill.games.pursuit.evaders import EvaderPolicy
from logicdistill.games.pursuit.rules import PursuitState, step_state
from logicdistill.games.pursuit.task import PursuitTask
from logicdistill.games.pursuit.view import PursuitView

CAPTURE_VALUE = 1000.0


class PursuitDemonstrator:
    def __init__(self, task: PursuitTask, base: FunctionBase, evader_policy: EvaderPolicy, horizon: int = 8):
        self.task, self.base, self.evader_policy, self.horizon = task, base, evader_policy, horizon
        self.defaults = stage_defaults(task, base)
        self._cache: dict[tuple, float] = {}
        self._cache_key: tuple = ()

    def scores(self, request: SelectionRequest, pending: dict[int, dict[str, str]]) -> dict[str, float]:
        d = request.decision
        if self._cache_key != (id(d.state), d.step_seed):
            self._cache, self._cache_key = {}, (id(d.state), d.step_seed)
        pipes = {
            u: {**self.defaults, **d.last_choices.get(u, {}), **pending.get(u, {})} for u in self.task.units(d.state)
        }
        out = {}
        for cand in request.candidates:
            trial = {u: dict(p) for u, p in pipes.items()}
            trial[d.unit][request.stage.name] = cand.name
            key = tuple(tuple(sorted(p.items())) for _, p in sorted(trial.items()))
            if key not in self._cache:
                self._cache[key] = self.rollout(d.state, trial, d.memory, d.step_seed)
            out[cand.name] = self._cache[key]
        return out

    def rollout(self, state: PursuitState, pipes: dict[int, dict[str, str]], memory: dict, seed: int) -> float:
        rng = np.random.default_rng(seed)
        value = 0.0
        for t in range(self.horizon):
            action, memory = run_pipelines(self.task, self.base, state, pipes, memory)
            nxt = step_state(state, action, self.evader_policy(state, rng))
            value += CAPTURE_VALUE * (sum(nxt.captured) - sum(state.captured)) * (self.horizon - t)
            state = nxt
            if state.done:
                return value
        view = PursuitView(state, 0, {}, {})
        for e, cell in view.evaders.items():
            value -= len(view.territory(e)) + 0.5 * min(state.grid.distance(cell, p) for p in state.pursuers)
        return value
