"""``logicdistill tasks``: list the registered tasks, show one, and check one against the task API.

A task is named as everywhere else: a registered name, ``path/to/file.py:ClassName`` or
``module:ClassName``. Text from a task (its instruction, a problem found in it) is printed without
console markup, since a user's file may contain brackets."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.console import Console

from logicdistill.evaluation.conformance import check_report
from logicdistill.tasks.api import Task
from logicdistill.tasks.registry import describe_settings, make_task, registered

tasks_app = typer.Typer(no_args_is_help=True, help="List, show and check tasks (registered names or file.py:Class).")
term = Console()

TaskRef = Annotated[
    str,
    typer.Argument(metavar="NAME_OR_PATH", help="A registered task, path/to/file.py:ClassName or module:ClassName."),
]
Settings = Annotated[
    Optional[list[str]],
    typer.Option(
        "--set", metavar="NAME=VALUE", help="A task setting (repeatable); `logicdistill tasks show` lists them."
    ),
]


def _say(text: str) -> None:
    term.print(text, markup=False, highlight=False, soft_wrap=True)


@tasks_app.command("list")
def list_tasks() -> None:
    """Every registered task: its name, the class it is and the package that registers it."""
    found = registered()
    if not found:
        _say("no tasks registered (name one as path/to/file.py:ClassName)")
    for reg in found.values():
        _say(f"{reg.name}  {reg.reference}  ({reg.origin})")


@tasks_app.command("check")
def check(task: TaskRef, settings: Settings = None) -> None:
    """Check a task against the task API; list every problem and exit with status 2 if any."""
    report = check_report(task, settings or [])
    for problem in report.problems:
        _say(problem)
    if report.problems:
        _say(f"{report.task}: {len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}")
        raise typer.Exit(2)
    _say(f"{report.task}: conformant ({report.checks} checks)")


@tasks_app.command("show")
def show(task: TaskRef, settings: Settings = None) -> None:
    """A task's rules, stages, actions, variants, settings, emergencies, baselines and metrics."""
    for line in describe_task(make_task(task, settings or [])):
        _say(line)


def describe_task(task: Task) -> list[str]:
    """The lines of ``tasks show``."""
    lines = [f"name: {task.name}", f"instruction: {task.instruction}", "stages:"]
    lines += [f"  {s.name}: ({', '.join(s.params)}) -> {s.result}  {s.description}" for s in task.stages]
    lines += [
        f"actions: {', '.join(task.actions)}",
        f"variants: {', '.join(task.variants)}",
        f"held out: {', '.join(task.held_out) or 'none (every fifth episode is test)'}",
        f"eval plays: {', '.join(task.eval_variants)}",
        f"demonstrators: {', '.join(task.demonstrators) or 'none'} (horizon {task.horizon})",
        "settings (defaults):",
    ]
    lines += [f"  {line}" for line in describe_settings(type(task))] or ["  none"]
    lines += ["emergencies:" if task.emergencies else "emergencies: none"]
    lines += [f"  {e.name}: {e.rule}" for e in task.emergencies]
    lines += [
        f"baselines: {', '.join(task.baselines) or 'none'}",
        "metrics: "
        + ", ".join(f"{m.name} ({'higher' if m.higher_is_better else 'lower'} is better)" for m in task.metrics),
    ]
    return lines
