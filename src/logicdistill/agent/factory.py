"""Build any agent by name; the one place that knows which agents exist."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from logicdistill.agent.loop import LDAgent
from logicdistill.agent.records import StepRecord
from logicdistill.agent.selectors import RandomSelector, TeacherSelector
from logicdistill.errors import UserInputError
from logicdistill.functions import FunctionBase
from logicdistill.functions.check import check_function_base
from logicdistill.retrieval import make_retriever
from logicdistill.tasks.api import Task

if TYPE_CHECKING:
    from logicdistill.agent.llm_teacher import LLMTeacherConfig

AGENTS = ("teacher", "random", "ld", "kd", "zero-shot-ld", "zero-shot")  # and each task's ``baselines``
STUDENT_AGENTS = {"ld": "ld", "kd": "kd", "zero-shot-ld": None, "zero-shot": None}  # agent -> run mode needed
LLM = "llm"  # the generic demonstrator of every task: a teacher LLM answers (``agent.llm_teacher``)


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
    horizon: int | None = None  # the demonstrator's look-ahead in steps (None: the task's ``horizon``)
    min_gain: float | None = None  # score gain the teacher needs to leave a stage's default (None: the task's)
    demonstrator: str | None = None  # which offline teacher labels choices (None: the task's first), or LLM
    llm: LLMTeacherConfig | None = None  # the teacher LLM where ``demonstrator`` is LLM
    run: Path | None = None  # a trained run folder, for ld and kd
    student: str | None = None  # model path or id for the zero-shot agents; None = bundled SmolLM2
    dtype: str = "auto"  # student weights: auto (bf16 where the hardware has it) | float32 | bfloat16


def build_agent(name: str, task: Task, env: Any, options: AgentOptions | None = None) -> Agent:
    options = options or AgentOptions()
    if name in task.baselines:
        return task.baseline(name, options.seed, env)
    if name in ("kd", "zero-shot"):
        from logicdistill.agent.students import DirectActionAgent

        return DirectActionAgent(student_for(name, options), task, list(task.actions), name)
    base = check_function_base(options.base or task.bundled_base(), task)
    if name in ("ld", "zero-shot-ld"):
        from logicdistill.agent.students import StudentSelector

        selector = StudentSelector(student_for(name, options), task, name)
    elif name == "teacher" and options.demonstrator == LLM:
        selector = _llm_teacher(task, base, options)
    elif name == "teacher":
        min_gain = task.min_gain if options.min_gain is None else options.min_gain
        kind = options.demonstrator or task.demonstrators[0]
        if kind not in task.demonstrators:
            raise UserInputError(
                f"{task.name} has no {kind!r} teacher; teachers: {', '.join((*task.demonstrators, LLM))}"
            )
        horizon = task.horizon if options.horizon is None else options.horizon
        if horizon < 1:
            raise UserInputError(f"--horizon must be at least 1, got {horizon}")
        selector = TeacherSelector(task.demonstrator(base, env, horizon, kind), base.names(), min_gain)
    elif name == "random":
        selector = RandomSelector(options.seed)
    else:
        raise UserInputError(f"unknown agent {name!r}; agents: {', '.join((*AGENTS, *task.baselines))}")
    return LDAgent(task, base, make_retriever(options.retriever), selector, options.top_k)


def _llm_teacher(task: Task, base: FunctionBase, options: AgentOptions):
    from logicdistill.agent.llm_teacher import LLMTeacher

    if options.llm is None:
        raise UserInputError(f"the {LLM} teacher needs a model: pass --teacher MODEL and --teacher-base-url URL")
    return LLMTeacher(options.llm, task, base)


def student_for(agent: str, options: AgentOptions):
    """The untrained student for zero-shot agents, the run's trained one for ld and kd."""
    from logicdistill.student.model import load_student
    from logicdistill.student.runs import load_run_student

    mode = STUDENT_AGENTS[agent]
    if mode is None:
        if options.run:
            raise UserInputError(f"agent {agent!r} uses the untrained student; drop --run (or use --student)")
        return load_student(options.student, dtype=options.dtype)
    if options.run is None:
        raise UserInputError(f"agent {agent!r} needs a trained run: pass --run runs/NAME (see `logicdistill train`)")
    return load_run_student(options.run, mode, options.dtype)
