"""The LD decision loop: for every step, for every stage, retrieve the top-K functions, let the
selector pick one, execute it, and pass its result on; the last stage's results form the action.

Stages run stage-major (stage 1 for every unit, then stage 2 ...) so a selector can batch all
units' decisions of a stage, while functions still run unit by unit and see what teammates
decided before them this step (``plan``).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from logicdistill.agent.records import StageRecord, StepRecord
from logicdistill.agent.selectors import Decision, Selection, SelectionRequest, Selector
from logicdistill.errors import FunctionError
from logicdistill.functions import FunctionBase, Stage
from logicdistill.functions.runtime import get_runtime
from logicdistill.retrieval import Query, Retriever
from logicdistill.tasks.api import Task


def execute_calls(
    task: Task,
    base: FunctionBase,
    state: Any,
    stage: Stage,
    unit: int,
    calls: list[tuple[str, dict[int, dict[str, Any]]]],
    memory: dict[int, dict[str, Any]],
) -> list[tuple[Any, str | None]]:
    """Run functions of ``stage`` for one unit, each ``(name, plan)`` on that plan, in their tiers
    (``functions.runtime``: the sandboxed ones in one exchange with their worker); each gives its
    checked result, or the task's fallback and an error."""
    jobs = [(base.get(name), plan, tuple(plan[unit][p] for p in stage.params[1:])) for name, plan in calls]
    raw = get_runtime().run(task, state, unit, memory.get(unit, {}), jobs)
    return [
        _checked(task, stage, state, unit, name, plan, value, error) for (name, plan), (value, error) in zip(calls, raw)
    ]


def _checked(
    task: Task,
    stage: Stage,
    state: Any,
    unit: int,
    name: str,
    plan: dict[int, dict[str, Any]],
    value: Any,
    error: str | None,
) -> tuple[Any, str | None]:
    if error is None:
        try:
            return task.check_result(stage, value, state, unit), None
        except Exception as exc:  # noqa: BLE001 - FunctionError, or a value the check itself chokes on
            error = str(exc) if isinstance(exc, FunctionError) else f"{type(exc).__name__}: {exc}"
    return task.fallback(stage, state, unit, plan[unit]), f"{name}: {error}"


def execute_functions(
    task: Task,
    base: FunctionBase,
    state: Any,
    stage: Stage,
    unit: int,
    names: list[str],
    plan: dict[int, dict[str, Any]],
    memory: dict[int, dict[str, Any]],
) -> dict[str, tuple[Any, str | None]]:
    """Several functions of ``stage`` for one unit on the same plan: name -> (result, error)."""
    return dict(zip(names, execute_calls(task, base, state, stage, unit, [(n, plan) for n in names], memory)))


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
    return execute_calls(task, base, state, stage, unit, [(name, plan)], memory)[0]


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
            plan[u][stage.result], _ = execute_stage(
                task, base, state, stage, u, pipelines[u][stage.name], plan, memory
            )
    return task.to_action(state, plan), plan


def stage_defaults(task: Task, base: FunctionBase) -> dict[str, str]:
    """Each stage's default: its first function in the base (a stage with none has no entry and
    fails at retrieval, with a clear message)."""
    return {s.name: fs[0].name for s in task.stages if (fs := base.by_stage(s.name))}


def run_later_defaults(
    task: Task,
    base: FunctionBase,
    state: Any,
    stage: Stage,
    unit: int,
    result: Any,
    plan: dict[int, dict[str, Any]],
    memory: dict[int, dict[str, Any]],
    defaults: dict[str, str],
) -> dict[str, Any]:
    """The unit's results this step if ``stage`` returned ``result`` and every later stage ran its
    default: what a choice at ``stage`` leads to before any later choice is made."""
    return run_later_defaults_many(task, base, state, stage, unit, [result], plan, memory, defaults)[0]


def run_later_defaults_many(
    task: Task,
    base: FunctionBase,
    state: Any,
    stage: Stage,
    unit: int,
    results: list[Any],
    plan: dict[int, dict[str, Any]],
    memory: dict[int, dict[str, Any]],
    defaults: dict[str, str],
) -> list[dict[str, Any]]:
    """``run_later_defaults`` for several results at once, stage by stage, so each later stage's
    default runs for all of them in one exchange with the sandbox."""
    plans = [{**plan, unit: {**plan.get(unit, {}), stage.result: result}} for result in results]
    for s in task.stages[task.stages.index(stage) + 1 :]:
        outcomes = execute_calls(task, base, state, s, unit, [(defaults[s.name], p) for p in plans], memory)
        for p, (value, _) in zip(plans, outcomes):
            p[unit][s.result] = value
    return [p[unit] for p in plans]


