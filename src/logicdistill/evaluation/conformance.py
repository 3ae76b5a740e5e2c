"""Conformance of a task with the task API, in the spirit of Gymnasium's ``check_env``.

``check_task`` runs every check and lists every problem it finds, each as one line saying what is
wrong and how to fix it; an empty list means the task conforms. A check that crashes is itself a
problem (the exception's type and message), never the end of the run, so one call shows a task's
author everything there is to fix. ``logicdistill tasks check`` prints the same list.

The checks play only a few steps and look at a few states, so the whole run takes seconds: they
prove the contract (shapes, determinism, plain snapshots, accepted fallbacks, working
demonstrators), not the task's quality.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import UnionType
from typing import Any

from logicdistill.agent.factory import AgentOptions, build_agent
from logicdistill.agent.loop import execute_functions
from logicdistill.agent.selectors import Decision, SelectionRequest
from logicdistill.errors import UserInputError
from logicdistill.functions import FunctionBase, Provenance, Stage, Verification, functions_from_source, plain
from logicdistill.functions.check import check_function_base
from logicdistill.functions.execution import compile_source
from logicdistill.functions.verification.samples import Sample, SampleSet
from logicdistill.plugins import is_reference
from logicdistill.tasks.api import LOOKAHEADS, Emergency, Metric, Recipe, Task
from logicdistill.tasks.registry import make_task, parse_settings

DEFAULT_STEPS = 6  # environment steps per played episode: enough to leave the start, cheap for any task
DEFAULT_SAMPLES = 8  # states each state-level check looks at
TEACHER_STEPS = 2  # a teacher step may simulate play: two prove the demonstrator works
SEED = 3  # any fixed seed: the checks compare two episodes from the same one
HORIZON = 3  # look-ahead of the demonstrators built here: short, they only have to work
MAX_PROBLEM_CHARS = 400
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
SEED_ADVICE = (
    "draw every random number from a generator seeded in reset (random.Random(seed), np.random.default_rng(seed))"
)

Case = tuple[Any, dict[int, dict[str, Any]]]  # a state and each unit's results of the step before it


@dataclass
class Report:
    """What ``check_report`` found: how many checks ran and every problem (none: conformant)."""

    task: str
    checks: int
    problems: list[str] = field(default_factory=list)

    @property
    def conformant(self) -> bool:
        return not self.problems


def check_task(
    task_or_ref: Task | str,
    settings: Mapping[str, str] | Sequence[str] | None = None,
    *,
    steps: int = DEFAULT_STEPS,
    samples: int = DEFAULT_SAMPLES,
) -> list[str]:
    """Every problem of a task (an instance, a registered name or a ``file.py:Class`` /
    ``module:Class`` reference with text ``settings``), one line each; empty if it conforms."""
    return check_report(task_or_ref, settings, steps=steps, samples=samples).problems


def check_report(
    task_or_ref: Task | str,
    settings: Mapping[str, str] | Sequence[str] | None = None,
    *,
    steps: int = DEFAULT_STEPS,
    samples: int = DEFAULT_SAMPLES,
) -> Report:
    """``check_task`` with the number of checks run, for a summary line."""
    checker = _Checker(max(1, steps), max(1, samples))
    task = checker.load(task_or_ref, settings)
    if task is not None:
        checker.check(task)
    name = getattr(task, "name", None) if task is not None else None
    return Report(name if isinstance(name, str) else str(task_or_ref), checker.count, checker.problems)


# -- the run ----------------------------------------------------------------------------------------


class _Checker:
    """Runs checks one by one, each guarded, and keeps the states the environment checks reach
    for the state-level checks after them."""

    def __init__(self, steps: int, samples: int):
        self.steps, self.samples = steps, samples
        self.problems: list[str] = []
        self.count = 0
        self.cases: list[Case] = []  # states reached by playing, with the previous step's results
        self.final: Any = None  # the last state of the first played episode

    def run(self, label: str, check: Callable[..., Iterable[str]], *args: Any) -> None:
        """One check: its problems, or the exception it raised as one problem."""
        self.count += 1
        try:
            found = list(check(*args))
        except Exception as exc:  # noqa: BLE001 - a task's bug is a problem to list, not the end of the run
            found = [f"{label}: raised {_exception_text(exc)}"]
        self.problems += [_one_line(p) for p in found]

    def load(self, task_or_ref: Task | str, settings: Mapping[str, str] | Sequence[str] | None) -> Task | None:
        self.count += 1
        if isinstance(task_or_ref, Task):
            if settings:
                self.problems.append("settings are given as text with a name or reference, not with a task object")
            return task_or_ref
        if not isinstance(task_or_ref, str):
            self.problems.append(f"{task_or_ref!r} is not a logicdistill.tasks.Task; subclass it")
            return None
        try:
            task = make_task(task_or_ref, settings)
        except Exception as exc:  # noqa: BLE001 - a missing file, a syntax error, an abstract method left out
            detail = str(exc) if isinstance(exc, UserInputError) else _exception_text(exc)
            self.problems.append(_one_line(f"cannot make task {task_or_ref}: {detail}"))
            return None
        if not is_reference(task_or_ref) and getattr(task, "name", None) != task_or_ref:
            self.problems.append(f"registered as {task_or_ref!r} but its name is {task.name!r}; make them the same")
        return task

    def check(self, task: Task) -> None:
        for label, check in ATTRIBUTE_CHECKS:
            self.run(label, check, task)
        self.run("bundled_base()", check_base, task)
        variants = _tuple(getattr(task, "variants", ()))
        for variant in variants:
            before = len(self.problems)
            self.run(f"playing variant {variant!r} with the fallbacks", self.check_env, task, variant)
            if len(self.problems) == before:  # a variant that cannot be played cannot be compared either
                self.run(f"determinism of variant {variant!r}", check_determinism, task, variant, self.steps)
                self.run(f"fork() in variant {variant!r}", check_fork, task, variant, self.steps)
        self.run("verification_samples()", check_samples, task, self.samples)
        cases = _spread(self.cases, self.samples) + _sample_cases(task, self.samples)
        self.run("state_text()", check_state_text, task, cases)
        self.run("fallback()", check_fallbacks, task, cases)
        self.run("snapshot()", check_snapshots, task, cases)
        self.run("success() and episode_figures()", check_outcome, task, self.final)
        for kind in _tuple(getattr(task, "demonstrators", ())):
            self.run(f"demonstrator {kind!r}", check_demonstrator, task, kind, variants)
        for emergency in _tuple(getattr(task, "emergencies", ())):
            self.run(f"emergency {getattr(emergency, 'name', emergency)!r}", check_emergency, task, emergency)
        for name in _tuple(getattr(task, "baselines", ())):
            self.run(f"baseline {name!r}", check_baseline, task, name, variants)

    def check_env(self, task: Task, variant: str) -> Iterator[str]:
        """``make_env(variant)`` plays: Gymnasium's shapes, and states to look at later."""
        episode = _play(task, task.make_env(variant), SEED, self.steps, check_shapes=True)
        self.cases += episode.cases  # states of every variant serve the state-level checks
        if self.final is None:
            self.final = episode.final
        yield from (f"variant {variant!r}: {p}" for p in episode.problems)


