"""minigrid's BabyAIBot as a baseline agent: a reference planner nobody here wrote.

The bot plans on the level itself (it reads the cells its visibility mask has covered, and its
own subgoal stack), so it plays on its own copy of the episode's level, forked from the state it
joins at (``BabyAITask.fork``), and takes the same actions as the real episode. It is a ceiling
for a planner with a map of what it has seen, not an LD agent.
"""

from __future__ import annotations

import time
from typing import Any

from logicdistill.agent.records import StepRecord
from minigrid.utils.baby_ai_bot import BabyAIBot

from logicdistill_babyai.env import ACTIONS, BabyAIEnv


class BotDriver:
    """A BabyAIBot on its own copy of an episode (``env``, forked from the episode's state):
    ``suggest()`` is its next action word; ``taken(word)`` plays the action the episode really took
    (the bot's or another agent's), so the bot replans from where the episode is (minigrid's
    "advice" use of the bot)."""

    def __init__(self, env: BabyAIEnv):
        self.env = env
        self.bot = BabyAIBot(self.env.level)
        self.last: int | None = None
        self.failures = 0  # replans that raised (the bot gives up on a few odd states)

    def suggest(self) -> str:
        try:
            index = int(self.bot.replan(self.last))
        except Exception:  # noqa: BLE001 - the bot's own assertion on a state it cannot plan for
            self.failures += 1
            return "turn left"
        return ACTIONS[index] if index < len(ACTIONS) else "turn left"  # index 6 is 'done'

    def taken(self, word: str) -> None:
        self.env.step(word)
        self.last = ACTIONS.index(word)

    def matches(self, state: Any) -> bool:
        mine = self.env.state
        return (mine.variant, mine.seed, mine.step, mine.pos, mine.direction) == (
            state.variant,
            state.seed,
            state.step,
            state.pos,
            state.direction,
        )


class BabyAIBotAgent:
    name = "bot"

    def __init__(self, task: Any) -> None:
        self.task = task
        self.driver: BotDriver | None = None

    def reset(self, seed: int | None = None) -> None:
        self.driver = None

    def act(self, state: Any) -> tuple[str, StepRecord]:
        start = time.perf_counter()
        if self.driver is None or not self.driver.matches(state):
            env = self.task.fork(state)
            if env is None:
                raise RuntimeError("the bot plans on the level: it needs a state an environment dealt")
            self.driver = BotDriver(env)
        word = self.driver.suggest()
        self.driver.taken(word)
        return word, StepRecord(state.step, word, [], (time.perf_counter() - start) * 1000)