def run_later_every_many(
    task: Task,
    base: FunctionBase,
    state: Any,
    stage: Stage,
    unit: int,
    results: list[Any],
    plan: dict[int, dict[str, Any]],
    memory: dict[int, dict[str, Any]],
) -> list[tuple[Any, ...]]:
    """For each of ``results`` at ``stage``: the unit's final result this step under every way the
    later stages can go on (each combination of their functions in the base, in base order), one
    exchange with the sandbox per later stage. Two results with equal tuples act alike whatever
    is chosen after them."""
    branches = [(i, {**plan, unit: {**plan.get(unit, {}), stage.result: r}}) for i, r in enumerate(results)]
    for s in task.stages[task.stages.index(stage) + 1 :]:
        names = [f.name for f in base.by_stage(s.name)]
        calls = [(n, p) for _, p in branches for n in names]
        outcomes = iter(execute_calls(task, base, state, s, unit, calls, memory))
        grown = []
        for i, p in branches:
            for _ in names:
                value, _ = next(outcomes)
                grown.append((i, {**p, unit: {**p[unit], s.result: value}}))
        branches = grown
    final = task.stages[-1].result
    out: list[list[Any]] = [[] for _ in results]
    for i, p in branches:
        out[i].append(p[unit][final])
    return [tuple(finals) for finals in out]


def stage_line(stage: Stage) -> str:
    return f"Stage {stage.name}: {stage.description}"


def make_query(task: Task, stage: Stage, state_text: str) -> Query:
    """One field per state line: the lines a unit's state shares across stages are embedded once."""
    return Query((task.instruction, stage_line(stage), *state_text.split("\n")))


@dataclass
class EpisodeMemory:
    """What an LD agent carries from one step of an episode to the next."""

    seed: int = 0
    step: int = 0  # steps decided so far in this episode: the step number of the next decision
    results: dict[int, dict[str, Any]] = field(default_factory=dict)  # last step's results, per unit
    choices: dict[int, dict[str, str]] = field(default_factory=dict)  # last step's function choices, per unit


@dataclass
class _StepWork:
    """One episode's step in progress: the results and choices made so far, per unit."""

    state: Any
    memory: EpisodeMemory
    plan: dict[int, dict[str, Any]]
    choices: dict[int, dict[str, str]]
    decision: dict[str, Any]
    records: list[StageRecord] = field(default_factory=list)


