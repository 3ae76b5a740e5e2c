"""The LD decision loop: for every step, for every stage, retrieve the top-K functions, let the
selector pick one, execute it, and pass its result on; the last stage's results form the action.

Stages run stage-major (stage 1 for every unit, then stage 2 ...) so a selector can batch all
units' decisions of a stage, while functions still run unit by unit and see what teammates
decided before them this step (``plan``).
"""

from __future__ import annotations

import time
import zlib
from typing import Any

from logicdistill.agent.records import StageRecord, StepRecord
from logicdistill.agent.selectors import Decision, Selection, SelectionRequest, Selector
from logicdistill.errors import FunctionError
from logicdistill.functions import FunctionBase, Stage
from logicdistill.retrieval import Query, Retriever
from logicdistill.tasks.protocol import Task


def execute_stage(
    task: Task,
    base: FunctionBase,
    state: Any,
    stage: Stage,
    unit: int,
    name: str,
    plan: dict[int, dict[str, Any]],
    memory: dict[int, dict[str, Any]],
) -> tuple[Any, str | None]:
    """Run one function for one unit; a failing function yields the task's fallback and an error."""
    fn = base.compiled[name]
    args = [plan[unit][p] for p in stage.params[1:]]
    try:
        view = task.function_view(state, unit, plan, memory.get(unit, {}))
        return task.check_result(stage, fn(view, *args), state, unit), None
    except Exception as exc:  # the function is data: record its failure, keep playing
        message = str(exc) if isinstance(exc, FunctionError) else f"{type(exc).__name__}: {exc}"
        return task.fallback(stage, state, unit, plan[unit]), f"{name}: {message}"


def run_pipelines(
    task: Task,
    base: FunctionBase,
    state: Any,
    pipelines: dict[int, dict[str, str]],
    memory: dict[int, dict[str, Any]],
) -> tuple[Any, dict[int, dict[str, Any]]]:
    """Execute fixed function choices (stage name -> function name, per unit) without selection;
    the demonstrator's rollouts use this so simulated play follows exactly the real rules."""
    units = task.units(state)
    plan: dict[int, dict[str, Any]] = {u: {} for u in units}
    for stage in task.stages:
        for u in units:
            plan[u][stage.result], _ = execute_stage(task, base, state, stage, u, pipelines[u][stage.name], plan, memory)
    return task.to_action(state, plan), plan


def stage_line(stage: Stage) -> str:
    return f"Stage {stage.name}: {stage.description}"


def make_query(task: Task, stage: Stage, state_text: str) -> Query:
    return Query((task.instruction, stage_line(stage), state_text))


class LDAgent:
    """Retriever + selector + function base = an agent."""

    def __init__(self, task: Task, base: FunctionBase, retriever: Retriever, selector: Selector, top_k: int = 5):
        self.task, self.base, self.retriever, self.selector, self.top_k = task, base, retriever, selector, top_k
        self.name = selector.name
        self.retriever.index(base)
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        self.memory: dict[int, dict[str, Any]] = {}
        self.last_choices: dict[int, dict[str, str]] = {}
        self.seed = seed or 0

    def act(self, state: Any) -> tuple[Any, StepRecord]:
        start = time.perf_counter()
        units = self.task.units(state)
        plan: dict[int, dict[str, Any]] = {u: {} for u in units}
        choices: dict[int, dict[str, str]] = {u: {} for u in units}
        step = getattr(state, "step", 0)
        decision = dict(choices=choices, last_choices=self.last_choices, memory=self.memory,
                        step_seed=zlib.crc32(f"{self.seed}:{step}".encode()))
        records: list[StageRecord] = []
        for stage in self.task.stages:
            records += self._stage(stage, state, units, plan, choices, decision, step)
        self.memory, self.last_choices = plan, choices
        action = self.task.to_action(state, plan)
        return action, StepRecord(step, action, records, (time.perf_counter() - start) * 1000)

    def _stage(self, stage: Stage, state: Any, units: list[int], plan: dict, choices: dict, decision: dict,
               step: int) -> list[StageRecord]:
        """One stage for every unit: retrieve, preview, select where it matters, execute."""
        texts = [self.task.state_text(state, u, plan[u]) for u in units]
        queries = [make_query(self.task, stage, t) for t in texts]
        t0 = time.perf_counter()
        hits = self.retriever.search(queries, stage.name, self.top_k)
        retrieve_ms = (time.perf_counter() - t0) * 1000 / len(units)
        previews = [self._previews(stage, state, u, [n for n, _ in h], plan) for u, h in zip(units, hits)]
        requests = {
            u: SelectionRequest(stage, t, [self.base.get(n) for n, _ in h],
                                Decision(state, u, plan[u], **decision),
                                {n: self.task.result_text(stage, r, state, u) for n, r in p.items()})
            for u, t, h, p in zip(units, texts, hits, previews)
            if len({repr(r) for r in p.values()}) > 1  # the choice changes the outcome: ask the selector
        }
        t0 = time.perf_counter()
        selections = dict(zip(requests, self.selector.select_batch(list(requests.values())))) if requests else {}
        select_ms = (time.perf_counter() - t0) * 1000 / max(1, len(requests))
        records = []
        for u, h, text, preview in zip(units, hits, texts, previews):
            sel = selections.get(u, Selection(h[0][0]))
            choices[u][stage.name] = sel.choice
            t0 = time.perf_counter()
            result, error = execute_stage(self.task, self.base, state, stage, u, sel.choice, plan, self.memory)
            plan[u][stage.result] = result
            records.append(StageRecord(
                step=step, unit=u, stage=stage.name, candidates=[n for n, _ in h],
                retrieval_scores=[round(sc, 4) for _, sc in h], choice=sel.choice, result=result,
                probabilities=sel.probabilities, outcomes=sel.outcomes, error=error, forced=u not in requests,
                previews=requests[u].previews if u in requests else {}, retrieve_ms=retrieve_ms,
                select_ms=select_ms if u in requests else 0.0, execute_ms=(time.perf_counter() - t0) * 1000,
                state_text=text,
            ))
        return records

    def _previews(self, stage: Stage, state: Any, unit: int, names: list[str], plan: dict) -> dict[str, Any]:
        """What each candidate would return now, given what is decided so far. Candidates that all
        agree make the selection moot, so the selector (the costly model) is skipped."""
        return {n: execute_stage(self.task, self.base, state, stage, unit, n, plan, self.memory)[0] for n in names}