# -- class attributes --------------------------------------------------------------------------------


def check_name(task: Task) -> Iterator[str]:
    name = getattr(type(task), "name", None)
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        yield f"name {name!r}: set the class attribute name to lower case letters, digits, '-' and '_'"


def check_stages(task: Task) -> Iterator[str]:
    stages = getattr(task, "stages", None)
    if not isinstance(stages, tuple) or not stages:
        yield "stages: set a non-empty tuple of functions.Stage, in decision order"
        return
    results: list[str] = []
    names: set[str] = set()
    for i, stage in enumerate(stages):
        if not isinstance(stage, Stage):
            yield f"stages[{i}] is a {type(stage).__name__}, not a functions.Stage"
            continue
        yield from _stage_problems(stage, results, names)
        results.append(stage.result)
        names.add(stage.name)


def _stage_problems(stage: Stage, results: list[str], names: set[str]) -> Iterator[str]:
    label = f"stage {stage.name!r}"
    if not stage.name.isidentifier() or stage.name in names:
        yield f"{label}: a stage name must be a Python identifier, unique among the stages"
    if not stage.result.isidentifier() or stage.result in results or stage.result == "state":
        yield f"{label}: result {stage.result!r} must be an identifier other than 'state' and earlier results"
    if not isinstance(stage.params, tuple) or not stage.params or stage.params[0] != "state":
        yield f"{label}: params {stage.params!r} must be a tuple starting with 'state'"
        return
    earlier = ", ".join(results) or "none"
    for param in stage.params[1:]:
        if param not in results:
            yield (
                f"{label}: param {param!r} is not the result of an earlier stage (earlier results: {earlier}); "
                "params are 'state' then earlier stages' results"
            )
    if not stage.returns.strip() or not stage.description.strip():
        yield f"{label}: say what it returns and what it decides (returns, description): prompts show them"


