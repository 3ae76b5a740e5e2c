"""The task API: the one object a user implements to bring a decision problem to logicdistill.

A task is a subclass of ``Task`` (one file is enough: ``examples/``). It owns everything the
toolkit needs from it: the rules in words, the stages and their function signatures, the bundled
function base, the environment (Gymnasium's ``reset(seed=)`` / ``step``), the plain snapshot that
sandboxed functions receive, the state text models read, result checks and fallbacks, its
demonstrators (the offline teacher), verification samples, emergency scenarios and its metrics.
The generic layers (agent, distill, evaluation, emergency, serve, cli) read a task only through
this class and never branch on its name. Register a task with an entry point in the group
``logicdistill.tasks``, or name it as ``path/to/file.py:ClassName`` or ``module:ClassName``
wherever the CLI takes ``--task`` (``tasks.registry``); ``logicdistill tasks check`` runs the
conformance checker (``evaluation.conformance``). docs/adding-a-task.md walks through a complete one.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from logicdistill.errors import UserInputError
from logicdistill.functions.source import functions_from_source
from logicdistill.functions.spec import Provenance, Stage, Verification

if TYPE_CHECKING:
    from logicdistill.functions.base import FunctionBase
    from logicdistill.functions.verification.samples import SampleSet


class Env(Protocol):
    """Gymnasium's episode interface: ``reset(seed=)`` then ``step(action)`` until terminated or
    truncated. States are whatever the task's methods read; nothing else looks inside them."""

    def reset(self, seed: int | None = None) -> tuple[Any, dict[str, Any]]: ...

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]: ...


@dataclass(frozen=True)
class Recipe:
    """The sizes a task suggests for its default run. ``logicdistill data`` and ``train`` use them
    where the user gives none; they are a suggestion, not part of what a task is."""

    data_episodes: int = field(default=100, metadata={"help": "teacher episodes `logicdistill data` records"})
    train_examples: int = field(default=1024, metadata={"help": "training examples (draws) of the default run"})
    learning_rate: float = field(default=1e-3, metadata={"help": "peak LoRA learning rate of the default run"})


@dataclass(frozen=True)
class Metric:
    """A figure ``eval`` reports for a task, by its key in the summary JSON."""

    name: str
    higher_is_better: bool
    label: str  # a short column heading
    format: str = "{:.3g}"


SUCCESS_RATE = Metric("success_rate", True, "success", "{:.0%}")  # every task's: share of episodes won
LOOKAHEADS = ("defaults", "all")  # values of ``Task.lookahead``


@dataclass(frozen=True)
class Emergency:
    """A new rule the environment enforces once ``Task.under_rule`` switches it on, and the
    reference functions that answer it (the offline stand-in for what a teacher LLM writes)."""

    name: str
    rule: str  # the new rule in plain words; the task's instruction ends with it while it is in force
    references: tuple[tuple[str, str], ...]  # (origin, source text) of each file of reference functions

    @property
    def stages(self) -> list[str]:
        """The stages the reference functions answer the rule at: where a teacher writes too."""
        specs = [
            spec
            for origin, text in self.references
            for spec in functions_from_source(
                text, Provenance(kind="reference"), Verification(status="unverified"), origin=origin
            )
        ]
        return list(dict.fromkeys(spec.stage for spec in specs))


@dataclass(frozen=True)
class NoSettings:
    """The settings of a task that has none."""


