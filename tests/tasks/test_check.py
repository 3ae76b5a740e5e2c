"""The conformance checker: a conforming task passes; each deliberately broken task (the tiny
task's file with a broken subclass appended) gets its problem listed, one line each, while the
other checks still run; ``logicdistill tasks check`` prints them and exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from logicdistill.cli.tasks_cmd import tasks_app
from logicdistill.evaluation.conformance import check_report, check_task
from logicdistill.tasks import make_task

TINY = Path(__file__).parent / "fixtures" / "tiny_task.py"

STAGE_PARAM = """
class Broken(TinyTask):
    stages = (STAGES[0], Stage("move", ("state", "destination"), "move", "a move", "step towards it"))
"""
UNSEEDED = """
class UnseededEnv(TinyEnv):
    seeded = False  # reset draws from an unseeded generator


class Broken(TinyTask):
    def make_env(self, variant):
        return UnseededEnv(1000, self.settings.max_steps, self.settings.rule)
"""
NOT_PLAIN = """
class Broken(TinyTask):
    def snapshot(self, state, unit, plan, previous):
        return {"view": self.function_view(state, unit, plan, previous)}
"""
LOSSY_SNAPSHOT = """
class Broken(TinyTask):
    def snapshot(self, state, unit, plan, previous):
        return {"position": state.position, "goal": 0, "size": state.size, "step": state.step}
"""
BAD_FALLBACK = """
class Broken(TinyTask):
    def fallback(self, stage, state, unit, results):
        return "jump" if stage.name == "move" else super().fallback(stage, state, unit, results)
"""
BAD_ATTRIBUTES = """
@dataclass(frozen=True)
class LooseSettings:
    size: int = 9
    max_steps: int = field(default=12, metadata={"help": "steps"})
    rule: list | None = field(default=None, metadata={"help": "rule"})


class Broken(TinyTask):
    name = "Broken Task"
    Settings = LooseSettings
    actions = ("left", "left")
    held_out = ("huge",)
    metrics = ()
"""
UNCHANGED_RULE = """
class Broken(TinyTask):
    def under_rule(self, emergency):
        return self
"""
SHORT_STEP = """
class ShortEnv(TinyEnv):
    def step(self, action):
        return super().step(action)[:3]


class Broken(TinyTask):
    def make_env(self, variant):
        return ShortEnv(9, 12, None)
"""
CRASHING_SAMPLES = """
class Broken(TinyTask):
    def verification_samples(self):
        raise RuntimeError("boom")

    def under_rule(self, emergency):
        return self
"""
BAD_LOOKAHEAD = """
class Broken(TinyTask):
    horizon = 0
    lookahead = "sometimes"

    def fork(self, state):
        return state
"""
SHARED_FORK = """
EPISODE = {}


class RememberedEnv(TinyEnv):
    def reset(self, seed=None):
        EPISODE["env"] = self
        return super().reset(seed)


class Broken(TinyTask):
    def make_env(self, variant):
        return RememberedEnv(9, 12, None)

    def fork(self, state):
        return EPISODE["env"]  # the episode's own environment, not a copy
"""
ABSTRACT = """
class Broken(Task):
    name = "broken"