def check_actions(task: Task) -> Iterator[str]:
    actions = getattr(task, "actions", None)
    if not isinstance(actions, tuple) or not actions:
        yield "actions: set a non-empty tuple of the words a unit's final result can be"
        return
    if not all(isinstance(a, str) and a.strip() for a in actions):
        yield f"actions {actions!r}: every action must be a non-empty string"
    elif len(set(actions)) != len(actions):
        yield f"actions {actions!r}: list each action once"


def check_instruction(task: Task) -> Iterator[str]:
    instruction = getattr(task, "instruction", None)
    if not isinstance(instruction, str) or not instruction.strip():
        yield "instruction: set the task's rules in words (a non-empty string): every query and prompt starts with it"


def check_demonstrators(task: Task) -> Iterator[str]:
    yield from _names_problems(
        "demonstrators",
        getattr(task, "demonstrators", None),
        required=True,
        why="the teacher agent and `logicdistill data` use the first",
    )


def check_metrics(task: Task) -> Iterator[str]:
    metrics = getattr(task, "metrics", None)
    if not isinstance(metrics, tuple) or not metrics:
        yield "metrics: set a non-empty tuple of tasks.Metric, the headline first (e.g. (SUCCESS_RATE,))"
        return
    if not all(isinstance(m, Metric) for m in metrics):
        yield "metrics: every item must be a tasks.Metric"
    elif len({m.name for m in metrics}) != len(metrics):
        yield f"metrics: names repeat ({', '.join(m.name for m in metrics)}); each is a key of eval's summary"


def check_variants(task: Task) -> Iterator[str]:
    variants, held_out = getattr(task, "variants", None), getattr(task, "held_out", None)
    yield from _names_problems("variants", variants, required=True, why="episodes are played in them")
    if not isinstance(held_out, tuple):
        yield "held_out: set a tuple of variants (possibly empty)"
        return
    outside = [v for v in held_out if v not in (variants or ())]
    if outside:
        yield f"held_out names {', '.join(map(repr, outside))}, not among the variants; hold out variants only"
    elif held_out and isinstance(variants, tuple) and set(variants) <= set(held_out):
        yield "held_out holds out every variant, leaving none for training data; keep at least one"
    yield from _names_problems(
        "eval_variants", getattr(task, "eval_variants", None), required=True, why="`eval` plays them by default"
    )


def check_settings(task: Task) -> Iterator[str]:
    cls = type(task)
    settings_cls = getattr(cls, "Settings", None)
    if not (isinstance(settings_cls, type) and dataclasses.is_dataclass(settings_cls)):
        yield "Settings: set a frozen dataclass of the task's settings (or leave the default NoSettings)"
        return
    if not settings_cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        yield "Settings: make the dataclass frozen (@dataclass(frozen=True)): settings must not change mid-run"
    hints = typing.get_type_hints(settings_cls)
    for f in dataclasses.fields(settings_cls):
        if not str(f.metadata.get("help", "")).strip():
            yield f"setting {f.name}: add field(..., metadata={{'help': '...'}}): `tasks show` and --help list it"
        if not _settable(hints.get(f.name)):
            hint = hints.get(f.name)
            yield (
                f"setting {f.name}: type {getattr(hint, '__name__', hint)} cannot be set with --set; use str, "
                "int, float, bool, X | None or tuple[X, ...]"
            )
    yield from _settings_round_trip(task, settings_cls)