class Task(ABC):
    """A decision task. Subclasses set the class attributes and implement the abstract methods;
    the rest have defaults that suit a task with one unit, one variant and no emergencies.

    Construct a task as ``MyTask(MyTask.Settings(...))`` (or ``MyTask()`` for the defaults): its
    settings are a frozen dataclass whose fields carry ``metadata={"help": ...}``; the CLI sets
    them with ``--set NAME=VALUE`` and records them with every data file and evaluation."""

    # -- what the task is -------------------------------------------------------------------
    name: ClassVar[str]  # a registry name: lower case, digits, '-' and '_'
    Settings: ClassVar[type] = NoSettings  # a frozen dataclass of the task's settings
    stages: tuple[Stage, ...]  # in decision order; a stage's params are "state" and earlier results
    actions: tuple[str, ...]  # a unit's possible final results as words: what a KD student names
    instruction: str  # the rules in words: the first line of every retrieval query and prompt

    # -- the offline teacher ------------------------------------------------------------------
    demonstrators: tuple[str, ...] = ()  # kinds of ``demonstrator``; the first is the default
    min_gain: float = 1.0  # how much better, in the demonstrator's score units, a function must be
    # for the teacher to leave a stage's default
    horizon: int = 8  # the demonstrator's look-ahead in steps where the user gives none (``--horizon``)
    recipe: Recipe = Recipe()

    # -- the agent loop -----------------------------------------------------------------------------
    lookahead: str = "defaults"  # how the loop tells that a stage's candidates act alike (then it
    # offers one of them, or asks nobody if all do): "defaults" compares their final results with
    # every later stage at its default; "all" under every function of the later stages (slower; for
    # tasks where a later non-default function tells apart candidates the defaults do not)

    # -- where episodes are played and how they are judged (variants and held_out may be
    # properties where they follow the settings) ------------------------------------------------
    variants: tuple[str, ...] = ("default",)  # environments an episode can be played in (maps,
    # levels); ``data`` goes round-robin over all of them, ``eval`` over ``eval_variants``
    held_out: tuple[str, ...] = ()  # variants ``data`` keeps for the test split only; with none,
    # every fifth episode is test
    metrics: tuple[Metric, ...] = (SUCCESS_RATE,)  # what ``eval`` reports; the first is the headline:
    # what an emergency's recovery is measured by and the demo's table leads with
    emergencies: tuple[Emergency, ...] = ()
    baselines: tuple[str, ...] = ()  # agents of ``baseline``: floors beside the LD agents

    def __init__(self, settings: Any = None):
        self.settings = self.Settings() if settings is None else settings

    # -- configuration ------------------------------------------------------------------------
    def setting_values(self) -> dict[str, str]:
        """The settings as text, recorded in data headers and evaluation summaries."""
        return {f.name: _as_text(getattr(self.settings, f.name)) for f in dataclasses.fields(self.settings)}

    def under_rule(self, emergency: Emergency | None) -> Task:
        """This task with ``emergency``'s rule in force (None: the normal rules)."""
        if emergency is None:
            return self
        raise NotImplementedError(f"{self.name} has no emergencies")

    # -- the environment ----------------------------------------------------------------------
    @abstractmethod
    def make_env(self, variant: str) -> Env:
        """A fresh environment of ``variant`` (one of ``variants``, or any other the task accepts)."""

    @abstractmethod
    def success(self, state: Any) -> bool:
        """Whether an episode that ended in ``state`` succeeded."""

    @property
    def eval_variants(self) -> tuple[str, ...]:
        """Where ``eval`` plays when no ``--variant`` is given: the held-out variants if there are
        any (no student trained there), else every variant."""
        return self.held_out or self.variants

    def fork(self, state: Any) -> Env | None:
        """A new environment positioned at ``state`` (one this task's environment dealt), for
        look-ahead: ``step`` plays on from there (no ``reset``) and nothing done on the fork reaches
        the episode ``state`` came from; a stochastic environment's fork draws its own random
        numbers. Demonstrators and baselines that simulate the real episode use it; a state that
        hides part of the world from functions (a level's unseen cells) carries what a fork needs,
        outside the snapshot. None (the default): the task cannot fork."""
        return None

    def episode_figures(self, state: Any) -> dict[str, float]:
        """Extra per-episode figures of a final state (pursuit: captures); ``eval`` averages each
        as ``mean_NAME``."""
        return {}

    def summary_figures(self, episodes: list[dict[str, Any]]) -> dict[str, Any]:
        """Figures of the played episodes together, added to ``eval``'s summary (BabyAI: success
        by task kind). ``episodes`` are the summary's ``per_episode`` entries: variant, seed,
        success, steps, return and the task's ``episode_figures``."""
        return {}

    def policy_metrics(
        self, decide: Callable[[list[Any]], list[Any]], seed: int, out: Path | None = None
    ) -> dict[str, Any]:
        """Figures of the whole policy beyond the played episodes (21 Points: exact regret over
        every decision state, and a Monte Carlo check). ``decide`` maps states to the agent's
        environment actions, in one batch; figures the task draws go under the folder ``out``
        (None: draw nothing), their paths in the result."""
        return {}

    def episode_text(self, state: Any) -> str:
        """A state for people (``play --show``): the board, the hand. Default: the state text
        of the first unit."""
        return self.state_text(state, self.units(state)[0], {}) if self.units(state) else repr(state)

    def save_replay(self, states: list[Any], path: Path) -> Path:
        """An episode's states drawn into ``path`` (``play --render``), if the task can draw."""
        raise UserInputError(f"{self.name} cannot draw replays")

    def baseline(self, name: str, seed: int, env: Env) -> Any:
        """A non-LD agent of ``baselines`` (``agent.factory.Agent``: ``reset``, ``act``). ``env`` is
        the environment the agent is built with, as ``demonstrator`` receives it (``play``: the
        episode's; ``eval`` plays each episode in a fresh one of its variant, so an agent that
        plans on the episode's own environment forks it from the state: ``fork``)."""
        raise NotImplementedError(f"{self.name} has no baseline {name!r}")

    # -- the function base ----------------------------------------------------------------------
    @abstractmethod
    def bundled_base(self) -> FunctionBase:
        """The function base shipped with the task (``functions.source.bundled_base`` builds one
        from a package folder of ``STAGE``-annotated files)."""

    @abstractmethod
    def verification_samples(self) -> SampleSet:
        """States on which untrusted functions run before admission, and what a legal action is."""

    # -- one decision -------------------------------------------------------------------------
    def units(self, state: Any) -> list[int]:
        """The deciding agents in this state (pursuers; a single player is ``[0]``)."""
        return [0]

    @abstractmethod
    def function_view(self, state: Any, unit: int, plan: dict[int, dict], previous: dict) -> Any:
        """The object a function receives as ``state`` in the main process (shipped functions)."""

    @abstractmethod
    def snapshot(self, state: Any, unit: int, plan: dict[int, dict], previous: dict) -> Any:
        """Everything ``function_view`` reads, as plain data (``functions.plain``: None, bool, int,
        float, str, and lists, tuples, dicts and sets of them): what crosses into a sandbox worker."""

    @staticmethod
    @abstractmethod
    def view_from_snapshot(snapshot: Any) -> Any:
        """The view ``function_view`` would give, rebuilt from ``snapshot`` inside a sandbox worker.
        It runs confined: it may compute (and cache) but cannot open files or start anything, so
        import what it needs at the top of the task's module."""

    def snapshot_context(self, state: Any) -> Hashable | None:
        """A key for the part of a snapshot whose preparation in ``view_from_snapshot`` is slow
        (pursuit: the map's distances), or None. A worker prepares each new context once, outside
        any function's time limit; ``view_from_snapshot`` must keep the 8 most recent prepared."""
        return None

    @abstractmethod
    def state_text(self, state: Any, unit: int, results: dict[str, Any]) -> str:
        """Compact, deterministic text of the state (and earlier stages' results) for models."""

    def result_text(
        self, stage: Stage, result: Any, state: Any, unit: int, results: dict[str, Any], previous: dict[str, Any]
    ) -> str:
        """A stage result in a few words, shown to models next to each candidate."""
        return str(result)

    @abstractmethod
    def check_result(self, stage: Stage, result: Any, state: Any, unit: int) -> Any:
        """The result normalised, or raise ``errors.FunctionError`` if the stage cannot accept it."""

    @abstractmethod
    def fallback(self, stage: Stage, state: Any, unit: int, results: dict[str, Any]) -> Any:
        """A safe result when a function fails, so one bad function never ends an episode."""

    def to_action(self, state: Any, results: dict[int, dict[str, Any]]) -> Any:
        """The environment action from every unit's final results (default: the single unit's
        last stage result)."""
        return results[self.units(state)[0]][self.stages[-1].result]

    @abstractmethod
    def demonstrator(self, base: FunctionBase, env: Env, horizon: int, kind: str) -> Any:
        """The offline teacher's scorer of candidates (``agent.selectors.Demonstrator``) of one of
        ``demonstrators``; ``horizon`` bounds any simulated look-ahead (``--horizon``, else the
        task's ``horizon``). ``env`` is the environment the agent is built with, not necessarily the
        episode's: to simulate the episode itself, fork it from the decision's state (``fork``).
        ``agent.demonstrators`` has generic ones to build on."""


def _as_text(value: Any) -> str:
    """A setting as ``--set`` takes it back: tuples comma-joined."""
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
