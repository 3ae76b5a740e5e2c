"""Where tasks come from: entry points, file.py:Class and module:Class references, text settings;
every mistake in naming a task is one clear line. And the sandbox finds a task given as a file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from logicdistill.cli.tasks_cmd import tasks_app
from logicdistill.errors import UserInputError
from logicdistill.functions import Provenance, Verification, functions_from_source
from logicdistill.functions.runtime import FunctionRuntime
from logicdistill.functions.sandbox.pool import task_reference
from logicdistill.plugins import reference_of
from logicdistill.tasks import Task, make_task, registered, task_class
from logicdistill.tasks.registry import parse_settings

TINY = Path(__file__).parent / "fixtures" / "tiny_task.py"
SETTINGS_TASK = """
from dataclasses import dataclass, field
from logicdistill.tasks import Task


@dataclass(frozen=True)
class Knobs:
    count: int = field(default=1, metadata={"help": "an int"})
    ratio: float = field(default=0.5, metadata={"help": "a float"})
    flag: bool = field(default=False, metadata={"help": "a bool"})
    names: tuple[str, ...] = field(default=(), metadata={"help": "a tuple"})
    sizes: tuple[int, ...] = field(default=(1,), metadata={"help": "a tuple of ints"})
    label: str | None = field(default="x", metadata={"help": "an optional str"})
    limit: int | None = field(default=None, metadata={"help": "an optional int"})


class Knobbed(Task):
    name = "knobbed"
    Settings = Knobs
"""


def cli(*args: str):
    app = typer.Typer()
    app.add_typer(tasks_app, name="tasks")
    return CliRunner().invoke(app, ["tasks", *args])


def copy_of_tiny(tmp_path: Path, name: str = "walk.py") -> Path:
    path = tmp_path / name
    path.write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_entry_points_register_both_games_with_their_origin():
    found = registered()
    assert found["pursuit"].reference == "logicdistill.games.pursuit.task:PursuitTask"
    assert found["twentyone"].reference == "logicdistill.games.twentyone.task:TwentyOneTask"
    assert {found[name].origin.split()[0] for name in ("pursuit", "twentyone")} == {"logicdistill"}
    assert make_task("twentyone").name == "twentyone"


def test_tasks_list_prints_name_reference_and_distribution():
    result = cli("list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    pursuit = "pursuit  logicdistill.games.pursuit.task:PursuitTask  (logicdistill "
    assert any(line.startswith(pursuit) for line in lines)
    assert any(line.startswith("twentyone  ") for line in lines)


def test_a_file_reference_loads_the_class_and_remembers_where_it_came_from(tmp_path):
    path = copy_of_tiny(tmp_path)
    cls = task_class(f"{path}:TinyTask")
    assert issubclass(cls, Task) and cls.name == "tiny"
    assert reference_of(cls) == f"{path.resolve()}:TinyTask"
    task = make_task(f"{path}:TinyTask", ["size=5", "rule=no_left"])
    assert (task.settings.size, task.settings.rule) == (5, "no_left")
    assert task_reference(task) == f"{path.resolve()}:TinyTask"  # what a sandbox worker loads


def test_a_module_reference_loads_the_class():
    cls = task_class("logicdistill.games.twentyone.task:TwentyOneTask")
    assert cls is type(make_task("twentyone"))
    assert task_reference(cls()) == "logicdistill.games.twentyone.task:TwentyOneTask"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "make_ref, settings, expected",
    [
        (lambda p: "no-such-task", None, "unknown task 'no-such-task'; registered: "),
        (lambda p: f"{p}/missing.py:Task", None, "task file not found"),
        (lambda p: "logicdistill.no_such_module:Task", None, "no module named 'logicdistill.no_such_module'"),
        (
            lambda p: f"{write(p, 'plain.py', 'class NotATask:' + chr(10) + '    pass' + chr(10))}:NotATask",
            None,
            "is not a subclass of logicdistill.tasks.Task",
        ),
        (lambda p: f"{write(p, 'typo.py', 'class Broken(:' + chr(10))}:Broken", None, "typo.py:1:"),
        (lambda p: f"{write(p, 'empty.py', '')}:Missing", None, "has no 'Missing'"),
        (lambda p: f"{copy_of_tiny(p)}:TinyTask", ["size=big"], "tiny setting size must be an integer, got 'big'"),
        (lambda p: f"{copy_of_tiny(p)}:TinyTask", ["colour=red"], "tiny has no setting 'colour'; settings: size"),
        (lambda p: f"{copy_of_tiny(p)}:TinyTask", ["size"], "--set needs NAME=VALUE, got 'size'"),
    ],
)
def test_naming_mistakes_are_one_line_user_errors(tmp_path, make_ref, settings, expected):
    with pytest.raises(UserInputError) as caught:
        make_task(make_ref(tmp_path), settings)
    message = str(caught.value)
    assert expected in message and "\n" not in message


def test_settings_convert_from_text(tmp_path):
    cls = task_class(f"{write(tmp_path, 'knobs.py', SETTINGS_TASK)}:Knobbed")
    settings = parse_settings(
        cls, ["count=3", "ratio=0.25", "flag=yes", "names=a, b", "sizes=2,3", "label=none", "limit=7"]
    )
    assert (settings.count, settings.ratio, settings.flag, settings.names, settings.sizes) == (
        3,
        0.25,
        True,
        ("a", "b"),
        (2, 3),
    )
    assert (settings.label, settings.limit) == (None, 7)
    assert parse_settings(cls, {"flag": "off", "names": "", "limit": ""}) == cls.Settings(
        flag=False, names=(), limit=None
    )
    with pytest.raises(UserInputError, match="knobbed setting flag must be true or false"):
        parse_settings(cls, ["flag=maybe"])
    with pytest.raises(UserInputError, match="knobbed setting sizes must be an integer"):
        parse_settings(cls, ["sizes=1,x"])


WALK_FAST = '''STAGE = "move"


def dash(state, target):
    """Step towards the target, reading the goal too.

    When: always.
    """
    return "right" if max(target, state.goal) > state.position else "stay"
'''


def test_an_untrusted_function_runs_sandboxed_for_a_task_given_as_a_file(tmp_path):
    """The worker loads the task from its file before it is confined (it can open nothing after)."""
    path = copy_of_tiny(tmp_path, "sandboxed_walk.py")
    task = make_task(f"{path}:TinyTask")
    tiny = sys.modules[type(task).__module__]
    (spec,) = functions_from_source(WALK_FAST, Provenance(kind="human"), Verification(status="unverified"))
    runtime = FunctionRuntime(isolate_all=True)
    try:
        state = tiny.TinyState(position=2, goal=7, size=9)
        shipped = task.bundled_base().by_stage("move")[0]
        outcomes = runtime.run(
            task, state, 0, {}, [(spec, {0: {"target": 7}}, (7,)), (shipped, {0: {"target": 1}}, (1,))]
        )
        assert outcomes == [("right", None), ("left", None)]
        assert runtime.counts.sandboxed_calls == 2 and not runtime.counts.failures
    finally:
        runtime.close()