def _settings_round_trip(task: Task, settings_cls: type) -> Iterator[str]:
    """The defaults, written as text the way --set takes them, must give the defaults back."""
    defaults = settings_cls()
    texts = {f.name: _setting_text(getattr(defaults, f.name)) for f in dataclasses.fields(settings_cls)}
    if parse_settings(type(task), texts) != defaults:
        yield "Settings: the defaults written as --set text do not read back as the defaults; check the field types"
    values = task.setting_values()
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        yield "setting_values() must return a dict of text values (data headers and summaries record them)"


def check_extras(task: Task) -> Iterator[str]:
    min_gain = getattr(task, "min_gain", None)
    if isinstance(min_gain, bool) or not isinstance(min_gain, numbers.Real) or min_gain < 0:
        yield f"min_gain {min_gain!r}: set a number >= 0 (the teacher's gain in its demonstrator's score units)"
    horizon = getattr(task, "horizon", None)
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        yield f"horizon {horizon!r}: set an int >= 1 (the demonstrator's look-ahead in steps)"
    if getattr(task, "lookahead", None) not in LOOKAHEADS:
        yield f"lookahead {getattr(task, 'lookahead', None)!r}: set one of {', '.join(map(repr, LOOKAHEADS))}"
    if not isinstance(getattr(task, "recipe", None), Recipe):
        yield "recipe: set a tasks.Recipe (or leave the default)"
    emergencies = getattr(task, "emergencies", None)
    if not isinstance(emergencies, tuple) or not all(isinstance(e, Emergency) for e in emergencies):
        yield "emergencies: set a tuple of tasks.Emergency (possibly empty)"
    elif len({e.name for e in emergencies}) != len(emergencies):
        yield "emergencies: give each a different name"
    yield from _names_problems("baselines", getattr(task, "baselines", None), required=False, why="")


ATTRIBUTE_CHECKS: tuple[tuple[str, Callable[[Task], Iterable[str]]], ...] = (
    ("name", check_name),
    ("stages", check_stages),
    ("actions", check_actions),
    ("instruction", check_instruction),
    ("demonstrators", check_demonstrators),
    ("metrics", check_metrics),
    ("variants", check_variants),
    ("Settings", check_settings),
    ("other attributes", check_extras),
)


def _names_problems(what: str, names: Any, required: bool, why: str) -> Iterator[str]:
    if not isinstance(names, tuple) or (required and not names):
        yield f"{what}: set a {'non-empty ' if required else ''}tuple of names" + (f" ({why})" if why else "")
    elif not all(isinstance(n, str) and n.strip() for n in names) or len(set(names)) != len(names):
        yield f"{what} {names!r}: every name must be a non-empty string, listed once"


# -- the function base -------------------------------------------------------------------------------


def check_base(task: Task) -> Iterator[str]:
    base = task.bundled_base()
    if not isinstance(base, FunctionBase):
        yield f"bundled_base() returned a {type(base).__name__}, not a functions.FunctionBase"
        return
    try:
        check_function_base(base, task)
    except UserInputError as exc:
        yield from (f"bundled base: {line.lstrip('- ')}" for line in str(exc).splitlines()[1:])
    for spec in base.functions:
        try:
            compile_source(spec.name, spec.source)
        except UserInputError as exc:
            yield f"bundled base: {exc}"
    if task.bundled_base().functions != base.functions:  # only functions identical to the shipped ones run trusted
        yield "bundled_base() gives different functions each call; build it from fixed sources"


# -- the environment ---------------------------------------------------------------------------------


@dataclass
class _Episode:
    trace: list[str] = field(default_factory=list)  # state texts and actions, in order
    cases: list[Case] = field(default_factory=list)
    final: Any = None
    problems: list[str] = field(default_factory=list)