class LDAgent:
    """Retriever + selector + function base = an agent.

    ``act_batch`` decides one step of several episodes at once (each with its own
    ``EpisodeMemory``), stage by stage, so the selector scores every unit of every episode in one
    batch; ``act`` is the single-episode case.
    """

    def __init__(self, task: Task, base: FunctionBase, retriever: Retriever, selector: Selector, top_k: int = 5):
        self.task, self.base, self.retriever, self.selector, self.top_k = task, base, retriever, selector, top_k
        self.name = selector.name
        self.rank = {name: i for i, name in enumerate(base.names())}
        self.defaults = stage_defaults(task, base)
        self.retriever.index(base)
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        self.episode = EpisodeMemory(seed or 0)

    def act(self, state: Any) -> tuple[Any, StepRecord]:
        return self.act_batch([state], [self.episode])[0]

    def act_batch(self, states: list[Any], episodes: list[EpisodeMemory]) -> list[tuple[Any, StepRecord]]:
        start = time.perf_counter()
        work = []
        for state, memory in zip(states, episodes):
            units = self.task.units(state)
            choices: dict[int, dict[str, str]] = {u: {} for u in units}
            decision = dict(
                choices=choices,
                last_choices=memory.choices,
                memory=memory.results,
                step_seed=zlib.crc32(f"{memory.seed}:{memory.step}".encode()),
            )
            work.append(_StepWork(state, memory, {u: {} for u in units}, choices, decision))
        for stage in self.task.stages:
            self._stage(stage, work)
        elapsed = (time.perf_counter() - start) * 1000 / max(1, len(states))
        out = []
        for w in work:
            action = self.task.to_action(w.state, w.plan)
            out.append((action, StepRecord(w.memory.step, action, w.records, elapsed)))
            w.memory.results, w.memory.choices, w.memory.step = w.plan, w.choices, w.memory.step + 1
        return out

    def _stage(self, stage: Stage, work: list[_StepWork]) -> None:
        """One stage for every unit of every episode: retrieve, preview, select where it matters, execute.

        A candidate whose preview fails (it raises, or its result breaks the stage's contract or a
        rule in force) is not offered unless every candidate fails: the selector, a model that
        cannot know a new rule's consequences, then never picks a function the code already knows
        to be wrong."""
        slots = [(w, u) for w in work for u in self.task.units(w.state)]
        texts = [self.task.state_text(w.state, u, w.plan[u]) for w, u in slots]
        t0 = time.perf_counter()
        hits = self.retriever.search([make_query(self.task, stage, t) for t in texts], stage.name, self.top_k)
        retrieve_ms = (time.perf_counter() - t0) * 1000 / len(slots)
        previews = [self._previews(stage, w, u, [n for n, _ in h]) for (w, u), h in zip(slots, hits)]
        offered = [[n for n, _ in h if previews[i][n][1] is None] or [n for n, _ in h] for i, h in enumerate(hits)]
        acts = [
            dict(zip(offered[i], self._lookahead(stage, w, u, [previews[i][n][0] for n in offered[i]])))
            for i, (w, u) in enumerate(slots)
        ]
        shown = [
            {
                n: self.task.result_text(stage, previews[i][n][0], w.state, u, w.plan[u], w.memory.results.get(u, {}))
                for n in offered[i]
            }
            for i, (w, u) in enumerate(slots)
        ]  # recorded even where no model is asked (drills use them)
        same = [self._same_as(a) for a in acts]
        requests = {  # candidates in base order: equal sets give equal prompts, whose reading a model reuses
            i: SelectionRequest(
                stage,
                texts[i],
                [self.base.get(n) for n in same[i] if same[i][n] == n],
                Decision(w.state, u, w.plan[u], **w.decision),
                shown[i],
                [(self.base.get(n), s) for n, s in same[i].items() if s != n],
            )
            for i, (w, u) in enumerate(slots)
            if len(set(same[i].values())) > 1  # the choice changes what the unit does: ask
        }
        t0 = time.perf_counter()
        selections = dict(zip(requests, self.selector.select_batch(list(requests.values())))) if requests else {}
        select_ms = (time.perf_counter() - t0) * 1000 / max(1, len(requests))
        for i, ((w, u), h) in enumerate(zip(slots, hits)):
            sel = selections.get(i, Selection(next(iter(same[i]))))  # forced: the default
            w.choices[u][stage.name] = sel.choice
            t0 = time.perf_counter()
            result, error = execute_stage(self.task, self.base, w.state, stage, u, sel.choice, w.plan, w.memory.results)
            w.plan[u][stage.result] = result
            w.records.append(
                StageRecord(
                    step=w.memory.step,
                    unit=u,
                    stage=stage.name,
                    candidates=[n for n, _ in h],
                    retrieval_scores=[round(sc, 4) for _, sc in h],
                    choice=sel.choice,
                    result=result,
                    probabilities=sel.probabilities,
                    outcomes=sel.outcomes,
                    label=sel.label,
                    error=error,
                    forced=i not in requests,
                    previews=shown[i],
                    rejected={n: e for n, (_, e) in previews[i].items() if e is not None and n not in offered[i]},
                    merged={n: s for n, s in same[i].items() if s != n},
                    retrieve_ms=retrieve_ms,
                    select_ms=select_ms if i in requests else 0.0,
                    execute_ms=(time.perf_counter() - t0) * 1000,
                    state_text=texts[i],
                )
            )

    def _same_as(self, acts: dict[str, Any]) -> dict[str, str]:
        """Each offered candidate, in base order -> the earliest in the base leading to the same
        action this step. Only those naming themselves are offered to the selector: a choice
        between functions that act alike changes nothing now, and a model given only candidates
        that differ learns when a function matters rather than also when it makes no difference."""
        first: dict[str, str] = {}
        return {n: first.setdefault(repr(acts[n]), n) for n in sorted(acts, key=self.rank.get)}

    def _previews(
        self, stage: Stage, work: _StepWork, unit: int, names: list[str]
    ) -> dict[str, tuple[Any, str | None]]:
        """What each candidate would return now, given what is decided so far, and its error if it
        failed."""
        return execute_functions(self.task, self.base, work.state, stage, unit, names, work.plan, work.memory.results)

    def _lookahead(self, stage: Stage, work: _StepWork, unit: int, results: list[Any]) -> list[Any]:
        """The unit's final result this step for each of ``results`` at ``stage`` if every later
        stage ran its default. Candidates that all lead to the same one cannot change what the
        unit does now (two goals reached by the same first move, two totals that both say hit), so
        the selector, the costly model, is not asked: the stage is decided again next step anyway.

        With ``Task.lookahead == "all"`` each result's finals under every function of the later
        stages instead (``run_later_every_many``): a later non-default function that would tell two
        candidates apart keeps them apart, at the cost of running every later function."""
        if self.task.lookahead == "all":
            return run_later_every_many(
                self.task, self.base, work.state, stage, unit, results, work.plan, work.memory.results
            )
        final = self.task.stages[-1].result
        return [
            r[final]
            for r in run_later_defaults_many(
                self.task, self.base, work.state, stage, unit, results, work.plan, work.memory.results, self.defaults
            )
        ]


def act_on_states(agent: Any, states: list[Any]) -> list[tuple[Any, StepRecord]]:
    """The agent's decision in each of several unrelated states, each as an episode's first step:
    in one batch for agents with ``act_batch``, else one by one after a reset."""
    if hasattr(agent, "act_batch"):
        return agent.act_batch(states, [EpisodeMemory() for _ in states])
    out = []
    for state in states:
        agent.reset(0)
        out.append(agent.act(state))
    return out
