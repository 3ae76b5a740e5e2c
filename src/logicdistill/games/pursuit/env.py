"""The pursuit environment, with Gymnasium's ``reset(seed=)`` / ``step()`` conventions.

The environment holds only the episode's state and its seeded generator; the rules live in
``rules.py`` and the evaders in ``evaders.py``. Evaders are part of the environment: ``step``
takes the pursuers' moves and lets the evader policy answer simultaneously. An emergency rule
(``PursuitConfig.emergency``, see ``rules.EMERGENCY_RULES``) is carried by every state it deals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from logicdistill.errors import UserInputError
from logicdistill.games.pursuit.evaders import EVADER_POLICIES, EvaderPolicy
from logicdistill.games.pursuit.maps import GridMap, draw_starts, fixed_starts, resolve_map
from logicdistill.games.pursuit.rules import PursuitState, closed_cells, emergency_rule, step_state


@dataclass
class PursuitConfig:
    """One environment's parameters: ``task.PursuitSettings`` (what users set) with the map chosen."""

    map: str = "arena"  # bundled map name, path to a map file, or generated:SEED[:HxW]
    n_pursuers: int = 3
    n_evaders: int = 2
    max_steps: int = 100
    evader: str = "smart"  # random | greedy | smart | llm
    fixed_starts: bool = False  # use the map's P/E marks instead of seeded random starts
    evader_model: str | None = None  # for evader == "llm"
    evader_base_url: str | None = None
    emergency: str | None = None  # an emergency rule in force (a key of rules.EMERGENCY_RULES)


class PursuitEnv:
    def __init__(
        self,
        grid: GridMap,
        evader_policy: EvaderPolicy,
        n_pursuers: int = 3,
        n_evaders: int = 2,
        max_steps: int = 100,
        use_fixed_starts: bool = False,
        emergency: str | None = None,
    ):
        if n_pursuers < 1 or n_evaders < 1 or max_steps < 1:
            raise UserInputError("pursuit needs at least one pursuer, one evader and one step")
        self.emergency = emergency_rule(emergency)
        self.grid = grid
        self.evader_policy = evader_policy
        self.n_pursuers, self.n_evaders, self.max_steps = n_pursuers, n_evaders, max_steps
        self.use_fixed_starts = use_fixed_starts
        self.np_random = np.random.default_rng()
        self.state: PursuitState | None = None

    def reset(self, seed: int | None = None) -> tuple[PursuitState, dict[str, Any]]:
        if seed is not None:
            self.np_random = np.random.default_rng(seed)
        if self.use_fixed_starts:
            pursuers, evaders = fixed_starts(self.grid, self.n_pursuers, self.n_evaders)
        else:
            pursuers, evaders = draw_starts(
                self.grid,
                self.n_pursuers,
                self.n_evaders,
                self.np_random,
                exclude=closed_cells(self.grid, self.emergency),
            )
        self.state = PursuitState(
            grid=self.grid,
            pursuers=pursuers,
            evaders=evaders,
            captured=(False,) * len(evaders),
            max_steps=self.max_steps,
            rule=self.emergency,
        )
        return self.state, {"map": self.grid.name}

    def step(self, pursuer_moves: tuple[str, ...]) -> tuple[PursuitState, float, bool, bool, dict[str, Any]]:
        """Returns ``(state, reward, terminated, truncated, info)``; reward = evaders captured now."""
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        if self.state.done:
            raise RuntimeError("the episode is over; call reset()")
        before = sum(self.state.captured)
        evader_moves = self.evader_policy(self.state, self.np_random)
        self.state = step_state(self.state, tuple(pursuer_moves), evader_moves)
        reward = float(sum(self.state.captured) - before)
        terminated = self.state.success
        truncated = not terminated and self.state.step >= self.max_steps
        return self.state, reward, terminated, truncated, {"evader_moves": evader_moves}


def make_env(config: PursuitConfig) -> PursuitEnv:
    """Build the environment a config describes (the one place that knows every evader kind)."""
    grid = resolve_map(config.map)
    if config.evader == "llm":
        from logicdistill.games.pursuit.llm_evader import LLMEvader

        if not config.evader_model:
            raise UserInputError("--evader llm needs --evader-model (and usually --evader-base-url)")
        policy: EvaderPolicy = LLMEvader(config.evader_model, config.evader_base_url)
    elif config.evader in EVADER_POLICIES:
        policy = EVADER_POLICIES[config.evader]
    else:
        raise UserInputError(f"unknown evader {config.evader!r}; choose from {', '.join([*EVADER_POLICIES, 'llm'])}")
    return PursuitEnv(
        grid, policy, config.n_pursuers, config.n_evaders, config.max_steps, config.fixed_starts, config.emergency
    )


TEST_MAPS = ("courtyard", "warehouse")  # never in training data: the held-out maps of every comparison
# (PursuitSettings.held_out)