def _play(task: Task, env: Any, seed: int, steps: int, check_shapes: bool = False) -> _Episode:
    """Up to ``steps`` steps from ``reset(seed=seed)`` with every unit taking the fallback at every
    stage: the one pipeline every task has, whatever its base."""
    episode = _Episode()
    out = env.reset(seed=seed)
    if check_shapes and (found := _reset_shape_problems(out)):
        episode.problems += found
        return episode
    state, memory = out[0], {}
    for _ in range(steps):
        plan = fallback_plan(task, state)
        action = task.to_action(state, plan)
        episode.cases.append((state, memory))
        episode.trace += [*_texts(task, state, plan), f"action {action!r}"]
        out = env.step(action)
        if check_shapes and (found := _step_shape_problems(out)):
            episode.problems += found
            break
        state, memory = out[0], plan
        if out[2] or out[3]:
            break
    episode.trace += _texts(task, state, {})
    episode.final = state
    return episode


def fallback_plan(task: Task, state: Any) -> dict[int, dict[str, Any]]:
    """Every unit's results this step with the fallback at every stage, stage-major like the loop."""
    plan: dict[int, dict[str, Any]] = {u: {} for u in task.units(state)}
    for stage in task.stages:
        for unit in plan:
            plan[unit][stage.result] = task.fallback(stage, state, unit, plan[unit])
    return plan


def _texts(task: Task, state: Any, plan: dict[int, dict[str, Any]]) -> list[str]:
    return [task.state_text(state, u, plan.get(u, {})) for u in task.units(state)]


def _reset_shape_problems(out: Any) -> list[str]:
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
        return [f"reset(seed=) must return (state, info dict), as Gymnasium's does; got {_short(out)}"]
    return []


def _step_shape_problems(out: Any) -> list[str]:
    if not (isinstance(out, tuple) and len(out) == 5):
        return [f"step(action) must return (state, reward, terminated, truncated, info); got {_short(out)}"]
    _, reward, terminated, truncated, info = out
    found = []
    if isinstance(reward, bool) or not isinstance(reward, numbers.Real):
        found.append(f"step(action)'s reward must be a number, got {_short(reward)}")
    if not all(_is_bool(flag) for flag in (terminated, truncated)):
        found.append(
            f"step(action)'s terminated and truncated must be bools, got {_short(terminated)}, {_short(truncated)}"
        )
    if not isinstance(info, dict):
        found.append(f"step(action)'s info must be a dict, got {_short(info)}")
    return found


def check_determinism(task: Task, variant: str, steps: int) -> Iterator[str]:
    """Two episodes from the same seed, in the same environment and in a fresh one, are the same."""
    env = task.make_env(variant)
    first = _play(task, env, SEED, steps).trace
    for where, again in (
        ("the same environment", _play(task, env, SEED, steps).trace),
        ("a fresh environment", _play(task, task.make_env(variant), SEED, steps).trace),
    ):
        if again != first:
            at = next((i for i, (a, b) in enumerate(zip(first, again)) if a != b), min(len(first), len(again)))
            seen = (first[at] if at < len(first) else "(end)", again[at] if at < len(again) else "(end)")
            yield (
                f"variant {variant!r}: reset(seed={SEED}) twice in {where} gave different episodes (item {at}: "
                f"{_short(seen[0])} vs {_short(seen[1])}); {SEED_ADVICE}"
            )
            return


def check_fork(task: Task, variant: str, steps: int) -> Iterator[str]:
    """Where the task can fork (``fork`` gives an environment), a fork steps like the environment
    and playing on it leaves the episode alone: the episode, with a fork made and played a few
    steps at every state, is the one played without."""
    if task.fork(task.make_env(variant).reset(seed=SEED)[0]) is None:
        return
    alone = _play(task, task.make_env(variant), SEED, steps).trace
    env = task.make_env(variant)
    state, _ = env.reset(seed=SEED)
    trace: list[str] = []
    for _ in range(steps):
        plan = fallback_plan(task, state)
        action = task.to_action(state, plan)
        trace += [*_texts(task, state, plan), f"action {action!r}"]
        fork = task.fork(state)
        if not callable(getattr(fork, "step", None)):
            yield f"fork(state) must return an environment with step(action) (or None), got {_short(fork)}"
            return
        out = fork.step(action)
        for _ in range(2):
            if found := _step_shape_problems(out):
                yield f"variant {variant!r}: fork(state): {found[0]}"
                return
            if out[2] or out[3]:
                break
            out = fork.step(task.to_action(out[0], fallback_plan(task, out[0])))
        state, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break
    trace += _texts(task, state, {})
    if trace != alone:
        yield (
            f"variant {variant!r}: playing on fork(state) changed the episode the state came from; a fork must "
            "copy the environment (and whatever the state shares with it)"
        )


