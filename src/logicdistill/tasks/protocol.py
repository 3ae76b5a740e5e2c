"""What the decision loop needs from a task. Pursuit and 21 Points implement this."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Protocol

from logicdistill.functions import FunctionBase, Stage


class Task(Protocol):
    name: str
    instruction: str  # the rules in words: the first line of every retrieval query and prompt
    stages: tuple[Stage, ...]
    actions: tuple[str, ...]  # a unit's possible final actions, named by KD and zero-shot students
    demonstrators: tuple[str, ...]  # the offline teachers that can label choices; the first is the default
    min_gain: float  # how much better (in the demonstrator's score units) a function must be to leave a default
    train_examples: int  # the default training budget (draws): what the default run needs to learn this task
    learning_rate: float  # the default run's peak LoRA learning rate
    data_episodes: int  # teacher episodes (hands) `logicdistill data` records by default: what the default run drew from

    def bundled_base(self) -> FunctionBase:
        """The function base shipped with the package."""

    def units(self, state: Any) -> list[int]:
        """The deciding agents in this state (pursuers; the single player)."""

    def function_view(self, state: Any, unit: int, plan: dict[int, dict], previous: dict) -> Any:
        """The object a function receives as ``state``, in the main process (trusted functions)."""

    def snapshot(self, state: Any, unit: int, plan: dict[int, dict], previous: dict) -> Any:
        """Everything ``function_view`` reads, as plain data (``functions.plain``: None, bool, int,
        float, str, and lists, tuples, dicts and sets of them): what crosses into a sandbox worker
        for an untrusted function."""

    @staticmethod
    def view_from_snapshot(snapshot: Any) -> Any:
        """The view ``function_view`` would give, rebuilt from ``snapshot`` inside a sandbox worker.
        It runs confined: it may compute (and cache) but cannot open files or start anything, so
        import what it needs at the top of the task's module."""

    def snapshot_context(self, state: Any) -> Hashable | None:
        """A key for the part of ``state``'s snapshot whose preparation in ``view_from_snapshot`` is
        slow (pursuit: the map, whose distances are computed once), or None if nothing is. A worker
        prepares each new context once, outside any function's time limit, and
        ``view_from_snapshot`` must keep the 8 most recently used prepared."""

    def state_text(self, state: Any, unit: int, results: dict[str, Any]) -> str:
        """Compact, deterministic text of the state (and earlier stages' results) for models."""

    def result_text(self, stage: Stage, result: Any, state: Any, unit: int, results: dict[str, Any],
                    previous: dict[str, Any]) -> str:
        """A stage result in a few words, as shown to models next to each candidate; ``results``
        holds this unit's results from the earlier stages of this step, ``previous`` its results of
        last step (so a preview can say that a choice continues what the unit was doing)."""

    def check_result(self, stage: Stage, result: Any, state: Any, unit: int) -> Any:
        """The result normalised, or ``FunctionError`` if the stage cannot accept it."""

    def fallback(self, stage: Stage, state: Any, unit: int, results: dict[str, Any]) -> Any:
        """A safe result when a function fails, so one bad function never ends an episode."""

    def to_action(self, state: Any, results: dict[int, dict[str, Any]]) -> Any:
        """The environment action from every unit's final results."""

    def demonstrator(self, base: FunctionBase, env: Any, horizon: int, kind: str) -> Any:
        """The offline teacher's scorer of candidate functions (see ``agent.selectors.Demonstrator``);
        ``kind`` is one of ``demonstrators``; ``horizon`` bounds any simulated look-ahead."""