"""

BROKEN = {
    "stage param": (
        STAGE_PARAM,
        [
            "stage 'move': param 'destination' is not the result of an earlier stage",
            "step_towards: signature (state, target) does not match stage move",
        ],
    ),
    "unseeded env": (
        UNSEEDED,
        [
            "variant 'short': reset(seed=3) twice in the same environment gave different",
            "variant 'long': reset(seed=3) twice",
        ],
    ),
    "snapshot not plain": (NOT_PLAIN, ["snapshot() is not plain data (a TinyView, which is not plain data)"]),
    "snapshot misses a field": (LOSSY_SNAPSHOT, ["stage 'aim': goal_cell gives", "on view_from_snapshot(snapshot())"]),
    "fallback rejected": (
        BAD_FALLBACK,
        ["stage 'move': check_result rejects the fallback's result 'jump'", "is_legal rejects 'jump'"],
    ),
    "attributes": (
        BAD_ATTRIBUTES,
        [
            "name 'Broken Task'",
            "actions ('left', 'left'): list each action once",
            "held_out names 'huge'",
            "metrics: set a non-empty tuple",
            "setting size: add field(..., metadata={'help'",
            "setting rule: type list | None cannot be set with --set",
        ],
    ),
    "rule leaves instruction": (UNCHANGED_RULE, ["under_rule('no_left') leaves the instruction as it is"]),
    "step shape": (SHORT_STEP, ["step(action) must return (state, reward, terminated, truncated, info)"]),
    "crashing check": (
        CRASHING_SAMPLES,
        ["verification_samples(): raised RuntimeError: boom", "under_rule('no_left') leaves the instruction"],
    ),
    "lookahead, horizon and fork": (
        BAD_LOOKAHEAD,
        [
            "horizon 0: set an int >= 1",
            "lookahead 'sometimes': set one of 'defaults', 'all'",
            "fork(state) must return an environment with step(action) (or None)",
        ],
    ),
    "fork shares the episode": (SHARED_FORK, ["playing on fork(state) changed the episode the state came from"]),
    "abstract methods": (ABSTRACT, ["cannot make task", "Can't instantiate abstract class Broken"]),
}


def broken_file(tmp_path: Path, snippet: str, name: str = "broken.py") -> Path:
    path = tmp_path / name
    path.write_text(TINY.read_text(encoding="utf-8") + snippet, encoding="utf-8")
    return path


def cli(*args: str):
    app = typer.Typer()
    app.add_typer(tasks_app, name="tasks")
    return CliRunner().invoke(app, ["tasks", *args])


def test_the_tiny_task_conforms_by_reference_and_as_an_object():
    assert check_task(f"{TINY}:TinyTask") == []
    assert check_task(f"{TINY}:TinyTask", ["size=5", "rule=no_left"]) == []
    report = check_report(make_task(f"{TINY}:TinyTask"))
    assert report.conformant and report.task == "tiny" and report.checks > 15


@pytest.mark.parametrize("case", list(BROKEN))
def test_the_checker_lists_each_problem_of_a_broken_task(tmp_path, case):
    snippet, expected = BROKEN[case]
    problems = check_task(f"{broken_file(tmp_path, snippet)}:Broken")
    for text in expected:
        assert any(text in p for p in problems), f"{text!r} not in {problems}"
    assert all("\n" not in p for p in problems)


def test_a_bad_setting_is_a_problem_not_a_crash():
    problems = check_task(f"{TINY}:TinyTask", ["size=many"])
    assert problems == ["cannot make task " + f"{TINY}:TinyTask: tiny setting size must be an integer, got 'many'"]


def test_tasks_check_exits_2_listing_every_problem(tmp_path):
    path = broken_file(
        tmp_path, STAGE_PARAM.replace("class Broken", "class Half") + BAD_FALLBACK.replace("(TinyTask)", "(Half)")
    )
    result = cli("check", f"{path}:Broken")
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    for text in ("stage 'move': param 'destination' is not the result", "check_result rejects the fallback"):
        assert any(text in line for line in lines), result.output
    assert lines[-1].startswith("tiny: ") and lines[-1].endswith("problems")


def test_tasks_check_passes_a_conforming_task_with_settings():
    result = cli("check", f"{TINY}:TinyTask", "--set", "size=5", "--set", "max_steps=8")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("tiny: conformant (") and result.output.rstrip().endswith("checks)")


def test_tasks_show_describes_the_task():
    result = cli("show", f"{TINY}:TinyTask")
    assert result.exit_code == 0, result.output
    for line in (
        "name: tiny",
        "  aim: (state) -> target  choose the cell to head for",
        "  move: (state, target) -> move  step towards the target",
        "actions: left, right, stay",
        "variants: short, long",
        "held out: long",
        "  size=9  cells of the short line",
        "  no_left: Moving left is forbidden.",
        "baselines: stay",
        "metrics: success_rate (higher is better)",
    ):
        assert line in result.output.splitlines(), result.output