# -- states ------------------------------------------------------------------------------------------


def check_state_text(task: Task, cases: list[Case]) -> Iterator[str]:
    for state, _ in cases:
        plan = fallback_plan(task, state)
        for unit in task.units(state):
            for results in _stage_prefixes(task, plan[unit]):
                text = task.state_text(state, unit, results)
                if not isinstance(text, str) or not text.strip():
                    yield f"state_text() must return non-empty text, got {_short(text)}"
                    return
                if task.state_text(state, unit, results) != text:
                    yield (
                        f"state_text() gave two different texts for the same state: {_short(text)}; "
                        "make it deterministic"
                    )
                    return


def _stage_prefixes(task: Task, results: dict[str, Any]) -> list[dict[str, Any]]:
    """A unit's results as each stage sees them: none, then one more stage's at a time."""
    out = [{}]
    for stage in task.stages[:-1]:
        out.append({**out[-1], stage.result: results[stage.result]})
    return out


def check_fallbacks(task: Task, cases: list[Case]) -> Iterator[str]:
    """check_result accepts every fallback: a fallback the task rejects would end an episode."""
    for state, _ in cases:
        plan: dict[int, dict[str, Any]] = {u: {} for u in task.units(state)}
        for stage in task.stages:
            for unit in plan:
                result = task.fallback(stage, state, unit, plan[unit])
                try:
                    plan[unit][stage.result] = task.check_result(stage, result, state, unit)
                except Exception as exc:  # noqa: BLE001 - FunctionError, or a check that chokes on it
                    yield (
                        f"stage {stage.name!r}: check_result rejects the fallback's result {_short(result)} "
                        f"({_exception_text(exc)}); make fallback() return a result check_result accepts"
                    )
                    return


def check_snapshots(task: Task, cases: list[Case]) -> Iterator[str]:
    """Snapshots are plain data, and a view rebuilt from one gives the shipped defaults' results."""
    defaults = _stage_defaults(task)
    for state, memory in cases:
        hash(task.snapshot_context(state))  # a worker keys its prepared contexts by it
        plan: dict[int, dict[str, Any]] = {u: {} for u in task.units(state)}
        for stage in task.stages:
            for unit in plan:
                problem = _snapshot_problem(task, stage, state, unit, plan, memory.get(unit, {}), defaults)
                if problem:
                    yield problem
                    return
                plan[unit][stage.result] = task.fallback(stage, state, unit, plan[unit])


def _stage_defaults(task: Task) -> dict[str, tuple[str, Callable[..., Any]]]:
    base = task.bundled_base()
    return {
        s.name: (fs[0].name, compile_source(fs[0].name, fs[0].source))
        for s in task.stages
        if (fs := base.by_stage(s.name))
    }


def _snapshot_problem(
    task: Task,
    stage: Stage,
    state: Any,
    unit: int,
    plan: dict[int, dict[str, Any]],
    previous: dict[str, Any],
    defaults: dict[str, tuple[str, Callable[..., Any]]],
) -> str | None:
    snapshot = task.snapshot(state, unit, plan, previous)
    try:
        decoded = plain.loads(plain.dumps(snapshot))
    except plain.PlainDataError as exc:
        return (
            f"snapshot() is not plain data ({exc}): return only None, bool, int, float, str and lists, tuples, "
            "dicts and sets of them; it crosses into a sandbox worker"
        )
    if decoded != snapshot:
        return "snapshot() changes when encoded and decoded; use plain builtin types only"
    view = type(task).view_from_snapshot(decoded)  # as the worker calls it: on the class
    if stage.name not in defaults:
        return None
    name, function = defaults[stage.name]
    args = tuple(plan[unit][p] for p in stage.params[1:])
    here = _outcome(function, task.function_view(state, unit, plan, previous), args)
    there = _outcome(function, view, args)
    if here != there:
        return (
            f"stage {stage.name!r}: {name} gives {_short(here)} on function_view() but {_short(there)} on "
            "view_from_snapshot(snapshot()); the snapshot must carry everything the view reads"
        )
    return None


