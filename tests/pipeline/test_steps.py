"""The pipeline's resumable steps, with real cheap steps (21 Points teacher data and evaluation): a
finished step is reused untouched, other settings are refused, ``clear`` removes only the
pipeline's files. The steps know no task: one named by file reference runs the same way; an
entry's defaults come from its task (recipe, demonstrators, emergencies, whether it draws)."""

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from logicdistill.agent.factory import AgentOptions
from logicdistill.distill.data import generate_data, read_data
from logicdistill.errors import UserInputError
from logicdistill.pipeline import DEMO
from logicdistill.pipeline.steps import (
    Layout,
    PipelineConfig,
    TaskEntry,
    clear,
    data_step,
    eval_step,
    plan,
    run_steps,
    sizes,
)
from logicdistill.tasks import get_task

HANDS = TaskEntry("twentyone", data_episodes=40, eval_episodes=20, agents=("teacher",), emergencies=())
CONFIG = PipelineConfig(tasks=(HANDS,), accuracy_examples=20)
SIZES = sizes(CONFIG, plan(CONFIG))
TINY = f"{Path(__file__).parents[1] / 'tasks' / 'fixtures' / 'tiny_task.py'}:TinyTask"


def cheap_steps(layout, config=CONFIG):
    planned = plan(config)[0]
    return [data_step(layout, planned), eval_step(layout, planned, "teacher", config)]


def test_steps_run_once_then_are_reused(tmp_path):
    layout, events = Layout(tmp_path), []
    first = run_steps(cheap_steps(layout), layout, SIZES, lambda *event: events.append(event))
    assert [t["reused"] for t in first.values()] == [False, False]
    assert len(read_data(layout.data("twentyone"))[2]) == 40
    summary = json.loads(layout.eval("twentyone", "teacher").read_text())
    assert summary["regret"] == pytest.approx(0, abs=1e-9)  # the teacher plays the exact optimum
    assert summary["episodes"] == 20
    assert events[-1][:3] == ("twentyone: eval teacher", 20, 20)
    stamps = {p: p.stat().st_mtime_ns for s in cheap_steps(layout) for p in s.outputs if p.is_file()}

    events.clear()
    again = run_steps(cheap_steps(layout), layout, SIZES, lambda *event: events.append(event))
    assert [t["reused"] for t in again.values()] == [True, True]
    assert [t["seconds"] for t in again.values()] == [t["seconds"] for t in first.values()]  # from the ledger
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert [e[3] for e in events] == ["reused", "reused"]


def test_a_partial_data_file_is_not_done_and_resumes(tmp_path):
    layout = Layout(tmp_path)
    task = get_task("twentyone")  # a partial file as the step writes it: its demonstrator named
    generate_data(layout.data("twentyone"), 15, task, options=AgentOptions(demonstrator=task.demonstrators[0]))
    step = cheap_steps(layout)[0]
    assert not step.done()
    run_steps([step], layout, SIZES)
    episodes = read_data(layout.data("twentyone"))[2]
    assert [e.episode for e in episodes] == list(range(40))


def test_other_sizes_are_refused(tmp_path):
    layout = Layout(tmp_path)
    run_steps(cheap_steps(layout)[:1], layout, SIZES)
    other = replace(CONFIG, tasks=(replace(HANDS, data_episodes=41),))
    with pytest.raises(UserInputError, match=r"other settings \(twentyone\.data_episodes\).*--fresh"):
        run_steps(cheap_steps(layout, other), layout, sizes(other, plan(other)))


def test_clear_removes_the_pipelines_files_only(tmp_path):
    layout = Layout(tmp_path)
    run_steps(cheap_steps(layout), layout, SIZES)
    mine = tmp_path / "notes.txt"
    mine.write_text("keep me")
    clear(cheap_steps(layout), layout)
    assert not layout.ledger.exists() and not (tmp_path / "twentyone" / "data.jsonl").exists()
    assert not layout.eval("twentyone", "teacher").exists()
    assert mine.read_text() == "keep me"
    assert [t["reused"] for t in run_steps(cheap_steps(layout), layout, SIZES).values()] == [False, False]


