"""Build any agent by name; the one place that knows which agents exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from logicdistill.agent.loop import LDAgent
from logicdistill.agent.records import StepRecord
from logicdistill.agent.selectors import RandomSelector, TeacherSelector
from logicdistill.errors import UserInputError
from logicdistill.functions import FunctionBase
from logicdistill.functions.check import check_function_base
from logicdistill.retrieval import make_retriever
from logicdistill.tasks.protocol import Task

AGENTS = ("teacher", "random", "greedy", "random-moves")


class Agent(Protocol):
    name: str

    def reset(self, seed: int | None = None) -> None: ...

    def act(self, state: Any) -> tuple[Any, StepRecord]: ...


@dataclass
class AgentOptions:
    base: FunctionBase | None = None  # default: the task's bundled base
    retriever: str = "dense"  # dense | bm25
    top_k: int = 5
    seed: int = 0
    horizon: int = 8  # teacher rollout length


def build_agent(name: str, task: Task, env: Any, options: AgentOptions | None = None) -> Agent:
    options = options or AgentOptions()
    if name in ("greedy", "random-moves"):
        from logicdistill.tasks.pursuit.baselines import GreedyChaseAgent, RandomMovesAgent

        if task.name != "pursuit":
            raise UserInputError(f"agent {name!r} exists for pursuit only")
        return GreedyChaseAgent() if name == "greedy" else RandomMovesAgent(options.seed)
    base = check_function_base(options.base or task.bundled_base(), task)
    if name == "teacher":
        from logicdistill.tasks.pursuit.demonstrator import PursuitDemonstrator

        selector = TeacherSelector(PursuitDemonstrator(task, base, env.evader_policy, options.horizon), base.names())
    elif name == "random":
        selector = RandomSelector(options.seed)
    else:
        raise UserInputError(f"unknown agent {name!r}; agents: {', '.join(AGENTS)}")
    return LDAgent(task, base, make_retriever(options.retriever), selector, options.top_k)