def _outcome(function: Callable[..., Any], view: Any, args: tuple) -> Any:
    """A function's result, or the type of what it raised: both views must fail alike too."""
    try:
        return function(view, *args)
    except Exception as exc:  # noqa: BLE001 - compared, not reported
        return f"raised {type(exc).__name__}"


def check_outcome(task: Task, final: Any) -> Iterator[str]:
    if final is None:
        return  # no episode was played: the environment's problems are listed already
    if not _is_bool(task.success(final)):
        yield f"success() must return a bool, got {_short(task.success(final))}"
    figures = task.episode_figures(final)
    if not isinstance(figures, dict) or not all(
        isinstance(k, str) and isinstance(v, numbers.Real) and not isinstance(v, bool) for k, v in figures.items()
    ):
        yield f"episode_figures() must return a dict of names to numbers, got {_short(figures)}"


# -- verification samples ----------------------------------------------------------------------------


def check_samples(task: Task, limit: int) -> Iterator[str]:
    sample_set = task.verification_samples()
    if not isinstance(sample_set, SampleSet):
        yield f"verification_samples() returned a {type(sample_set).__name__}, not a SampleSet"
        return
    samples = sample_set.samples
    if not isinstance(samples, tuple) or not samples or not all(isinstance(s, Sample) for s in samples):
        yield "verification_samples(): samples must be a non-empty tuple of Sample"
        return
    for sample in _spread(list(samples), limit):
        problem = _sample_problem(task, sample, sample_set)
        if problem:
            yield f"verification sample {sample.label!r}: {problem}"
            return


def _sample_problem(task: Task, sample: Sample, sample_set: SampleSet) -> str | None:
    units = task.units(sample.state)
    if not isinstance(units, list) or not all(isinstance(u, int) for u in units):
        return f"units() must return a list of ints, got {_short(units)}"
    if not all(isinstance(task.state_text(sample.state, u, {}), str) for u in units):
        return "state_text() must return text"
    action = task.to_action(sample.state, fallback_plan(task, sample.state))
    if not sample_set.is_legal(sample.state, action):
        return f"is_legal rejects {_short(action)}, the fallbacks' action; make it accept every legal action"
    return None


# -- demonstrators, emergencies, baselines -------------------------------------------------------------


def check_demonstrator(task: Task, kind: str, variants: tuple[str, ...]) -> Iterator[str]:
    """The demonstrator scores one request built as the agent loop builds it, and a teacher agent
    using it plays a few steps."""
    base = task.bundled_base()
    env = task.make_env(variants[0])
    state, _ = env.reset(seed=SEED)
    yield from _score_problems(task, kind, base, env, state)
    agent = build_agent(
        "teacher", task, env, AgentOptions(base=base, retriever="bm25", demonstrator=kind, horizon=HORIZON)
    )
    state, _ = env.reset(seed=SEED)
    agent.reset(SEED)
    for _ in range(TEACHER_STEPS):
        action, record = agent.act(state)
        errors = [f"{s.choice} at stage {s.stage}: {s.error}" for s in record.stages if s.error]
        if errors:
            yield f"a teacher episode's shipped function failed: {_short(errors[0])}; fix the function or the view"
        state, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break


def _score_problems(task: Task, kind: str, base: FunctionBase, env: Any, state: Any) -> Iterator[str]:
    demonstrator = task.demonstrator(base, env, HORIZON, kind)
    if not callable(getattr(demonstrator, "scores", None)):
        yield f"demonstrator({kind!r}) has no scores(request, pending) method (agent.selectors.Demonstrator)"
        return
    stage, units = task.stages[0], task.units(state)
    candidates = list(base.by_stage(stage.name))
    plan: dict[int, dict[str, Any]] = {u: {} for u in units}
    previews = execute_functions(task, base, state, stage, units[0], [c.name for c in candidates], plan, {})
    shown = {n: task.result_text(stage, r, state, units[0], {}, {}) for n, (r, _) in previews.items()}
    request = SelectionRequest(
        stage,
        task.state_text(state, units[0], {}),
        candidates,
        Decision(state, units[0], {}, {u: {} for u in units}, {}, {}),
        shown,
    )
    scores = demonstrator.scores(request, {u: {} for u in units})
    names = [c.name for c in candidates]
    if not isinstance(scores, dict) or not set(names) <= set(scores):
        yield f"demonstrator({kind!r}).scores() must give every candidate a score; got {_short(scores)} for {names}"
    elif not all(_finite(v) for v in scores.values()):
        yield f"demonstrator({kind!r}).scores() must give finite numbers, got {_short(scores)}"