def test_a_task_named_by_file_reference_runs_the_same_steps(tmp_path):
    config = PipelineConfig(tasks=(TaskEntry(TINY, data_episodes=4, eval_episodes=2, agents=("teacher", "stay")),))
    planned = plan(config)[0]
    layout = Layout(tmp_path)
    steps = [data_step(layout, planned), *(eval_step(layout, planned, a, config) for a in ("teacher", "stay"))]
    run_steps(steps, layout, sizes(config, [planned]))
    summary = json.loads(layout.eval("tiny", "stay").read_text())
    assert summary["task"] == "tiny" and [e["variant"] for e in summary["per_episode"]] == ["long", "long"]


@pytest.mark.parametrize(
    "entry, message",
    [
        (TaskEntry("twentyone", agents=("teacher", "wizard")), "unknown agents for twentyone: wizard"),
        (TaskEntry("twentyone", emergencies=("lava",)), "unknown twentyone emergency 'lava'"),
        (TaskEntry("twentyone", demonstrator="oracle"), "twentyone has no 'oracle' demonstrator"),
        (TaskEntry("twentyone", replay=True), "twentyone cannot draw replays"),
        (TaskEntry("twentyone", settings=("bogus=1",)), "has no setting 'bogus'"),
        (TaskEntry("chess"), "unknown task 'chess'"),
    ],
)
def test_a_bad_entry_fails_before_any_step(entry, message):
    with pytest.raises(UserInputError, match=message):
        plan(PipelineConfig(tasks=(entry,)))


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"data_episodes": 0}, "data_episodes"),
        ({"learning_rate": -1.0}, "learning rate"),
        ({"teacher_base_url": "http://127.0.0.1:9/v1"}, "--teacher-base-url needs --teacher"),
        ({"demonstrator": "llm"}, "--demonstrator llm needs --teacher"),
    ],
)
def test_bad_entries_are_refused(fields, message):
    with pytest.raises(UserInputError, match=message):
        TaskEntry("twentyone", **fields)


def test_defaults_come_from_the_task():
    (planned,) = plan(PipelineConfig(tasks=(TaskEntry("twentyone"),)))
    task, entry = planned.task, planned.entry
    assert (entry.data_episodes, entry.examples, entry.learning_rate) == (
        task.recipe.data_episodes,
        task.recipe.train_examples,
        task.recipe.learning_rate,
    )
    assert entry.demonstrator == task.demonstrators[0] and entry.emergencies == ("surrender",)
    assert entry.agents == ("teacher", "ld", "kd", "random") and entry.replay is False
    assert planned.modes == ("ld", "kd")
    (teacher_only,) = plan(PipelineConfig(tasks=(TaskEntry("twentyone", agents=("teacher",), emergencies=()),)))
    assert teacher_only.modes == ()  # no student is trained where nothing needs one


def test_the_demo_is_the_pipeline_over_its_tasks():
    planned = plan(DEMO)
    assert [p.key for p in planned] == ["pursuit", "twentyone"]
    assert [p.entry.replay for p in planned] == [True, False]
    assert [p.entry.emergencies for p in planned] == [(), ("surrender",)]


@pytest.mark.parametrize(
    "ledger, message",
    [
        ("{not json", "cannot read"),
        ('{"format": "something-else"}', "is not a logicdistill-pipeline/1 file"),
    ],
)
def test_cli_demo_reports_a_damaged_folder_in_one_line(tmp_path, ledger, message):
    (tmp_path / "pipeline.json").write_text(ledger)
    run = subprocess.run(
        [sys.executable, "-m", "logicdistill", "demo", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 2
    assert run.stderr.strip().startswith("error:") and len(run.stderr.strip().splitlines()) == 1
    assert message in run.stderr and "--fresh" in run.stderr


def test_cli_demo_refuses_a_folder_of_the_earlier_demo(tmp_path):
    (tmp_path / "demo.json").write_text('{"format": "logicdistill-demo/3"}')
    run = subprocess.run(
        [sys.executable, "-m", "logicdistill", "demo", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "earlier version (demo.json)" in run.stderr and "--fresh" in run.stderr
