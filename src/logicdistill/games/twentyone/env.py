"""Two interchangeable 21 Points environments with Gymnasium's ``reset(seed=)`` / ``step()``.

``TwentyOneEnv`` is ours. It draws from its generator exactly as Gymnasium's ``Blackjack-v1``
does (dealer's two cards, player's two, then the face-up card's suit and face, which Gymnasium
picks for rendering), so for the same seed and actions both deal the same cards.
``GymnasiumTwentyOne`` plays in ``gymnasium.make("Blackjack-v1", natural=..., sab=...)`` itself,
so any agent can be checked in an environment nobody here wrote. A hand is an episode; each
decision is a step; actions are 0 (stick) or 1 (hit), or their names; under the surrender rule
(ours only) also 2 (surrender), which ends the hand at once for -0.5 without drawing a card.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from logicdistill.errors import UserInputError
from logicdistill.games.twentyone.rules import (
    DECK,
    HIT,
    SURRENDER,
    SURRENDER_RETURN,
    Rules,
    TwentyOneState,
    as_action,
    get_rules,
    hand_reward,
    hand_value,
)

ENVS = ("ours", "gymnasium")
Step = tuple[TwentyOneState, float, bool, bool, dict[str, Any]]


def observe(
    player: list[int], dealer: list[int], rules: Rules, step: int, done: bool = False, reward: float = 0.0
) -> TwentyOneState:
    total, usable = hand_value(player)
    return TwentyOneState(
        total, dealer[0], usable, rules.name, tuple(player), tuple(dealer) if done else (dealer[0],), step, done, reward
    )


class TwentyOneEnv:
    def __init__(self, rules: str | Rules = "classic"):
        self.rules = get_rules(rules)
        self.np_random = np.random.default_rng()
        self.player: list[int] = []
        self.dealer: list[int] = []
        self.state: TwentyOneState | None = None

    def _draw(self) -> int:
        return int(self.np_random.choice(DECK))

    def reset(self, seed: int | None = None) -> tuple[TwentyOneState, dict[str, Any]]:
        if seed is not None:
            self.np_random = np.random.default_rng(seed)  # what Gymnasium's seeding builds too
        self.dealer = [self._draw(), self._draw()]
        self.player = [self._draw(), self._draw()]
        self.np_random.choice(4)  # Gymnasium's suit for the face-up card
        if self.dealer[0] == 10:
            self.np_random.choice(3)  # and its face (J, Q or K)
        self.state = observe(self.player, self.dealer, self.rules, 0)
        return self.state, {"rules": self.rules.name}

    def step(self, action: Any) -> Step:
        if self.state is None or self.state.done:
            raise RuntimeError("call reset() before step(); a finished hand needs a new reset()")
        step = self.state.step + 1
        action = as_action(action, self.rules.surrender)
        if action == HIT:
            self.player.append(self._draw())
            done, reward = hand_value(self.player)[0] > 21, -1.0
        elif action == SURRENDER:
            done, reward = True, SURRENDER_RETURN
        else:
            while hand_value(self.dealer)[0] < 17:
                self.dealer.append(self._draw())
            done, reward = True, hand_reward(tuple(self.player), tuple(self.dealer), self.rules)
        reward = reward if done else 0.0
        self.state = observe(self.player, self.dealer, self.rules, step, done, reward)
        return self.state, reward, done, False, {"rules": self.rules.name}


class GymnasiumTwentyOne:
    """Gymnasium's own ``Blackjack-v1``, both options always passed (a bare ``gym.make`` means
    sab=True), behind the same interface; the observation comes from Gymnasium, the cards from
    its unwrapped environment."""

    def __init__(self, rules: str | Rules = "classic"):
        import gymnasium

        self.rules = get_rules(rules)
        if self.rules.surrender:
            raise UserInputError(
                f"Gymnasium's Blackjack-v1 has no surrender; play the {self.rules.name} rules "
                "in our environment (--env ours)"
            )
        self.env = gymnasium.make("Blackjack-v1", natural=self.rules.natural, sab=self.rules.sab)
        self.state: TwentyOneState | None = None

    def _observe(self, obs: tuple, step: int, done: bool, reward: float) -> TwentyOneState:
        game = self.env.unwrapped
        dealer = tuple(game.dealer) if done else (game.dealer[0],)
        return TwentyOneState(
            int(obs[0]), int(obs[1]), bool(obs[2]), self.rules.name, tuple(game.player), dealer, step, done, reward
        )

    def reset(self, seed: int | None = None) -> tuple[TwentyOneState, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed)
        self.state = self._observe(obs, 0, False, 0.0)
        return self.state, {"rules": self.rules.name, **info}

    def step(self, action: Any) -> Step:
        if self.state is None or self.state.done:
            raise RuntimeError("call reset() before step(); a finished hand needs a new reset()")
        obs, reward, terminated, truncated, info = self.env.step(as_action(action))
        self.state = self._observe(obs, self.state.step + 1, terminated or truncated, float(reward))
        return self.state, float(reward), terminated, truncated, {"rules": self.rules.name, **info}


def make_env(rules: str | Rules = "classic", env: str = "ours") -> TwentyOneEnv | GymnasiumTwentyOne:
    if env == "ours":
        return TwentyOneEnv(rules)
    if env == "gymnasium":
        return GymnasiumTwentyOne(rules)
    raise UserInputError(f"unknown 21 Points environment {env!r}; choose from {', '.join(ENVS)}")