def check_emergency(task: Task, emergency: Emergency) -> Iterator[str]:
    if not isinstance(emergency, Emergency):
        return  # listed by the attribute checks
    stages = {s.name: s for s in task.stages}
    for origin, text in emergency.references:
        for spec in functions_from_source(
            text, Provenance(kind="reference"), Verification(status="unverified"), origin=origin
        ):
            stage = stages.get(spec.stage)
            if stage is None:
                yield f"{origin}: {spec.name} is for unknown stage {spec.stage!r}; stages: {', '.join(stages)}"
            elif spec.signature != "(" + ", ".join(stage.params) + ")":
                yield f"{origin}: {spec.name}{spec.signature} does not match stage {stage.name}{stage.params}"
    normal = task.under_rule(None)  # the task may have a rule in force already (its settings)
    if not isinstance(normal, Task):
        yield f"under_rule(None) must return the task under its normal rules, got {_short(normal)}"
        return
    ruled = normal.under_rule(emergency)
    if not isinstance(ruled, Task):
        yield f"under_rule({emergency.name!r}) must return a Task, got {_short(ruled)}"
    elif ruled.instruction == normal.instruction:
        yield f"under_rule({emergency.name!r}) leaves the instruction as it is; end it with the new rule in words"


def check_baseline(task: Task, name: str, variants: tuple[str, ...]) -> Iterator[str]:
    env = task.make_env(variants[0])
    agent = task.baseline(name, 0, env)
    if not (callable(getattr(agent, "reset", None)) and callable(getattr(agent, "act", None))):
        yield f"baseline({name!r}) must give an agent with reset(seed) and act(state) (agent.factory.Agent)"
        return
    state, _ = env.reset(seed=SEED)
    agent.reset(SEED)
    action, _ = agent.act(state)
    env.step(action)


# -- small helpers -----------------------------------------------------------------------------------


def _spread(items: list, limit: int) -> list:
    """At most ``limit`` of ``items``, evenly spaced: states from every variant, not just the first."""
    return items[:: max(1, math.ceil(len(items) / limit))][:limit]


def _sample_cases(task: Task, limit: int) -> list[Case]:
    """A few verification samples' states: the task's own picks of realistic states. None if the
    samples are broken (their check lists why)."""
    try:
        samples = task.verification_samples().samples
        return [(s.state, s.memory) for s in _spread(list(samples), limit)]
    except Exception:  # noqa: BLE001 - reported by check_samples
        return []


def _tuple(value: Any) -> tuple:
    """An attribute to iterate over, if it is a tuple (its own check reports it otherwise)."""
    return value if isinstance(value, tuple) else ()


def _settable(hint: Any) -> bool:
    """Whether ``registry.parse_settings`` can turn text into a value of ``hint``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, UnionType):
        rest = [a for a in args if a is not type(None)]
        return len(rest) == 1 and len(args) == 2 and _settable(rest[0])
    if origin is tuple:
        return len(args) == 2 and args[1] is Ellipsis and args[0] in (str, int, float, bool)
    return hint in (str, int, float, bool)


def _setting_text(value: Any) -> str:
    if value is None:
        return "none"
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"  # numpy's bool too


def _finite(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))


def _short(value: Any, limit: int = 80) -> str:
    """A value in a problem line: its repr (text quoted), on one line and cut to ``limit``."""
    text = " ".join((value if isinstance(value, str) else repr(value)).split())
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr(text) if isinstance(value, str) else text


def _exception_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_PROBLEM_CHARS else text[: MAX_PROBLEM_CHARS - 3] + "..."
