"""An emergency: a new rule that the environment enforces once switched on, and the reference
function(s) that answer it.

Each task lists its scenarios in ``logicdistill.tasks.<task>.emergencies`` (``SCENARIOS``), with
how to build the task under a rule (``task_for``) and how to measure an agent (``measure``,
``METRIC``), because only the task knows its environment and what success means there.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module, resources
from types import ModuleType

from logicdistill.errors import UserInputError
from logicdistill.functions.source import functions_from_source
from logicdistill.functions.spec import Provenance, Verification


@dataclass(frozen=True)
class Emergency:
    task: str
    name: str
    setting: str  # what switches the environment into the rule: PursuitConfig.emergency / the 21 Points rule set
    rule: str  # the new rule in plain words; the task's instruction ends with it while the rule is on
    references: tuple[str, ...]  # files of reference functions in the task package's emergency_functions/

    def reference_sources(self) -> list[tuple[str, str]]:
        """``(origin, source text)`` of each reference file: one stage's functions, written by
        hand for this project as the offline stand-in for what a teacher LLM writes."""
        folder = resources.files(f"logicdistill.tasks.{self.task}") / "emergency_functions"
        return [(f"reference:{self.task}/{name}", (folder / name).read_text(encoding="utf-8"))
                for name in self.references]

    @property
    def stages(self) -> list[str]:
        """The stages the reference functions answer the rule at: where a teacher writes too."""
        specs = [f for origin, text in self.reference_sources()
                 for f in functions_from_source(text, Provenance(kind="reference"), Verification(status="unverified"),
                                                origin=origin)]
        return list(dict.fromkeys(f.stage for f in specs))


def task_module(task: str) -> ModuleType:
    from logicdistill.tasks import get_task

    get_task(task)  # a clear error for an unknown task
    return import_module(f"logicdistill.tasks.{task}.emergencies")


def scenarios(task: str) -> tuple[Emergency, ...]:
    return task_module(task).SCENARIOS


def get_scenario(task: str, name: str) -> Emergency:
    found = {s.name: s for s in scenarios(task)}
    if name not in found:
        raise UserInputError(f"unknown {task} emergency {name!r}; scenarios: {', '.join(found)}")
    return found[name]
